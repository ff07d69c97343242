"""EtcdStore against a real etcd: keys, compare-and-put, leases, the lock, failover."""

from __future__ import annotations

import time

import pytest

from stacksalt.etcdstore import EtcdStore, EtcdUnavailable

pytestmark = [pytest.mark.requires("etcd"), pytest.mark.usefixtures("etcd")]


def store(url, prefix="/t"):
    return EtcdStore([url], f"{prefix}/{time.monotonic_ns()}")


def test_keys_and_prefix(etcd):
    s = store(etcd)
    assert s.get("state") is None
    s.put("state", "STEADY")
    s.put("nodes/a", "1")
    s.put("nodes/b", "2")
    assert s.get("state") == "STEADY"
    assert s.get_prefix("nodes") == {"a": "1", "b": "2"}
    s.delete("nodes/a")
    assert s.get_prefix("nodes") == {"b": "2"}


def test_compare_and_put(etcd):
    s = store(etcd)
    assert s.compare_and_put("leader", None, "a") is True
    assert s.compare_and_put("leader", None, "b") is False
    assert s.compare_and_put("leader", "x", "b") is False
    assert s.compare_and_put("leader", "a", "b") is True
    assert s.get("leader") == "b"


def test_lease_expiry_removes_key(etcd):
    s = store(etcd)
    lease = s.grant(2)
    s.put("nodes/a", "1", lease=lease)
    assert s.refresh(lease) is True
    s.revoke(lease)
    assert s.get("nodes/a") is None


def test_lock_is_exclusive_and_released_by_owner_only(etcd):
    s = store(etcd)
    taken, holder, lease = s.try_lock("lock", "a", 10)
    assert taken and holder == "a" and lease is not None
    taken_b, holder_b, lease_b = s.try_lock("lock", "b", 10)
    assert (taken_b, holder_b, lease_b) == (False, "a", None)
    assert s.unlock("lock", "b") is False
    assert s.unlock("lock", "a") is True
    taken_b, holder_b, _ = s.try_lock("lock", "b", 10)
    assert taken_b and holder_b == "b"


def test_failover_to_a_live_endpoint_and_clear_error(etcd, dead_url):
    s = EtcdStore([dead_url, etcd], "/t/failover", timeout=1)
    s.put("k", "v")
    assert s.get("k") == "v"
    with pytest.raises(EtcdUnavailable, match="no etcd endpoint answered"):
        EtcdStore([dead_url], "/t/x", timeout=1).get("k")


def test_expired_lease_is_not_an_outage(etcd):
    s = store(etcd)
    lease = s.grant(2)
    s.revoke(lease)
    s.revoke(lease)  # already gone: no error, and certainly not "etcd unreachable"
    assert s.refresh(lease) is False


def test_galera_agent_reads_the_cluster_state_in_one_snapshot(etcd, tmp_path):
    """The agent's view of /galera/<cluster>/ from one range read: every key kind parsed,
    a bad seqno record ignored, status records not mistaken for members."""
    from stacksalt.galera import mysqld
    from stacksalt.galera.agent import Agent, AgentConfig

    s = store(etcd, "/galera/snap")
    s.put("state", "RECOVERY")
    s.put("uuid", "6b18cdc4-e629-11f1-b1bf-4b7a4d02a440")
    s.put("leader", "n2")
    s.put("recovery_started_at", "1700000000.5")
    s.put("nodes/n2", "1")
    s.put("queue/n1", "1700000001.0")
    s.put(
        "seqno/n1",
        '{"uuid": "6b18cdc4-e629-11f1-b1bf-4b7a4d02a440", "seqno": 74, '
        '"safe_to_bootstrap": false, "read_at": 1700000001.0}',
    )
    s.put("seqno/n3", "not json")
    s.put("status/n1", "{}")
    assert s.try_lock("lock", "n2/abc", 30)[0]
    members = [{"name": f"n{i}", "address": f"10.0.0.{i}"} for i in (1, 2, 3)]
    cfg = AgentConfig(
        cluster="snap",
        node="n1",
        address="10.0.0.1",
        members=members,
        etcd_endpoints=[etcd],
        mysqld=mysqld.MysqldConfig(datadir=str(tmp_path), socket=str(tmp_path / "s")),
        runtime_dir=str(tmp_path / "run"),
        haproxy_enabled=False,
    )
    state = Agent(cfg, s).etcd_state()
    assert state.state == "RECOVERY"
    assert state.cluster_uuid == "6b18cdc4-e629-11f1-b1bf-4b7a4d02a440"
    assert state.leader == "n2"
    assert state.live_nodes == frozenset({"n2"})
    assert state.queue == {"n1": 1700000001.0}
    assert set(state.seqnos) == {"n1"} and state.seqnos["n1"].seqno == 74
    assert state.recovery_started_at == 1700000000.5
    assert state.lock_holder == "n2"
