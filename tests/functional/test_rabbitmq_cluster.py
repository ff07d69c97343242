"""Functional tests of the rabbitmq_cluster execution and state modules through Salt's real
loader, against a real 3-node RabbitMQ cluster on loopback (the formula's own config
templates, one private epmd, distinct ports per node).

The tests run in file order on one cluster and build on each other: join, vhosts and users,
derived policies, a mirrored queue surviving ``kill -9`` of its master, health when a member
stops, a killed member rejoining, scale-down. Each state test runs first in test mode
(predicts, touches nothing: checked against the real cluster) and then applied (acts; a
second run reports no changes), hence ``params=(True, False)``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from .rabbitmq_nodes import LoopbackCluster
from .saltcall import load_salt

pytestmark = pytest.mark.requires("rabbitmq-server")

try:
    import pika
except ImportError:  # the test that needs it says so (requires "pika")
    pika = None

CLUSTER = "functional"
VHOST = "/openstack"
SERVICES = {
    "keystone": {"enabled": True},
    "glance": {"enabled": True},
    "nova": {"enabled": True},
    "neutron": {"enabled": True},
    "heat": {"enabled": False},
}
USER, PASSWORD = "nova", "nova-functional-password"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = LoopbackCluster(tmp_path_factory.mktemp("rabbitmq"), cluster=CLUSTER)
    try:
        c.start_epmd()
        c.start_all()
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def loaders(tmp_path_factory):
    return {test: load_salt(tmp_path_factory.mktemp("salt"), test) for test in (True, False)}


@pytest.fixture(params=(True, False), ids=("test-mode", "apply"))
def loaded(request, loaders):
    funcs, states = loaders[request.param]
    return request.param, funcs, states


def _status(cluster, node):
    res = cluster.ctl(node, "cluster_status", "--formatter", "json")
    assert res.returncode == 0, res.stderr

    return json.loads(res.stdout)


def _wait_healthy(funcs, cluster, members, timeout=60):
    deadline = time.monotonic() + timeout
    verdict = {}
    while time.monotonic() < deadline:
        verdict = funcs["rabbitmq_cluster.health"](
            members, node=members[0], cluster_name=CLUSTER, env=cluster.ctl_env()
        )
        if verdict["ok"]:
            return verdict
        time.sleep(1)
    pytest.fail(f"cluster not healthy within {timeout} s: {verdict}")


# ------------------------------------------------------------------------------------------


def test_modules_come_from_the_installed_package(loaded):
    _test, funcs, states = loaded
    for name in ("plan_join", "health", "set_policy", "add_user", "list_vhosts"):
        assert f"rabbitmq_cluster.{name}" in funcs
    for name in ("joined", "policy_present", "policies_present", "user_present"):
        assert f"rabbitmq_cluster.{name}" in states


def test_join_predicts_then_joins(loaded, cluster):
    test, funcs, states = loaded
    env = cluster.ctl_env()
    members = cluster.names
    first, second, third = members
    if test:
        ret = states["rabbitmq_cluster.joined"](
            first, members=members, cluster_name=CLUSTER, env=env
        )
        assert ret["result"] is None, ret
        assert ret["changes"]["new"] == {"cluster_name": CLUSTER, "members": [first]}
        assert ret["changes"]["steps"] == [[first, "set_cluster_name", CLUSTER]]
        ret = states["rabbitmq_cluster.joined"](
            second, members=members, cluster_name=CLUSTER, env=env
        )
        assert ret["result"] is None and "would wait" in ret["comment"], ret
        # Nothing was touched: every node is still alone under its default name.
        for node in members:
            status = _status(cluster, node)
            assert status["disk_nodes"] == [node]
            assert status["cluster_name"] != CLUSTER
        return
    rets = [
        states["rabbitmq_cluster.joined"](n, members=members, cluster_name=CLUSTER, env=env)
        for n in members
    ]
    assert all(r["result"] is True for r in rets), rets
    assert rets[0]["changes"]["new"]["cluster_name"] == CLUSTER
    assert rets[1]["changes"]["steps"] == [
        f"{second}: stop_app",
        f"{second}: join_cluster {first}",
        f"{second}: start_app",
    ]
    assert rets[2]["changes"]["new"]["members"] == sorted(members)
    status = _status(cluster, third)
    assert sorted(status["running_nodes"]) == sorted(members)
    assert status["cluster_name"] == CLUSTER
    for node in members:  # second run: nothing to do
        again = states["rabbitmq_cluster.joined"](
            node, members=members, cluster_name=CLUSTER, env=env
        )
        assert again["result"] is True and again["changes"] == {}, again
    assert _wait_healthy(funcs, cluster, members)["ok"]


def test_joined_refuses_bad_members_before_acting(loaded, cluster):
    _test, _funcs, states = loaded
    n1, n2, _n3 = cluster.names
    ret = states["rabbitmq_cluster.joined"](
        n1, members=[n1, n2, n2], cluster_name=CLUSTER, env=cluster.ctl_env()
    )
    assert ret["result"] is False and ret["changes"] == {}
    assert f"duplicate members: {n2}" in ret["comment"]


def set_password(funcs, password):
    """The demo user's password in the pillar the states read it from (by key)."""
    funcs.opts["pillar"] = {"rabbitmq": {"server": {"services": {"demo": {"password": password}}}}}
    funcs.pack["__pillar__"] = funcs.opts["pillar"]


