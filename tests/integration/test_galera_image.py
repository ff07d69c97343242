"""The Galera image for real: a one-member cluster (the container role, single-node) in the
stacksalt/galera image, its state in etcd run from the stacksalt/etcd image.

The entrypoint renders /etc/mysql/galera.cnf and /etc/stacksalt/galera.yaml from the run-time
pillar, then execs the agent as the container's one daemon; the agent bootstraps the cluster
(etcd: state STEADY, uuid set). Then a full outage: the container is killed (SIGKILL, no clean
shutdown) and started again, and the agent must bring its member back by itself, through
recovery, bootstrapping from its own data: Synced again, same cluster uuid, the row written
before the kill still there.

Builds on a snapshot of the tree as images ``stacksalt-gtest/<name>:<tag>``, on the private
network ``stacksalt-gtest``; containers, network and images are removed at the end.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from stacksalt.etcdstore import EtcdUnavailable
from stacksalt.galera.store import GaleraStore
from stacksalt.images import plan as plan_mod
from stacksalt.images.cli import main
from stacksalt.images.context import Project
from stacksalt.paths import state_dir
from tests.integration import helpers
from tests.integration.helpers import container_logs, sh, snapshot, wait_while_running

pytestmark = [
    pytest.mark.integration,
    pytest.mark.requires("docker"),
]

ROOT = Path(__file__).resolve().parents[2]
NS = "stacksalt-gtest"
NET = "stacksalt-gtest"
SUBNET = "10.78.9.0/24"
ETCD_ADDRESS = "10.78.9.2"
CLUSTER = "gtest"


def cleanup() -> None:
    """Only what this module makes: its containers and network. The images are the shared,
    content-tagged ones (built once per run, whichever module needs them first)."""
    helpers.cleanup(f"{NS}-", NET)


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    """The galera and etcd images (and salt-base) built with 'stacksalt images build'."""
    cleanup()
    try:
        root = snapshot(tmp_path_factory.mktemp("galera-image") / "tree")
        args = ["--root", str(root), "--state", str(state_dir()), "images", "build"]
        assert main([*args, "--workers", "2", "galera", "etcd"]) == 0
        project = Project.load(root, state_dir())
        steps = plan_mod.resolve(project.gather({"salt-base", "etcd", "galera"}))
        sh("docker", "network", "create", "--subnet", SUBNET, NET)
        yield {name: project.images.ref(name, steps[name]["tag"]) for name in ("etcd", "galera")}
    finally:
        cleanup()


def run(image: str, name: str, address: str, pillar: dict) -> str:
    sh(
        "docker",
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        name,
        "--network",
        NET,
        "--ip",
        address,
        "-e",
        f"STACKSALT_PILLAR_JSON={json.dumps(pillar)}",
        image,
    )
    return name


@pytest.fixture(scope="module")
def etcd(refs):
    name = f"{NS}-etcd"
    pillar = {
        "etcd": {
            "server": {
                "name": "etcd1",
                "bind": {"host": ETCD_ADDRESS},
                "members": [{"name": "etcd1", "host": ETCD_ADDRESS}],
            }
        }
    }
    run(refs["etcd"], name, ETCD_ADDRESS, pillar)
    endpoint = f"http://{ETCD_ADDRESS}:2379"
    health = ["etcdctl", "--dial-timeout=2s", f"--endpoints={endpoint}", "endpoint", "health"]

    def healthy() -> bool:
        return sh("docker", "exec", name, *health, check=False).returncode == 0

    wait_while_running("etcd health", healthy, name)
    yield endpoint
    sh("docker", "rm", "-f", name)


def sql(container: str, query: str, check: bool = True) -> str:
    """SQL as root on the local socket (unix_socket auth); the query on stdin."""
    cmd = ["docker", "exec", "-i", container, "mariadb", "-N", "-B"]
    res = sh(*cmd, input_text=query, check=False)
    if check and res.returncode != 0:
        raise AssertionError(f"{container}: {query!r} exited {res.returncode}: {res.stderr}")
    return res.stdout


def wsrep(container: str) -> dict[str, str]:
    out = sql(container, "SHOW GLOBAL STATUS LIKE 'wsrep%';", check=False)
    return dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)


def synced(container: str, size: int) -> dict[str, str] | None:
    status = wsrep(container)
    if (
        status.get("wsrep_local_state_comment") == "Synced"
        and status.get("wsrep_ready") == "ON"
        and status.get("wsrep_cluster_size") == str(size)
    ):
        return status
    return None


def etcd_state(store: GaleraStore) -> str | None:
    try:
        return store.state()
    except EtcdUnavailable:
        return None


def ready(container: str) -> subprocess.CompletedProcess:
    return sh(
        "docker",
        "exec",
        container,
        "/opt/salt/bin/python3",
        "-m",
        "stacksalt.galera.check",
        "ready",
        check=False,
    )


def member_pillar(cluster: str, node: str, members: dict[str, str], etcd: str) -> dict:
    """The run-time pillar of one member: its name and address, the members, etcd."""
    return {
        "galera": {
            "server": {
                "cluster_name": cluster,
                "name": node,
                "bind": {"address": members[node]},
                "members": [{"name": n, "address": a} for n, a in members.items()],
                "cluster_size": len(members),
                "etcd": {"endpoints": [etcd]},
            }
        }
    }


def test_single_member_bootstraps_and_recovers_from_a_full_outage(refs, etcd):
    name, address = f"{NS}-galera1", "10.78.9.11"
    run(
        refs["galera"], name, address, member_pillar(CLUSTER, "galera1", {"galera1": address}, etcd)
    )
    store = GaleraStore.connect([etcd], CLUSTER)

    # Bootstrap: Synced, etcd STEADY with the cluster's uuid, the readiness check passes.
    status = wait_while_running("the first bootstrap", lambda: synced(name, 1), name)
    wait_while_running("state STEADY", lambda: etcd_state(store) == "STEADY", name)
    uuid = store.uuid()
    assert uuid == status["wsrep_cluster_state_uuid"].lower()
    assert store.leader() == "galera1"
    check = wait_while_running("the readiness check", lambda: ready(name).returncode == 0, name, 60)
    assert check
    log = container_logs(name)
    assert "stacksalt-entrypoint: applied galera" in log
    assert "BOOTSTRAP_NEW_CLUSTER" in log
    # The config comes from the run-time pillar; the agent is PID 1, mariadbd runs as mysql.
    cnf = sh("docker", "exec", name, "cat", "/etc/mysql/galera.cnf").stdout
    assert f"wsrep_cluster_address = gcomm://{address}\n" in cnf
    assert f"wsrep_cluster_name = {CLUSTER}\n" in cnf
    agent_conf = sh("docker", "exec", name, "cat", "/etc/stacksalt/galera.yaml").stdout
    assert f"- {etcd}" in agent_conf
    cmdline = sh("docker", "exec", name, "cat", "/proc/1/cmdline").stdout.split("\0")
    assert cmdline[:3] == ["/opt/salt/bin/python3", "-m", "stacksalt.galera.agent"]
    users = sh("docker", "exec", name, "ps", "-o", "user=", "-C", "mariadbd").stdout.split()
    assert users == ["mysql"]

    sql(
        name,
        "CREATE DATABASE gtest; CREATE TABLE gtest.rows (id INT PRIMARY KEY, v VARCHAR(32));"
        "INSERT INTO gtest.rows VALUES (1, 'written before the kill');",
    )

    # Full outage of the one-member cluster: SIGKILL, no shutdown, grastate.dat seqno -1.
    sh("docker", "kill", "-s", "KILL", name)
    sh("docker", "start", name)
    status = wait_while_running("recovery to Synced", lambda: synced(name, 1), name)
    wait_while_running("state STEADY again", lambda: etcd_state(store) == "STEADY", name)
    assert status["wsrep_cluster_state_uuid"].lower() == uuid
    assert store.uuid() == uuid
    assert ready(name).returncode == 0
    log = container_logs(name)
    for action in ("START_RECOVERY", "PUBLISH_SEQNO", "RECOVERY_BOOTSTRAP"):
        assert action in log, f"{action} not in the agent's log:\n{log}"
    assert log.count("BOOTSTRAP_NEW_CLUSTER") == 1  # from its data, not a new cluster
    assert sql(name, "SELECT v FROM gtest.rows WHERE id = 1;") == "written before the kill\n"
    sh("docker", "rm", "-f", name)


def test_three_members_build_a_cluster_and_recover_from_a_full_outage(refs, etcd):
    """The cluster role in three containers: one bootstraps, two join by SST (mariabackup);
    all three killed at once and started again come back as one cluster with every row."""
    cluster = "gtest3"
    members = {f"galera{i}": f"10.78.9.{20 + i}" for i in (1, 2, 3)}
    names = {node: f"{NS}-{cluster}-{node}" for node in members}
    for node, address in members.items():
        run(refs["galera"], names[node], address, member_pillar(cluster, node, members, etcd))
    store = GaleraStore.connect([etcd], cluster)
    for name in names.values():
        wait_while_running("the cluster of three", lambda name=name: synced(name, 3), name)
    wait_while_running("state STEADY", lambda: etcd_state(store) == "STEADY", names["galera1"])
    uuid = store.uuid()
    first = names["galera1"]
    assert wsrep(first)["wsrep_cluster_state_uuid"].lower() == uuid
    bootstrapped = [n for n in names.values() if "BOOTSTRAP_NEW_CLUSTER" in container_logs(n)]
    assert len(bootstrapped) == 1, bootstrapped
    sql(
        first,
        "CREATE DATABASE gtest; CREATE TABLE gtest.rows (id INT PRIMARY KEY, v VARCHAR(32));"
        "INSERT INTO gtest.rows VALUES (1, 'written before the kill');",
    )
    for name in names.values():  # the row is replicated before the outage
        wait_while_running(
            "the row", lambda name=name: sql(name, "SELECT v FROM gtest.rows;"), name, 30
        )

    sh("docker", "kill", "-s", "KILL", *names.values())
    sh("docker", "start", *names.values())
    for name in names.values():
        status = wait_while_running(
            "recovery of all three", lambda name=name: synced(name, 3), name
        )
        assert status["wsrep_cluster_state_uuid"].lower() == uuid
    wait_while_running("state STEADY again", lambda: etcd_state(store) == "STEADY", first)
    assert store.uuid() == uuid
    recovered = [n for n in names.values() if "RECOVERY_BOOTSTRAP" in container_logs(n)]
    assert len(recovered) == 1, recovered  # one member bootstraps from its data, two join
    for name in names.values():
        assert sql(name, "SELECT v FROM gtest.rows WHERE id = 1;") == "written before the kill\n"
        assert ready(name).returncode == 0
    sh("docker", "rm", "-f", *names.values())
