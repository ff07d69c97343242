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