def test_vhost_and_user(loaded, cluster):
    test, funcs, states = loaded
    env, node = cluster.ctl_env(), cluster.names[1]
    conn = {"node": node, "env": env}
    perms = {VHOST: [".*", ".*", ".*"]}
    key = "rabbitmq:server:services:demo:password"  # the password is read from the pillar
    set_password(funcs, PASSWORD)
    vret = states["rabbitmq_cluster.vhost_present"](VHOST, **conn)
    uret = states["rabbitmq_cluster.user_present"](USER, password_pillar=key, perms=perms, **conn)
    if test:
        assert vret["result"] is None and vret["changes"] == {"vhost": {"old": None, "new": VHOST}}
        assert uret["result"] is None, uret
        assert uret["changes"]["user"] == {"old": None, "new": USER}
        assert PASSWORD not in repr(uret)
        assert VHOST not in funcs["rabbitmq_cluster.list_vhosts"](**conn)
        assert USER not in funcs["rabbitmq_cluster.list_users"](**conn)
        return
    assert vret["result"] is True and vret["changes"], vret
    assert uret["result"] is True and uret["changes"]["password"] == "set", uret
    assert PASSWORD not in repr(uret)
    # Second run, asked through another member: nothing to do.
    other = {"node": cluster.names[2], "env": env}
    assert states["rabbitmq_cluster.vhost_present"](VHOST, **other)["changes"] == {}
    again = states["rabbitmq_cluster.user_present"](USER, password_pillar=key, perms=perms, **other)
    assert again["result"] is True and again["changes"] == {}, again
    # A changed password is detected (authenticate_user on stdin) and set.
    set_password(funcs, "rotated")
    ret = states["rabbitmq_cluster.user_present"](USER, password_pillar=key, perms=perms, **conn)
    assert ret["result"] is True, ret
    assert ret["changes"] == {"password": "changed"} and "rotated" not in repr(ret)
    funcs["rabbitmq_cluster.change_password"](USER, PASSWORD, **conn)


