"""RabbitMQ on the local cluster's three controllers, formed by the highstate.

Destructive scenarios with counted messages: ``kill -9`` of the node holding a mirrored
notification queue, an RPC client with every member in its host list (the oslo.messaging
way), a killed member that restarts and rejoins, a network partition (one container
disconnected from the cluster network: the minority pauses, the cluster is whole after
healing), and scale 3 → 2 → 3 through the pillar (the removed member is forgotten, then it
comes back, resets its stale data and joins).

The clients run on the host and talk to the containers' addresses with the keystone service
account from the deployment's generated secrets (never printed).
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pika
import pytest

from stacksalt import secrets as secretsmod
from stacksalt.cluster import runtime

from .helpers import ADDR, CTL, container_name, dexec, sh, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.requires("docker")]
# pika logs every refused reconnect (expected here) and keeps logging from its I/O threads
# after pytest has closed the captured streams
logging.getLogger("pika").setLevel(logging.CRITICAL)

ROOT = Path(__file__).resolve().parents[2]
NODES = {n: f"rabbit@{n}" for n in CTL}
VHOST = "/openstack"
RABBITMQCTL = "HOME=/var/lib/rabbitmq/main /usr/lib/rabbitmq/bin/rabbitmqctl"
NETWORK = "stacksalt-local"
TIMEOUT = 240
MAIN_PID = "systemctl show -p MainPID --value rabbitmq-server@main"
KILL9 = f"kill -9 $({MAIN_PID})"


def ctl(node: str, args: str, check: bool = True) -> str:
    return dexec(node, f"{RABBITMQCTL} -n {NODES[node]} -q {args}", check=check)


def cluster_status(node: str) -> dict:
    out = ctl(node, "cluster_status --formatter json", check=False)
    try:
        return json.loads(out)
    except ValueError:
        return {}


def running_nodes(node: str) -> set[str]:
    return set(cluster_status(node).get("running_nodes", []))


def healthy(node: str) -> tuple[bool, str]:
    """The project's health command, as haproxy's external-check and probes run it."""
    res = sh(
        "docker",
        "exec",
        container_name(node),
        "env",
        "HOME=/var/lib/rabbitmq/main",
        "/opt/salt/bin/python3",
        "-m",
        "stacksalt.rabbitmq.health",
        "--node",
        NODES[node],
        "--expect",
        ",".join(NODES.values()),
        "--cluster-name",
        "openstack",
        # rabbitmqctl starts an Erlang VM: seconds on a loaded 2-core machine
        "--timeout",
        "60",
        check=False,
    )
    return res.returncode == 0, res.stdout.strip()


def whole(nodes=CTL) -> bool:
    want = {NODES[n] for n in nodes}
    return all(running_nodes(n) == want for n in nodes)


def wait_whole(nodes=CTL) -> None:
    wait_for(f"RabbitMQ cluster of {', '.join(nodes)}", lambda: whole(nodes), timeout=TIMEOUT)


def params(node: str, password: str, **kw) -> pika.ConnectionParameters:
    return pika.ConnectionParameters(
        host=ADDR[node],
        port=5672,
        virtual_host=VHOST,
        credentials=pika.PlainCredentials("keystone", password),
        connection_attempts=1,
        socket_timeout=5,
        blocked_connection_timeout=10,
        **kw,
    )


@pytest.fixture(scope="module")
def password(cluster) -> str:
    values = secretsmod.load(secretsmod.secrets_file(ROOT, "local"))
    wait_whole()
    return values["rabbitmq_keystone_password"]


def test_cluster_formed_by_highstate_with_model_name_and_policies(password):
    status = cluster_status("ctl01")
    assert set(status["disk_nodes"]) == set(NODES.values())
    assert status["cluster_name"] == "openstack"
    assert not status.get("partitions")
    for node in CTL:
        ok, reason = healthy(node)
        assert ok, reason
    # policies derived from the enabled services, not hand-listed
    policies = json.loads(ctl("ctl01", f"list_policies -p {VHOST} --formatter json"))
    by_name = {p["name"]: p for p in policies}
    notif = [p for p in policies if json.loads(p["definition"]).get("ha-mode") == "all"]
    assert notif, f"no mirrored policy among {sorted(by_name)}"
    assert "notifications" in notif[0]["pattern"]
    rpc = [p for p in policies if "message-ttl" in json.loads(p["definition"])]
    assert rpc, f"no RPC TTL policy among {sorted(by_name)}"
    assert all("ha-mode" not in json.loads(p["definition"]) for p in rpc)
    # the cookie is the generated secret, mode 0400, owned by rabbitmq, on every member
    for node in CTL:
        st = dexec(node, "stat -c '%a %U' /var/lib/rabbitmq/main/.erlang.cookie").split()
        assert st == ["400", "rabbitmq"], f"{node}: cookie file {st}"
    # net_ticktime from the model reached the running node
    tick = ctl("ctl02", "eval 'net_kernel:get_net_ticktime().'").strip()
    assert tick == "10", tick


def test_health_check_fails_for_a_node_outside_the_expected_members(cluster):
    res = sh(
        *["docker", "exec", container_name("ctl01"), "env", "HOME=/var/lib/rabbitmq/main"],
        *["/opt/salt/bin/python3", "-m", "stacksalt.rabbitmq.health"],
        *["--node", "rabbit@ctl01", "--expect", "rabbit@ctl01,rabbit@ctl02", "--timeout", "60"],
        check=False,
    )
    assert res.returncode == 1
    assert "rabbit@ctl03" in res.stdout, res.stdout


def queue_master(queue: str) -> str:
    """The member holding the queue's master: the one that lists it with ``--local``."""
    for node in CTL:
        rows = json.loads(ctl(node, f"list_queues -p {VHOST} --local name --formatter json"))
        if any(r["name"] == queue for r in rows):
            return node
    raise AssertionError(f"no member holds the master of {queue}")


