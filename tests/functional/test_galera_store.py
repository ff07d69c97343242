"""The Galera cluster's record in etcd (GaleraStore) against a real etcd: the snapshot the
agent decides on, and every write the protocol makes."""

from __future__ import annotations

import json
import time

import pytest

from stacksalt.galera.decision import ClusterState
from stacksalt.galera.facts import SeqnoRecord
from stacksalt.galera.store import RESTART_LOCK, START_LOCK, GaleraStore, prefix

pytestmark = [pytest.mark.requires("etcd"), pytest.mark.usefixtures("etcd")]

UUID = "6b18cdc4-e629-11f1-b1bf-4b7a4d02a440"
OTHER = "0f1e2d3c-e629-11f1-b1bf-4b7a4d02a440"


def record(etcd):
    return GaleraStore.connect([etcd], f"t{time.monotonic_ns()}")


def test_the_record_lives_under_the_cluster_prefix(etcd):
    assert prefix("local") == "/galera/local"
    s = record(etcd)
    s.set_leader("n1")
    assert s.etcd.prefix.startswith("/galera/t")
    assert s.leader() == "n1"


def test_snapshot_reads_every_kind_of_key_at_once(etcd):
    """Every key kind parsed; a bad seqno record ignored; status records not mistaken for
    members; the start lock's holder without its token."""
    s = record(etcd)
    raw = s.etcd
    raw.put("state", "RECOVERY")
    raw.put("uuid", UUID)
    raw.put("leader", "n2")
    raw.put("recovery_started_at", "1700000000.5")
    raw.put("nodes/n2", "1")
    raw.put("queue/n1", "1700000001.0")
    raw.put(
        "seqno/n1",
        json.dumps({"uuid": UUID, "seqno": 74, "safe_to_bootstrap": False, "read_at": 1.0}),
    )
    raw.put("seqno/n3", "not json")
    s.write_status("n1", "{}")
    assert s.try_lock(START_LOCK, "n2/abc", 30)[0]
    state = s.snapshot()
    assert state.state == "RECOVERY"
    assert state.cluster_uuid == UUID
    assert state.leader == "n2"
    assert state.live_nodes == frozenset({"n2"})
    assert state.queue == {"n1": 1700000001.0}
    assert set(state.seqnos) == {"n1"} and state.seqnos["n1"].seqno == 74
    assert state.recovery_started_at == 1700000000.5
    assert state.lock_holder == "n2"


def test_registration_lives_on_its_lease(etcd):
    s = record(etcd)
    lease = s.register("n1", 2, None)
    assert s.live_members() == {"n1"}
    assert s.register("n1", 2, lease) == lease  # refreshed, not replaced
    s.revoke(lease)
    assert s.live_members() == set()
    again = s.register("n1", 2, lease)  # the old lease is gone: a new one
    assert again != lease and s.live_members() == {"n1"}


def test_the_uuid_is_written_once_and_leadership_moves_only_from_the_leader_seen(etcd):
    s = record(etcd)
    assert s.claim_uuid(UUID) == UUID
    assert s.claim_uuid(OTHER) == UUID  # a second cluster is not adopted
    assert s.uuid() == UUID
    assert s.take_leadership(None, "n1")
    assert not s.take_leadership(None, "n2")  # n1 took it meanwhile
    assert s.take_leadership("n1", "n2") and s.leader() == "n2"


def test_a_recovery_is_timed_by_the_first_member_in_and_cleared_when_steady(etcd):
    s = record(etcd)
    s.set_state(ClusterState.STEADY)
    assert s.start_recovery("STEADY")
    assert not s.start_recovery("STEADY")  # another member was first
    started = s.snapshot().recovery_started_at
    assert started is not None
    for n, seqno in (("n1", 10), ("n2", 12)):
        s.publish_position(n, SeqnoRecord(n, UUID, seqno, False, 5.0), 5.0)
    state = s.snapshot()
    assert set(state.queue) == {"n1", "n2"} and state.seqnos["n2"].seqno == 12
    assert state.recovery_started_at == started
    assert s.set_state(ClusterState.STEADY) == "RECOVERY"
    state = s.snapshot()
    assert state.state == "STEADY" and not state.queue and not state.seqnos
    assert state.recovery_started_at is None


def test_a_recovery_requested_by_hand_is_timed_by_the_first_position(etcd):
    s = record(etcd)
    s.set_state(ClusterState.STEADY)
    s.request_recovery()
    assert s.state() == "RECOVERY" and s.snapshot().recovery_started_at is None
    s.publish_position("n1", SeqnoRecord("n1", UUID, 3, False, 7.0), 7.0)
    assert s.snapshot().recovery_started_at == 7.0


def test_statuses_and_the_summary(etcd):
    s = record(etcd)
    s.write_status("n1", json.dumps({"action": "KEEP_RUNNING"}))
    s.write_status("n2", json.dumps({"action": "JOIN"}))
    assert s.status("n1") == {"action": "KEEP_RUNNING"}
    assert s.status() == {"action": "JOIN"}  # the last any member wrote
    assert s.status("n9") == {}
    summary = s.summary()
    assert summary["status"] == {"n1": {"action": "KEEP_RUNNING"}, "n2": {"action": "JOIN"}}
    assert summary["nodes"] == [] and summary["leader"] is None


def test_locks_name_their_holder_and_free_on_unlock(etcd):
    s = record(etcd)
    taken, _holder, lease = s.try_lock(RESTART_LOCK, "n1", 30)
    assert taken and s.lock_holder(RESTART_LOCK).startswith("n1")
    assert not s.try_lock(RESTART_LOCK, "n2", 30)[0]
    s.unlock(RESTART_LOCK, "n1")
    s.revoke(lease)
    assert s.lock_holder(RESTART_LOCK) is None