def test_derived_policies_applied_and_idempotent(loaded, cluster):
    test, funcs, states = loaded
    conn = {"node": cluster.names[0], "env": cluster.ctl_env()}
    expected = funcs["rabbitmq_cluster.derived_policies"](SERVICES)["policies"]
    assert [p["name"] for p in expected] == [
        "notifications-mirrored",
        "rpc-transient-expiry",
        "rpc-message-ttl",
    ]
    ret = states["rabbitmq_cluster.policies_present"](
        "derived", services=SERVICES, vhosts=[VHOST], **conn
    )
    hand = states["rabbitmq_cluster.policy_present"](
        "ha-ceilometer",
        pattern=r"^ceilometer\.",
        definition={"ha-mode": "all"},
        priority=20,
        apply_to="queues",
        vhost=VHOST,
        **conn,
    )
    if test:
        assert ret["result"] is None, ret
        assert sorted(ret["changes"]) == sorted(f"{VHOST}/{p['name']}" for p in expected)
        assert hand["result"] is None and hand["changes"], hand
        assert funcs["rabbitmq_cluster.list_policies"](VHOST, **conn) == {}
        return
    assert ret["result"] is True and len(ret["changes"]) == 3, ret
    assert hand["result"] is True and hand["changes"], hand
    current = funcs["rabbitmq_cluster.list_policies"](VHOST, **conn)
    for policy in expected:
        want = {k: v for k, v in policy.items() if k != "name"}
        assert current[policy["name"]] == want
    mirrored = current["notifications-mirrored"]["definition"]
    assert mirrored == {"ha-mode": "all", "ha-sync-mode": "automatic"}
    assert current["rpc-message-ttl"]["definition"] == {"message-ttl": 600000}
    again = states["rabbitmq_cluster.policies_present"](
        "derived", services=SERVICES, vhosts=[VHOST], **conn
    )
    assert again["result"] is True and again["changes"] == {}, again
    hand = states["rabbitmq_cluster.policy_present"](
        "ha-ceilometer",
        pattern=r"^ceilometer\.",
        definition={"ha-mode": "all"},
        priority=20,
        apply_to="queues",
        vhost=VHOST,
        **conn,
    )
    assert hand["result"] is True and hand["changes"] == {}, hand


def test_invalid_policy_regex_fails_before_anything_changes(loaded, cluster):
    _test, funcs, states = loaded
    conn = {"node": cluster.names[0], "env": cluster.ctl_env()}
    before = funcs["rabbitmq_cluster.list_policies"](VHOST, **conn)
    ret = states["rabbitmq_cluster.policy_present"](
        "broken", pattern="^(notif", definition={"message-ttl": 1}, vhost=VHOST, **conn
    )
    assert ret["result"] is False and ret["changes"] == {}
    assert "invalid regular expression" in ret["comment"]
    assert funcs["rabbitmq_cluster.list_policies"](VHOST, **conn) == before


@pytest.mark.requires("pika")
def test_mirrored_notification_survives_kill_9_of_queue_master(loaders, cluster):
    funcs, _states = loaders[False]
    first, second, third = cluster.names
    queue, count = "notifications.info", 500

    def connect(node):
        params = pika.ConnectionParameters(
            host="127.0.0.1",
            port=cluster.nodes[node].port,
            virtual_host=VHOST,
            credentials=pika.PlainCredentials(USER, PASSWORD),
            connection_attempts=3,
            retry_delay=0.5,
            socket_timeout=5,
            blocked_connection_timeout=30,
        )
        return pika.BlockingConnection(params)

    # Declared through the first node: it holds the queue master.
    conn = connect(first)
    channel = conn.channel()
    channel.queue_declare(queue, durable=True)
    channel.confirm_delivery()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # mirrors on both other nodes, synchronised
        res = cluster.ctl(
            second, "list_queues", "-p", VHOST, "name", "pid", "synchronised_slave_pids"
        )
        line = next((x for x in res.stdout.splitlines() if x.startswith(queue)), "")
        if first in line and second in line and third in line:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"queue not mirrored: {res.stdout} {res.stderr}")
    for i in range(count):
        channel.basic_publish(
            "",
            queue,
            f"event {i}".encode(),
            pika.BasicProperties(delivery_mode=2),
            mandatory=True,
        )
    conn.close()

    cluster.kill(first)
    conn = connect(second)
    channel = conn.channel()
    consumed = set()
    deadline = time.monotonic() + 30
    while len(consumed) < count and time.monotonic() < deadline:
        method, _props, body = channel.basic_get(queue)
        if method is None:
            time.sleep(0.1)
            continue
        consumed.add(body)
        channel.basic_ack(method.delivery_tag)
    conn.close()
    assert len(consumed) == count

    cluster.start(first)
    cluster.wait_ready(first)
    _wait_healthy(funcs, cluster, cluster.names)


