"""The Galera cluster's record in etcd: the one module that knows its key layout.

The agents, the checks, the rolling restart and the Salt adapters read and write a cluster's
record through :class:`GaleraStore` only. Under ``/galera/<cluster>/``:

==========================  ==========================================================
``state``                   the cluster's state (:class:`~stacksalt.galera.decision.ClusterState`)
``uuid``                    the Galera cluster uuid, written once by the member that
                            bootstrapped it (a second cluster is fenced, never adopted)
``leader``                  the single writer (the writer's HAProxy follows it)
``nodes/<member>``          a live, Synced member, on a lease of a few seconds
``queue/<member>``          when the member entered the recovery barrier (unix time)
``seqno/<member>``          its position for the recovery (:class:`SeqnoRecord` JSON)
``recovery_started_at``     when the recovery began (unix time)
``lock``                    the start lock: one member starts mariadbd at a time (leased)
``restart``                 the rolling-restart lock: one member restarts at a time (leased)
``status/<member>``         the member's last decision and why (JSON)
``status``                  the last decision any member wrote (JSON)
==========================  ==========================================================

Everything here is a round trip to etcd; the decisions on what is read are in
:mod:`stacksalt.galera.decision`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable

from stacksalt.etcdstore import EtcdStore, Lease
from stacksalt.galera.decision import ClusterState, EtcdState
from stacksalt.galera.facts import SeqnoRecord

log = logging.getLogger("stacksalt.galera.store")

START_LOCK = "lock"
RESTART_LOCK = "restart"


def prefix(cluster: str) -> str:
    """Where a cluster's record lives in etcd."""
    return f"/galera/{cluster}"


