"""The rolling restart's turn-taking against a real etcd: members that all find a restart
due (a highstate on every member at once) restart one at a time, each only once the cluster
is whole, and the lock is released when a restart fails.

The members here are stand-ins (a restart takes a moment and takes the member out of the
cluster); the real thing runs on the local cluster (tests/integration/test_local_galera.py).
"""

from __future__ import annotations

import threading
import time

import pytest

from stacksalt.galera import restart
from stacksalt.galera.store import RESTART_LOCK, GaleraStore

pytestmark = [pytest.mark.requires("etcd"), pytest.mark.usefixtures("etcd")]


class Cluster:
    """Three members; ``down`` holds those restarting."""

    def __init__(self):
        self.down: set[str] = set()
        self.lock = threading.Lock()
        self.most_down = 0
        self.order: list[str] = []

    def look(self) -> restart.Look:
        with self.lock:
            return restart.Look(not self.down, f"down: {sorted(self.down)}")

    def restarter(self, node: str):
        def run():
            with self.lock:
                self.down.add(node)
                self.most_down = max(self.most_down, len(self.down))
                self.order.append(node)
            time.sleep(0.3)
            with self.lock:
                self.down.discard(node)

        return run


def test_members_restart_one_at_a_time(etcd):
    store = GaleraStore.connect([etcd], f"t{time.monotonic_ns()}")
    cluster = Cluster()
    errors = []

    def member(node):
        try:
            restart.restart_in_turn(
                store, node, cluster.restarter(node), cluster.look, timeout=30, interval=0.05
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=member, args=(n,)) for n in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(cluster.order) == ["a", "b", "c"]
    assert cluster.most_down == 1
    assert store.lock_holder(RESTART_LOCK) is None


def test_a_failed_restart_releases_the_lock(etcd):
    store = GaleraStore.connect([etcd], f"t{time.monotonic_ns()}")

    def fails():
        raise restart.RestartError("systemctl restart stacksalt-galera failed")

    with pytest.raises(restart.RestartError, match="failed"):
        restart.restart_in_turn(store, "a", fails, lambda: restart.Look(True, "ok"), timeout=5)
    assert store.lock_holder(RESTART_LOCK) is None


def test_no_turn_within_the_timeout_is_a_clear_error(etcd):
    store = GaleraStore.connect([etcd], f"t{time.monotonic_ns()}")
    taken, _, _lease = store.try_lock(RESTART_LOCK, "b", 30)
    assert taken
    with pytest.raises(restart.RestartError, match="still held by b"):
        restart.restart_in_turn(
            store, "a", lambda: None, lambda: restart.Look(True, "ok"), timeout=1, interval=0.1
        )


def test_a_member_that_never_comes_back_fails_and_frees_the_turn(etcd):
    store = GaleraStore.connect([etcd], f"t{time.monotonic_ns()}")
    state = {"up": True}

    def restart_never_returns():
        state["up"] = False

    with pytest.raises(restart.RestartError, match="Synced after the restart"):
        restart.restart_in_turn(
            store,
            "a",
            restart_never_returns,
            lambda: restart.Look(state["up"], "Joining"),
            timeout=1,
            interval=0.1,
        )
    assert store.lock_holder(RESTART_LOCK) is None