def test_health_fails_when_a_member_stops(loaders, cluster):
    funcs, states = loaders[False]
    first, _second, third = cluster.names
    env = cluster.ctl_env()
    cluster.stop(third)
    verdict = funcs["rabbitmq_cluster.health"](cluster.names, node=first, env=env)
    assert verdict["ok"] is False
    assert f"not running: {third}" in verdict["reason"]
    assert funcs["rabbitmq_cluster.health"](cluster.names, node=third, env=env)["ok"] is False
    cli = [sys.executable, "-m", "stacksalt.rabbitmq.health", "--node", first]
    res = subprocess.run(
        [*cli, "--expect", ",".join(cluster.names), "--cluster-name", CLUSTER],
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 1 and res.stdout.startswith("FAIL:"), res
    ret = loaders[True][1]["rabbitmq_cluster.joined"](
        third, members=cluster.names, cluster_name=CLUSTER, env=env
    )
    assert ret["result"] is False and "is not running" in ret["comment"], ret
    cluster.start(third)
    cluster.wait_ready(third)
    _wait_healthy(funcs, cluster, cluster.names)
    res = subprocess.run(
        [*cli, "--expect", ",".join(cluster.names), "--cluster-name", CLUSTER],
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0 and res.stdout.startswith("OK:"), res
    ret = states["rabbitmq_cluster.joined"](
        third, members=cluster.names, cluster_name=CLUSTER, env=env
    )
    assert ret["result"] is True and ret["changes"] == {}, ret


def test_kill_9_member_restarts_and_rejoins(loaders, cluster):
    funcs, states = loaders[False]
    first, second, _third = cluster.names
    env = cluster.ctl_env()
    cluster.kill(second)
    verdict = funcs["rabbitmq_cluster.health"](cluster.names, node=first, env=env)
    assert verdict["ok"] is False and second in verdict["reason"]
    cluster.start(second)
    cluster.wait_ready(second)
    _wait_healthy(funcs, cluster, cluster.names)
    for test in (True, False):
        ret = loaders[test][1]["rabbitmq_cluster.joined"](
            second, members=cluster.names, cluster_name=CLUSTER, env=env
        )
        assert ret["result"] is True and ret["changes"] == {}, ret


def test_scale_down_forgets_the_removed_member(loaders, cluster):
    funcs, _states = loaders[False]
    first, second, third = cluster.names
    env = cluster.ctl_env()
    members = [first, second]
    cluster.stop(third)
    ret = loaders[True][1]["rabbitmq_cluster.joined"](
        first, members=members, cluster_name=CLUSTER, env=env
    )
    assert ret["result"] is None, ret
    assert ret["changes"]["steps"] == [[first, "forget_cluster_node", third]]
    assert third in _status(cluster, first)["disk_nodes"]
    ret = loaders[False][1]["rabbitmq_cluster.joined"](
        first, members=members, cluster_name=CLUSTER, env=env
    )
    assert ret["result"] is True and ret["changes"]["new"]["members"] == members, ret
    assert sorted(_status(cluster, second)["disk_nodes"]) == members
    again = loaders[False][1]["rabbitmq_cluster.joined"](
        second, members=members, cluster_name=CLUSTER, env=env
    )
    assert again["result"] is True and again["changes"] == {}, again
    assert _wait_healthy(funcs, cluster, members)["ok"]
