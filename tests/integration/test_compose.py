"""'stacksalt compose up --cluster local' for real: the controllers of the model as a
docker-compose project built from the docker-salt images, then each service answers from
the host: etcd (3 healthy members), Galera (3 members Synced through the image entrypoint,
the agent and etcd; SQL as keystone through the writer), RabbitMQ (3 nodes clustered, AMQP
answers), memcached (set/get on each node), keystone (a token issued with the admin password
on one replica and validated on another). No secret in the compose file, in any container's
argv or environment; a restarted container's entrypoint changes nothing; 'compose down'
removes everything.

Runs on a snapshot of the tree (formulas, model, docker-salt, package) with its own
generated secrets; the images are built as ``stacksalt/<name>:<tag>`` when missing.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import pymysql
import pytest
import yaml

from stacksalt import secrets
from stacksalt.cli import main
from stacksalt.compose import runner
from stacksalt.images import build
from stacksalt.images.context import snapshot
from stacksalt.paths import state_dir

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not build.docker_available(), reason="docker is not reachable"),
]

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "local"
PROJECT = f"stacksalt-compose-{CLUSTER}"
HOSTS = ("ctl01", "ctl02", "ctl03")


def sh(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    res = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, check=False)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {res.returncode}:\n{res.stderr[-3000:]}")
    return res


def cname(service: str, host: str) -> str:
    return f"{PROJECT}-{service}-{host}"


@pytest.fixture(scope="module")
def up(tmp_path_factory):
    tree = snapshot(ROOT, tmp_path_factory.mktemp("compose") / "tree")
    ignore = shutil.ignore_patterns("secrets.yml", "__pycache__")
    shutil.copytree(ROOT / "reclass_model", tree / "reclass_model", ignore=ignore, symlinks=True)
    shutil.rmtree(tree / "reclass_model" / "classes" / "service", ignore_errors=True)
    state = state_dir()
    args = ["--root", str(tree), "--state", str(state), "compose"]
    main([*args, "down", "--cluster", CLUSTER])
    try:
        assert main([*args, "up", "--cluster", CLUSTER, "--timeout", "1500"]) == 0
        values = secrets.load(secrets.secrets_file(tree, CLUSTER))
        endpoints = {
            (e.service, e.host): e.published for e in runner.read_endpoints(state, "local")
        }
        yield {"tree": tree, "state": state, "secrets": values, "endpoints": endpoints}
    finally:
        assert main([*args, "down", "--cluster", CLUSTER]) == 0
        assert sh("docker", "ps", "-aq", "--filter", f"name={PROJECT}-").stdout.split() == []
        assert sh("docker", "network", "inspect", PROJECT, check=False).returncode != 0
        assert not runner.secrets_dir(state, CLUSTER).exists()


def test_no_secret_in_the_compose_file_argv_or_environment(up):
    values = [str(v) for v in up["secrets"].values()]
    path = runner.compose_file(up["state"], CLUSTER)
    text = path.read_text()
    for value in values:
        assert value not in text
    sdir = runner.secrets_dir(up["state"], CLUSTER)
    assert stat.S_IMODE(sdir.stat().st_mode) == 0o700
    files = sorted(sdir.iterdir())
    assert files, "no secret pillar files"
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    joined = "".join(f.read_text() for f in files)
    for name in ("rabbitmq_main_cookie", "keystone_admin_password", "keystone_database_password"):
        assert str(up["secrets"][name]) in joined
    services = yaml.safe_load(text)["services"]
    for body in services.values():
        out = sh("docker", "inspect", body["container_name"]).stdout
        config = json.loads(out)[0]
        seen = json.dumps([config["Config"]["Env"], config["Args"], config["Path"]])
        for value in values:
            assert value not in seen, body["container_name"]
        for port in body.get("ports", []):
            assert port.startswith("127.0.0.1:")


def test_etcd_has_three_healthy_members(up):
    conn = http.client.HTTPConnection("127.0.0.1", up["endpoints"][("etcd", "ctl01")], timeout=10)
    conn.request("GET", "/health")
    assert json.loads(conn.getresponse().read())["health"] == "true"
    out = sh(
        "docker",
        "exec",
        cname("etcd", "ctl01"),
        "etcdctl",
        "--dial-timeout=3s",
        "--endpoints=http://127.0.0.1:2379",
        "member",
        "list",
        "-w",
        "json",
    ).stdout
    names = sorted(m["name"] for m in json.loads(out)["members"])
    assert names == list(HOSTS)


def wsrep(host: str) -> dict[str, str]:
    res = subprocess.run(
        ["docker", "exec", "-i", cname("galera", host), "mariadb", "-N", "-B"],
        input="SHOW GLOBAL STATUS LIKE 'wsrep%';",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return dict(line.split("\t", 1) for line in res.stdout.splitlines() if "\t" in line)


def test_galera_three_members_synced_and_keystone_sql_through_the_writer(up):
    uuids = set()
    for host in HOSTS:
        status = wsrep(host)
        assert status["wsrep_local_state_comment"] == "Synced", host
        assert status["wsrep_cluster_size"] == "3", host
        assert status["wsrep_ready"] == "ON", host
        uuids.add(status["wsrep_cluster_state_uuid"])
        log = sh("docker", "logs", cname("galera", host)).stderr
        assert "stacksalt-entrypoint: applied galera" in log
    assert len(uuids) == 1
    # The keystone account the bootstrap made, through each node's single-writer HAProxy.
    for host in HOSTS:
        conn = pymysql.connect(
            host="127.0.0.1",
            port=up["endpoints"][("galera", host)],
            user="keystone",
            password=str(up["secrets"]["keystone_database_password"]),
            database="keystone",
            connect_timeout=10,
        )
        with conn.cursor() as cur:
            cur.execute("SELECT name FROM project WHERE name = 'admin'")
            assert cur.fetchall() == (("admin",),)
        conn.close()


def test_rabbitmq_is_clustered_and_answers_amqp(up):
    out = sh(
        "docker",
        "exec",
        cname("rabbitmq", "ctl01"),
        "env",
        "HOME=/var/lib/rabbitmq/main",
        "/usr/lib/rabbitmq/bin/rabbitmqctl",
        "cluster_status",
        "--formatter",
        "json",
        timeout=180,
    ).stdout
    status = json.loads(out)
    assert sorted(status["running_nodes"]) == [f"rabbit@{h}" for h in HOSTS]
    assert sorted(status["disk_nodes"]) == [f"rabbit@{h}" for h in HOSTS]
    for host in HOSTS:
        with socket.create_connection(
            ("127.0.0.1", up["endpoints"][("rabbitmq", host)]), timeout=10
        ) as sock:
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            frame = sock.recv(4096)
        assert frame[0] == 1, frame[:16]  # a method frame: connection.start
        assert b"RabbitMQ" in frame


def rabbitmqctl(host: str, *args: str):
    out = sh(
        "docker",
        "exec",
        cname("rabbitmq", host),
        "env",
        "HOME=/var/lib/rabbitmq/main",
        "/usr/lib/rabbitmq/bin/rabbitmqctl",
        *args,
        "--formatter",
        "json",
        timeout=180,
    ).stdout
    return json.loads(out)


def test_rabbitmq_vhosts_users_and_policies_from_the_post_job(up):
    """The post job ran on the first member; the objects are cluster-wide, so another
    member sees them."""
    vhosts = {v["name"] for v in rabbitmqctl("ctl02", "list_vhosts")}
    assert "/openstack" in vhosts
    users = {u["user"] for u in rabbitmqctl("ctl02", "list_users")}
    assert "keystone" in users
    perms = rabbitmqctl("ctl03", "list_permissions", "-p", "/openstack")
    assert {"user": "keystone", "configure": ".*", "write": ".*", "read": ".*"} in perms
    policies = rabbitmqctl("ctl03", "list_policies", "-p", "/openstack")
    assert policies, "no policy in /openstack"


def test_memcached_answers_on_every_node(up):
    for host in HOSTS:
        with socket.create_connection(
            ("127.0.0.1", up["endpoints"][("memcached", host)]), timeout=10
        ) as sock:
            sock.sendall(b"set stacksalt-test 0 60 2\r\nok\r\nget stacksalt-test\r\n")
            data = b""
            while not data.endswith(b"END\r\n"):
                chunk = sock.recv(4096)
                assert chunk, data
                data += chunk
        assert data == b"STORED\r\nVALUE stacksalt-test 0 2\r\nok\r\nEND\r\n"


def issue_token(port: int, password: str) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "admin", "domain": {"id": "default"}, "password": password}
                },
            },
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/v3/auth/tokens", json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    payload = resp.read()
    assert resp.status == 201, (resp.status, payload[:500])
    catalog = json.loads(payload)["token"]["catalog"]
    assert any(s["type"] == "identity" for s in catalog)
    return resp.getheader("X-Subject-Token")


def test_keystone_issues_a_token_that_every_replica_validates(up):
    password = str(up["secrets"]["keystone_admin_password"])
    token = issue_token(up["endpoints"][("keystone", "ctl01")], password)
    for host in HOSTS:  # shared fernet keys, one database
        conn = http.client.HTTPConnection(
            "127.0.0.1", up["endpoints"][("keystone", host)], timeout=30
        )
        conn.request(
            "GET", "/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token}
        )
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200, host
    bad = http.client.HTTPConnection("127.0.0.1", up["endpoints"][("keystone", "ctl02")])
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "admin", "domain": {"id": "default"}, "password": "wrong"}
                },
            }
        }
    }
    bad.request("POST", "/v3/auth/tokens", json.dumps(body), {"Content-Type": "application/json"})
    assert bad.getresponse().status == 401
    # uwsgi is PID 1, as keystone; the bootstrap ran on the first replica only.
    cmdline = sh("docker", "exec", cname("keystone", "ctl02"), "cat", "/proc/1/cmdline").stdout
    assert cmdline.split("\0")[0] == "/usr/bin/uwsgi_python3"
    user = sh("docker", "exec", cname("keystone", "ctl02"), "ps", "-o", "user=", "-p", "1")
    assert user.stdout.strip() == "keystone"
    assert "keystone-server-bootstrapped" in sh("docker", "logs", cname("keystone", "ctl01")).stderr
    assert (
        "keystone-server-bootstrapped"
        not in sh("docker", "logs", cname("keystone", "ctl02")).stderr
    )


def test_a_restarted_container_applies_its_states_with_no_change(up):
    """The entrypoint's second state.apply (same pillar, incl. the bootstrap request):
    0 changes, then the daemon serves again."""
    name = cname("keystone", "ctl01")
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    sh("docker", "restart", "-t", "60", name, timeout=180)
    runner.wait_healthy([name], 600, print)
    log = sh("docker", "logs", "--since", since, name).stderr
    lines = [line for line in log.splitlines() if line.startswith("stacksalt-entrypoint:")]
    assert any("applied keystone" in line for line in lines), log[-2000:]
    assert not [line for line in lines if " changed " in f" {line} "], lines
    issue_token(
        up["endpoints"][("keystone", "ctl01")], str(up["secrets"]["keystone_admin_password"])
    )
    assert os.path.exists(runner.compose_file(up["state"], CLUSTER))
