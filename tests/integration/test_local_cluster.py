"""Integration: the local cluster from the README's main job, checked with testinfra.

Brings the cluster up from scratch through ``stacksalt up`` (real salt-master on cfg01, real
minions with pre-seeded keys, real etcd), verifies the hosts, then checks idempotency.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import testinfra

from stacksalt.cluster import runtime
from stacksalt.model.loader import Model

pytestmark = [pytest.mark.integration, pytest.mark.requires("docker")]

ROOT = Path(__file__).resolve().parents[2]
# A highstate of the five nodes that changes nothing: 10 s measured, minutes when loaded.
HIGHSTATE_TIMEOUT = 600


def host(topo, hostname):
    return testinfra.get_host(f"docker://stacksalt-{topo.cluster}-{hostname}")


def pillar(node):
    return Model(ROOT / "reclass_model").pillar(node)


def test_hostname_and_hosts_file_follow_the_model(cluster):
    for node in cluster.nodes:
        h = host(cluster, node.hostname)
        assert h.check_output("hostname") == node.hostname
        assert h.file("/etc/hostname").content_string.strip() == node.hostname
        hosts = h.file("/etc/hosts").content_string
        for entry in pillar(node.id)["linux"]["network"]["host"].values():
            line = f"{entry['address']}\t\t{' '.join(entry['names'])}"
            assert line in hosts, f"{node.id}: {line!r} missing from /etc/hosts"


def test_sysctl_persisted_and_live(cluster):
    h = host(cluster, "ctl01")
    conf = h.file("/etc/sysctl.d/90-stacksalt.conf")
    assert conf.contains("net.core.somaxconn = 4096")
    assert h.check_output("sysctl -n net.core.somaxconn") == "4096"


def test_salt_minion_running_with_model_config(cluster):
    for node in cluster.nodes:
        h = host(cluster, node.hostname)
        svc = h.service("salt-minion")
        assert svc.is_running and svc.is_enabled
        conf = h.file("/etc/salt/minion.d/stacksalt.conf")
        assert conf.contains(f"master: {cluster.master.address}")
        assert conf.contains("Managed by Salt")
        key = h.file("/etc/salt/pki/minion/minion.pem")
        assert key.mode == 0o400


def test_master_accepted_exactly_the_model_nodes(cluster):
    master = host(cluster, cluster.master.hostname)
    assert master.service("salt-master").is_running
    keys = json.loads(master.check_output("salt-key -L --out=json"))
    assert sorted(keys["minions"]) == sorted(n.id for n in cluster.nodes)
    assert keys["minions_pre"] == [] and keys["minions_rejected"] == []
    conf = master.file("/etc/salt/master.d/stacksalt.conf").content_string
    assert "auto_accept: false" in conf
    assert "reclass:" in conf and "master_tops:" in conf


def test_etcd_has_three_healthy_members(cluster):
    ctl = [n for n in cluster.nodes if n.hostname.startswith("ctl")]
    endpoints = ",".join(f"http://{n.address}:2379" for n in ctl)
    h = host(cluster, "ctl01")
    assert h.service("etcd").is_running
    members = json.loads(
        h.check_output(
            f"ETCDCTL_API=3 etcdctl --dial-timeout=3s --endpoints={endpoints} member list -w json"
        )
    )
    assert sorted(m["name"] for m in members["members"]) == ["ctl01", "ctl02", "ctl03"]
    health = json.loads(
        h.check_output(
            f"ETCDCTL_API=3 etcdctl --dial-timeout=3s --endpoints={endpoints} endpoint health "
            "-w json"
        )
    )
    assert len(health) == 3 and all(e["health"] for e in health)
    # a write on one member is read on another
    h.check_output(
        f"ETCDCTL_API=3 etcdctl --endpoints=http://{ctl[0].address}:2379 put /stacksalt/it works"
    )
    got = host(cluster, "ctl03").check_output(
        f"ETCDCTL_API=3 etcdctl --endpoints=http://{ctl[2].address}:2379 get --print-value-only "
        "/stacksalt/it"
    )
    assert got == "works"


def test_computes_run_no_etcd(cluster):
    h = host(cluster, "cmp01")
    assert not h.service("etcd").is_running


def test_second_highstate_reports_zero_changes(cluster):
    rows = runtime.highstate(runtime.client(), cluster, timeout=HIGHSTATE_TIMEOUT)
    assert all(r.ok for r in rows), [(r.node, r.failures, r.error) for r in rows]
    assert {r.node: r.changes for r in rows if r.changed} == {}


def test_test_mode_predicts_zero_changes(cluster):
    rows = runtime.highstate(runtime.client(), cluster, test=True, timeout=HIGHSTATE_TIMEOUT)
    assert all(r.ok for r in rows)
    assert sum(r.changed for r in rows) == 0
