"""Rolling restart: a member whose configuration changed restarts in its turn.

A highstate applies a new configuration to every member at once. Restarting them all at once
would take the whole cluster down (a full outage and a recovery), so each member restarts
only while it holds the cluster's restart lock in etcd
(:data:`~stacksalt.galera.store.RESTART_LOCK`, on a lease), and only once the cluster is
whole again (every member Synced), then waits until it is Synced itself before it lets the
next one go. The writer's HAProxy moves clients off a leader
that restarts.

A member needs a restart when one of its configuration files was modified after its agent
started (the agent starts mariadbd, so restarting the agent restarts the server). This makes
the check idempotent: a highstate that wrote the files but failed before the restart is
completed by the next one, and a freshly started member is never restarted for nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from stacksalt.galera.store import RESTART_LOCK, GaleraStore


class RestartError(RuntimeError):
    pass


def process_started_at(pid: int, proc: Path = Path("/proc")) -> float:
    """The wall-clock time (epoch seconds) at which process ``pid`` started.

    ``/proc/<pid>/stat`` field 22 counts clock ticks since boot; ``/proc/stat`` gives the
    boot time. The command name (field 2) may hold spaces and parentheses: split after the
    last ``)``.
    """
    stat = (proc / str(pid) / "stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[19])  # field 22 overall; fields[0] is field 3
    btime = next(
        int(line.split()[1])
        for line in (proc / "stat").read_text().splitlines()
        if line.startswith("btime ")
    )
    return btime + ticks / os.sysconf("SC_CLK_TCK")


def changed_since(files: Iterable[str], started_at: float | None) -> list[str]:
    """The files modified after ``started_at`` (all existing files when nothing runs).

    ``/proc``'s start time has a resolution of one clock tick and ``btime`` of one second:
    a file written within the second before the start counts as older (a state that writes
    its file then starts the agent must not find a restart due).
    """
    out = []
    for name in files:
        try:
            mtime = Path(name).stat().st_mtime
        except FileNotFoundError:
            continue
        if started_at is None or mtime > started_at + 1.0:
            out.append(name)
    return out


@dataclass
class Look:
    """What a member sees: ``ok`` when it is Synced in a whole cluster."""

    ok: bool
    what: str


def restart_in_turn(
    store: GaleraStore,
    node: str,
    restart: Callable[[], None],
    look: Callable[[], Look],
    timeout: float,
    lock_ttl: int = 30,
    interval: float = 1.0,
    whole_first: bool = True,
    log: Callable[[str], None] = lambda _msg: None,
) -> float:
    """Restart this member while it holds the restart lock; returns the seconds it waited
    for its turn. ``look()`` tells whether the cluster is whole and this member Synced.
    ``whole_first=False`` skips the wait before the restart (a member that is not running
    takes nothing away from the cluster).

    Raises :class:`RestartError` when its turn does not come, or it does not come back
    Synced, within ``timeout`` seconds; the lock is released in every case.
    """
    started = time.monotonic()
    deadline = started + timeout
    lease = None
    holder = None
    while lease is None:
        taken, holder, lease = store.try_lock(RESTART_LOCK, node, lock_ttl)
        if taken and lease is None:  # our own lock, left by a run that died: take it anew
            store.unlock(RESTART_LOCK, node)
            continue
        if lease is not None:
            break
        if time.monotonic() > deadline:
            raise RestartError(
                f"{node}: the restart lock is still held by {holder} after {timeout:.0f} s; "
                "no restart done (run the highstate again once that member is Synced)"
            )
        time.sleep(interval)
    waited = time.monotonic() - started
    try:
        if whole_first:
            log(f"{node}: holds the restart lock; waiting until the cluster is whole")
            _wait(store, lease, look, deadline, interval, "whole before the restart")
        log(f"{node}: restarting")
        restart()
        _wait(store, lease, look, deadline, interval, "Synced after the restart")
        log(f"{node}: Synced again")
    finally:
        store.unlock(RESTART_LOCK, node)
        store.revoke(lease)
    return waited


def _wait(store, lease, look, deadline: float, interval: float, what: str) -> None:
    seen = look()
    while not seen.ok:
        if time.monotonic() > deadline:
            raise RestartError(f"the cluster was not {what} in time ({seen.what})")
        store.refresh(lease)
        time.sleep(interval)
        seen = look()
