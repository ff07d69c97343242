"""The production cluster's Kubernetes manifests, run here: 'stacksalt compose up --cluster
production' (its stateful services, keystone and the API balancer) projects every pod and Job
of the rendered objects onto the Docker engine (the
same images, arguments, environment, pillar files and probes) and walks them in dependency
order. Then each service answers as its manifests promise: etcd (3 members named after their
pods), Galera (3 Synced members found by DNS, the administrator account, SQL through the
writer), RabbitMQ (two clusters of 3, their administrator, vhost and policies from the
definitions file), memcached, keystone (its Jobs done; a token issued on every replica,
validated by another, and through the API load balancer on every controller). No secret is in
the compose file, any container's argv or environment; every Job's states exist in its image;
a restarted container's entrypoint changes nothing; 'compose down' removes everything.

Runs on a snapshot of the tree (formulas, model, docker-salt, package) with its own generated
secrets; the images are content-tagged, so other modules building the same tree share them.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import urllib.error
import urllib.request

import pymysql
import pytest
import yaml

from stacksalt import secrets
from stacksalt.cli import main
from stacksalt.compose import runner
from stacksalt.paths import state_dir
from tests.integration.helpers import ROOT, sh, snapshot, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.requires("docker", "docker-compose")]

CLUSTER = "production"
PROJECT = f"stacksalt-compose-{CLUSTER}"


def container(pod: str, name: str | None = None) -> str:
    """A pod's container: ``<project>-<pod>-<container>`` (a Job's: ``<project>-<job>``)."""
    return f"{PROJECT}-{pod}-{name}" if name else f"{PROJECT}-{pod}"


@pytest.fixture(scope="module")
def up(tmp_path_factory):
    tree = snapshot(tmp_path_factory.mktemp("compose") / "tree")
    ignore = shutil.ignore_patterns("secrets.yml", "__pycache__")
    shutil.copytree(ROOT / "reclass_model", tree / "reclass_model", ignore=ignore, symlinks=True)
    shutil.rmtree(tree / "reclass_model" / "classes" / "service", ignore_errors=True)
    state = state_dir()
    args = ["--root", str(tree), "--state", str(state), "compose"]
    main([*args, "down", "--cluster", CLUSTER])
    try:
        # the stateful services, keystone and the balancer (the OpenStack services of this
        # cluster run in test_openstack.py's cloud, on the local cluster)
        components = "etcd,database,rpc,notifications,memcached,keystone,haproxy"
        cmd = [*args, "up", "--cluster", CLUSTER, "--components", components]
        assert main([*cmd, "--timeout", "1200"]) == 0
        work = runner.workdir(state, CLUSTER)
        pods = {p["name"]: p for p in json.loads((work / "pods.json").read_text())}
        compose = yaml.safe_load(runner.compose_file(state, CLUSTER).read_text())
        values = secrets.load(secrets.secrets_file(tree, CLUSTER))
        yield {"tree": tree, "state": state, "secrets": values, "pods": pods, "compose": compose}
    finally:
        assert main([*args, "down", "--cluster", CLUSTER]) == 0
        assert sh("docker", "ps", "-aq", "--filter", f"name={PROJECT}-").stdout.split() == []
        assert sh("docker", "network", "inspect", PROJECT, check=False).returncode != 0
        assert not runner.files_dir(state, CLUSTER).exists()


def address(up, pod: str) -> str:
    return up["pods"][pod]["address"]


def test_no_secret_in_the_compose_file_argv_or_environment(up):
    values = [str(v) for v in up["secrets"].values() if len(str(v)) >= 8]
    text = runner.compose_file(up["state"], CLUSTER).read_text()
    for value in values:
        assert value not in text
    files = runner.files_dir(up["state"], CLUSTER)
    assert stat.S_IMODE(files.stat().st_mode) == 0o700
    secret_files = [p for p in files.rglob("20-secret.yaml")]
    assert secret_files, "no pod got a Secret key"
    for path in secret_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o400
    joined = "".join(p.read_text() for p in secret_files)
    for name in ("galera_admin_password", "keystone_admin_password", "rabbitmq_cluster_cookie"):
        assert str(up["secrets"][name]) in joined
    for path in files.rglob("10-pillar.yaml"):  # the ConfigMap keys: no secret at all
        body = path.read_text()
        assert not [v for v in values if v in body], path
    for body in up["compose"]["services"].values():
        config = json.loads(sh("docker", "inspect", body["container_name"]).stdout)[0]
        seen = json.dumps([config["Config"]["Env"], config["Args"], config["Path"]])
        assert not [v for v in values if v in seen], body["container_name"]


def test_etcd_members_are_its_pods_by_name(up):
    out = sh(
        "docker",
        "exec",
        container("etcd-0", "etcd"),
        "etcdctl",
        "--dial-timeout=3s",
        "member",
        "list",
        "-w",
        "json",
    ).stdout
    members = json.loads(out)["members"]
    assert sorted(m["name"] for m in members) == ["etcd-0", "etcd-1", "etcd-2"]
    for m in members:
        assert m["peerURLs"] == [
            f"http://{m['name']}.etcd.openstack-production.svc.cluster.local:2380"
        ]


def _sql(up, host: str, query: str, port: int = 13306):
    password = str(up["secrets"]["galera_admin_password"])
    conn = pymysql.connect(
        host=host, port=port, user="stacksalt_admin", password=password, connect_timeout=10
    )
    with conn, conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def test_galera_three_synced_members_by_dns_and_one_writer(up):
    for pod in ("database-0", "database-1", "database-2"):
        rows = dict(_sql(up, address(up, pod), "SHOW STATUS LIKE 'wsrep_%'"))
        assert rows["wsrep_cluster_size"] == "3" and rows["wsrep_local_state_comment"] == "Synced"
    # every member's writer HAProxy sends the administrator to the same (the leader's) server
    nodes = {
        _sql(up, address(up, pod), "SELECT @@wsrep_node_name")[0][0]
        for pod in up["pods"]
        if pod.startswith("database-")
    }
    assert len(nodes) == 1
    names = _sql(up, address(up, "database-1"), "SELECT @@wsrep_cluster_address")[0][0]
    assert "database-0.database-headless.openstack-production.svc.cluster.local" in names


def _rabbit(up, pod: str, path: str):
    request = urllib.request.Request(f"http://{address(up, pod)}:15672/api/{path}")
    auth = f"stacksalt_admin:{up['secrets']['rabbitmq_admin_password']}"
    import base64

    request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - a project pod
        return json.loads(resp.read())


@pytest.mark.parametrize("instance", ["rpc", "notifications"])
def test_rabbitmq_clusters_of_three_booted_from_their_definitions(up, instance):
    nodes = _rabbit(up, f"{instance}-0", "nodes")
    running = sorted(n["name"] for n in nodes if n["running"])
    assert running == [
        f"rabbit@{instance}-{i}.{instance}-headless.openstack-production.svc.cluster.local"
        for i in range(3)
    ]
    users = {u["name"]: u for u in _rabbit(up, f"{instance}-1", "users")}
    assert "administrator" in users["stacksalt_admin"]["tags"]
    policies = {p["name"] for p in _rabbit(up, f"{instance}-2", "policies")}
    expected = {
        "rpc": {"rpc-message-ttl", "rpc-transient-expiry"},
        "notifications": {"notifications-mirrored"},
    }[instance]
    assert expected <= policies
    if instance == "notifications":  # keystone's Job made its user there
        assert "keystone" in users


def _token(host: str, password: str, port: int = 5000) -> tuple[int, str]:
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
    request = urllib.request.Request(
        f"http://{host}:{port}/v3/auth/tokens",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
            return resp.status, resp.headers["X-Subject-Token"]
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_keystone_jobs_done_and_a_token_on_every_replica_and_through_the_balancer(up):
    for job in ("keystone-db-create", "keystone-mq-user", "keystone-db-sync", "keystone-bootstrap"):
        state = json.loads(sh("docker", "inspect", container(job)).stdout)[0]["State"]
        assert (state["Status"], state["ExitCode"]) == ("exited", 0), job
    password = str(up["secrets"]["keystone_admin_password"])
    replicas = [p for p in up["pods"] if p.startswith("keystone-") and p[-1].isdigit()]
    assert len(replicas) == 3
    tokens = {}
    for pod in replicas:
        status, token = _token(address(up, pod), password)
        assert status == 201, pod
        tokens[pod] = token
    # a token from one replica is valid on another (shared fernet keys, one database)
    first, second = replicas[0], replicas[1]
    request = urllib.request.Request(
        f"http://{address(up, second)}:5000/v3/auth/tokens",
        headers={"X-Auth-Token": tokens[first], "X-Subject-Token": tokens[first]},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
        assert resp.status == 200
    # the API load balancer (a hostNetwork DaemonSet) on every controller's address
    for node in ("haproxy-ctl01", "haproxy-ctl02", "haproxy-ctl03"):
        assert _token(address(up, node), password)[0] == 201, node
    assert _token(address(up, replicas[0]), "wrong-password")[0] == 401


def test_every_job_runs_states_its_image_has(up):
    """The Jobs' commands exist in their images: each '--apply' names states present in the
    built image's /srv/salt, and each daemon's command is an executable of its image."""
    for name, body in up["compose"]["services"].items():
        if body.get("entrypoint") == ["sleep", "infinity"]:
            continue  # a pod or node holder
        args = body.get("command") or []
        if args[:1] == ["--apply"]:
            for state in args[1].split(","):
                path = "/srv/salt/" + state.replace(".", "/")
                check = f"test -f {path}.sls || test -f {path}/init.sls"
                res = sh(
                    "docker",
                    "run",
                    "--rm",
                    "--entrypoint",
                    "/bin/sh",
                    body["image"],
                    "-c",
                    check,
                    check=False,
                )
                assert res.returncode == 0, f"{name}: {state} is not in {body['image']}"
        else:
            cmd = json.loads(sh("docker", "image", "inspect", body["image"]).stdout)[0]
            executable = (args or cmd["Config"]["Cmd"])[0]
            res = sh(
                "docker",
                "run",
                "--rm",
                "--entrypoint",
                "/bin/sh",
                body["image"],
                "-c",
                f"command -v {executable}",
                check=False,
            )
            assert res.returncode == 0, f"{name}: {executable} is not in {body['image']}"


def test_a_restarted_container_applies_its_states_with_no_change(up):
    name = container("keystone-1", "keystone")
    sh("docker", "restart", name, timeout=180)
    # this start's output only (the first start, which wrote the files, may be minutes old)
    since = sh("docker", "inspect", "--format", "{{.State.StartedAt}}", name).stdout.strip()

    def applied() -> str:
        logs = subprocess.run(
            ["docker", "logs", "--since", since, name], capture_output=True, text=True, check=False
        )
        return "\n".join(
            line
            for line in (logs.stdout + logs.stderr).splitlines()
            if line.startswith("stacksalt-entrypoint:")
        )

    lines = wait_for(
        f"{name} to apply its states again",
        lambda: "applied keystone" in applied() and applied(),
        timeout=240,
    )
    assert "changed " not in lines and "FAILED" not in lines, lines
    wait_for(
        f"{name} healthy again",
        lambda: (
            "healthy"
            in sh("docker", "inspect", "--format", "{{.State.Health.Status}}", name).stdout
        ),
        timeout=240,
    )