def mirrors_synchronised(queue: str) -> bool:
    rows = json.loads(
        ctl("ctl01", f"list_queues -p {VHOST} name synchronised_slave_pids --formatter json")
    )
    return any(r["name"] == queue and len(r["synchronised_slave_pids"]) == 2 for r in rows)


def test_mirrored_notification_queue_survives_kill9_of_its_master(password):
    queue = f"notifications.info.{uuid.uuid4().hex[:8]}"
    total = 2000
    conn = pika.BlockingConnection(params("ctl01", password))
    ch = conn.channel()
    ch.queue_declare(queue, durable=True)
    ch.confirm_delivery()
    for i in range(total):
        ch.basic_publish(
            "", queue, str(i).encode(), pika.BasicProperties(delivery_mode=2), mandatory=True
        )
    conn.close()
    master = queue_master(queue)
    wait_for("mirrors synchronised", lambda: mirrors_synchronised(queue), timeout=60)
    dexec(master, KILL9)
    survivor = next(n for n in CTL if n != master)
    got: set[int] = set()

    def consume() -> bool:
        try:
            c = pika.BlockingConnection(params(survivor, password))
        except pika.exceptions.AMQPError:
            return False
        try:
            chan = c.channel()
            while True:
                method, _props, body = chan.basic_get(queue, auto_ack=False)
                if method is None:
                    break
                got.add(int(body))
                chan.basic_ack(method.delivery_tag)
        except pika.exceptions.AMQPError:
            return False
        finally:
            if c.is_open:
                c.close()
        return len(got) == total

    wait_for(f"{total} messages consumed from {survivor}", consume, timeout=120, interval=1)
    assert got == set(range(total)), f"lost {total - len(got)} of {total} confirmed messages"
    ctl(survivor, f"delete_queue -p {VHOST} {queue}")
    # the killed node is restarted by systemd and rejoins
    wait_whole()


def test_rpc_client_with_every_member_reconnects_after_its_member_dies(password):
    """oslo.messaging's way: a list of hosts, the next one on connection loss."""
    order = ["ctl02", "ctl01", "ctl03"]
    hosts = [params(n, password) for n in order]
    queue = f"rpc-test-{uuid.uuid4().hex[:8]}"
    conn = pika.BlockingConnection(hosts)
    first = conn._impl.params.host
    assert first == ADDR["ctl02"]
    ch = conn.channel()
    ch.queue_declare(queue, auto_delete=False, arguments={"x-message-ttl": 60000})
    ch.basic_publish("", queue, b"before")
    dexec("ctl02", KILL9)
    with pytest.raises(pika.exceptions.AMQPError):
        for _ in range(50):
            ch.basic_publish("", queue, b"lost-connection")
            conn.process_data_events(0.2)
    conn = pika.BlockingConnection(hosts)  # the client's reconnect: walk the list again
    assert conn._impl.params.host in (ADDR["ctl01"], ADDR["ctl03"])
    ch = conn.channel()
    ch.confirm_delivery()
    ch.queue_declare(queue, auto_delete=False, arguments={"x-message-ttl": 60000})
    ch.basic_publish("", queue, b"after")
    conn.close()
    wait_whole()