class GaleraStore:
    """One cluster's record in etcd (see the module's table of keys)."""

    def __init__(self, etcd: EtcdStore):
        self.etcd = etcd

    @classmethod
    def connect(cls, endpoints: Iterable[str], cluster: str, timeout: float | None = None):
        """The record of ``cluster`` on the etcd client URLs ``endpoints``."""
        extra = {} if timeout is None else {"timeout": timeout}
        return cls(EtcdStore(list(endpoints), prefix(cluster), **extra))

    # -- reads ---------------------------------------------------------------------------------

    def snapshot(self) -> EtcdState:
        """The whole record, read with one range request (one consistent revision, and one
        round trip instead of eight on a loaded machine)."""
        snap = self.etcd.get_prefix("")
        seqnos = {}
        nodes, queue = [], {}
        for key, text in snap.items():
            kind, _, name = key.partition("/")
            if not name:
                continue
            if kind == "seqno":
                try:
                    seqnos[name] = SeqnoRecord.from_json(name, text)
                except ValueError as exc:
                    log.warning("ignoring bad seqno record: %s", exc)
            elif kind == "nodes":
                nodes.append(name)
            elif kind == "queue":
                queue[name] = float(text)
        started = snap.get("recovery_started_at")
        holder = snap.get(START_LOCK)
        return EtcdState(
            state=snap.get("state"),
            cluster_uuid=snap.get("uuid"),
            leader=snap.get("leader"),
            live_nodes=frozenset(nodes),
            queue=queue,
            seqnos=seqnos,
            lock_holder=holder.split("/", 1)[0] if holder else None,
            recovery_started_at=float(started) if started else None,
        )

    def state(self) -> str | None:
        return self.etcd.get("state")

    def uuid(self) -> str | None:
        return self.etcd.get("uuid")

    def leader(self) -> str | None:
        return self.etcd.get("leader")

    def live_members(self) -> set[str]:
        return set(self.etcd.get_prefix("nodes"))

    def status(self, member: str | None = None) -> dict:
        """The last decision of ``member`` (of any member when None), {} when none."""
        text = self.etcd.get(f"status/{member}" if member else "status")
        return json.loads(text) if text else {}

    def statuses(self) -> dict[str, dict]:
        return {k: json.loads(v) for k, v in self.etcd.get_prefix("status").items()}

    def summary(self) -> dict:
        """What an operator asks first: state, uuid, leader, live members, their status."""
        return {
            "state": self.state(),
            "uuid": self.uuid(),
            "leader": self.leader(),
            "nodes": sorted(self.live_members()),
            "status": self.statuses(),
        }

    # -- the member's own records --------------------------------------------------------------

    def register(self, member: str, ttl: int, lease: Lease | None) -> Lease:
        """Keep ``nodes/<member>`` alive on ``lease`` (a new one of ``ttl`` s when it expired
        or there is none); the lease in use is returned."""
        if lease is not None and self.etcd.refresh(lease):
            return lease
        lease = self.etcd.grant(ttl)
        self.etcd.put(f"nodes/{member}", str(int(time.time())), lease=lease)
        return lease

    def write_status(self, member: str, text: str) -> None:
        self.etcd.put(f"status/{member}", text)
        self.etcd.put("status", text)

    def publish_position(self, member: str, record: SeqnoRecord, now: float) -> None:
        """Enter the recovery barrier with the member's position; the first to enter a
        recovery nobody timed yet starts its clock."""
        if (
            self.state() == str(ClusterState.RECOVERY)
            and not self.etcd.get("recovery_started_at")
            and not self.etcd.get_prefix("queue")
        ):
            self.etcd.compare_and_put("recovery_started_at", None, str(now))
        self.etcd.put(f"queue/{member}", str(now))
        self.etcd.put(f"seqno/{member}", record.to_json())

    # -- cluster-wide records ------------------------------------------------------------------

    def set_state(self, new_state: ClusterState) -> str | None:
        """Write the cluster state; back in STEADY, the recovery's barrier is cleared. The
        previous state is returned (unchanged when it was already ``new_state``)."""
        current = self.state()
        if current == str(new_state):
            return current
        self.etcd.put("state", str(new_state))
        if new_state is ClusterState.STEADY:
            for kind in ("queue", "seqno"):
                for name in self.etcd.get_prefix(kind):
                    self.etcd.delete(f"{kind}/{name}")
            self.etcd.delete("recovery_started_at")
        return current

    def start_recovery(self, current: str | None) -> bool:
        """Move the cluster from ``current`` to RECOVERY, unless another member did first."""
        if self.etcd.compare_and_put("state", current, str(ClusterState.RECOVERY)):
            self.etcd.put("recovery_started_at", str(time.time()))
            return True
        return False

    def request_recovery(self) -> None:
        """An operator's full recovery: RECOVERY whatever the state was."""
        self.etcd.put("state", str(ClusterState.RECOVERY))

    def claim_uuid(self, uuid: str) -> str | None:
        """Record the uuid of a cluster just bootstrapped, never overwriting one: the uuid
        stored afterwards is returned (another one means a second cluster)."""
        if self.etcd.compare_and_put("uuid", None, uuid):
            return uuid
        return self.uuid()

    def set_leader(self, member: str) -> None:
        self.etcd.put("leader", member)

    def take_leadership(self, previous: str | None, member: str) -> bool:
        """``member`` becomes the leader if the leader is still ``previous``."""
        return self.etcd.compare_and_put("leader", previous, member)

    # -- locks and leases ----------------------------------------------------------------------

    def try_lock(self, name: str, member: str, ttl: int) -> tuple[bool, str | None, Lease | None]:
        """Take the lock ``name`` (:data:`START_LOCK`, :data:`RESTART_LOCK`) for ``member``."""
        return self.etcd.try_lock(name, member, ttl)

    def lock_holder(self, name: str) -> str | None:
        """Who holds the lock ``name`` (``<member>/<token>``), None when it is free."""
        return self.etcd.get(name)

    def unlock(self, name: str, member: str) -> None:
        self.etcd.unlock(name, member)

    def refresh(self, lease: Lease) -> bool:
        return self.etcd.refresh(lease)

    def revoke(self, lease: Lease) -> None:
        self.etcd.revoke(lease)