def test_killed_member_restarts_and_rejoins(password):
    before = dexec("ctl03", MAIN_PID).split()
    assert (
        dexec(
            "ctl03", "ps -o comm= -p $(systemctl show -p MainPID --value rabbitmq-server@main)"
        ).strip()
        == "beam.smp"
    )
    dexec("ctl03", KILL9)
    wait_for(
        "ctl03 out of the running nodes",
        lambda: NODES["ctl03"] not in running_nodes("ctl01"),
        timeout=TIMEOUT,
    )
    wait_whole()
    after = dexec("ctl03", MAIN_PID).split()
    assert after != ["0"] and after != before
    ok, reason = healthy("ctl03")
    assert ok, reason


def test_partitioned_member_pauses_and_cluster_heals(password):
    sh("docker", "network", "disconnect", NETWORK, container_name("ctl03"), timeout=60)
    try:
        # the majority carries on without ctl03
        wait_for(
            "ctl01+ctl02 without ctl03",
            lambda: running_nodes("ctl01") == {NODES["ctl01"], NODES["ctl02"]},
            timeout=TIMEOUT,
        )
        # the minority pauses: its app stops (rabbitmqctl says the node is not running it)
        wait_for(
            "ctl03 paused (pause_minority)",
            lambda: not healthy("ctl03")[0] and not cluster_status("ctl03"),
            timeout=TIMEOUT,
        )
        conn = pika.BlockingConnection(params("ctl01", password))
        conn.close()
    finally:
        sh(
            *["docker", "network", "connect", "--ip", ADDR["ctl03"], NETWORK],
            container_name("ctl03"),
            timeout=60,
        )
    wait_whole()
    for node in CTL:
        assert not cluster_status(node).get("partitions"), node
        ok, reason = healthy(node)
        assert ok, reason


def apply_rabbitmq(node: str, members: list[str]) -> list:
    """state.apply rabbitmq from the master with the instance's members overridden."""
    pillar = {"rabbitmq": {"server": {"instances": {"main": {"members": members}}}}}
    master = runtime.client().containers.get(container_name("cfg01"))
    ret = runtime.salt(
        master,
        [f"{node}.local.stacksalt", "state.apply", "rabbitmq", f"pillar={json.dumps(pillar)}"],
        timeout=300,
    )
    return ret


def _failed(ret: dict) -> list[str]:
    out = []
    for minion, states in ret.items():
        if not isinstance(states, dict):
            out.append(f"{minion}: {states}")
            continue
        out += [
            f"{minion}: {k}: {v.get('comment')}" for k, v in states.items() if not v.get("result")
        ]
    return out


def test_scale_down_forgets_removed_member_and_scale_up_rejoins(password):
    two = [NODES["ctl01"], NODES["ctl02"]]
    # decommission ctl03 (what removing its class does to the host), then apply the model
    # with two members on the survivors
    dexec("ctl03", "systemctl stop rabbitmq-server@main && systemctl disable rabbitmq-server@main")
    ret = apply_rabbitmq("ctl01", two)
    assert not _failed(ret), _failed(ret)
    changes = ret["ctl01.local.stacksalt"]
    joined = next(v for k, v in changes.items() if "cluster-joined" in k)
    assert joined["changes"], joined["comment"]
    status = cluster_status("ctl01")
    assert set(status["disk_nodes"]) == set(two), status["disk_nodes"]
    ret = apply_rabbitmq("ctl02", two)
    assert not _failed(ret), _failed(ret)
    # scale back up: the full model on ctl03; its old data belongs to a cluster that forgot
    # it, so it is reset and joins
    ret = apply_rabbitmq("ctl03", list(NODES.values()))
    assert not _failed(ret), _failed(ret)
    wait_whole()
    assert set(cluster_status("ctl02")["disk_nodes"]) == set(NODES.values())
