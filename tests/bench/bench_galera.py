#!/usr/bin/env python3
"""Galera benchmark (``make bench-galera``): prints numbers, asserts nothing.

On the local cluster's three controllers (brought up if it is not running):

- empty → 3 Synced: the agents start on wiped datadirs with no state in etcd;
- full-outage recovery: ``kill -9`` of every mariadbd, until 3 Synced again, with no
  operator: once during writes, once with no client; and, in the same run, the bare minimum
  done by hand after the same crash (``--wsrep-recover`` on each, bootstrap the winner, two
  joins with their start positions). The ratio automatic / by hand is the figure of merit
  (target ≤ 1.5). It is taken with no client in both, as the hand sequence has no writer
  (the agents, and so the writer's HAProxy, are down); the ratio of the recovery during
  writes to the same hand sequence is printed beside it. On this 2-core machine the writer
  roughly doubles each join (IST of its rows, and the CPU the writer, HAProxy and mariadbd
  share);
- acknowledged rows lost (must be 0);
- resident memory of each member's mariadbd;
- a configuration change applied to all three at once: how long the rolling restart takes,
  the fewest Synced members seen meanwhile (2 means never an outage), rows lost.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stacksalt.cluster import image, runtime  # noqa: E402
from stacksalt.paths import state_dir  # noqa: E402
from tests.integration.helpers import CTL, dexec, wait_for  # noqa: E402
from tests.integration.test_local_galera import (  # noqa: E402
    Writer,
    all_synced,
    apply_galera,
    prepare_writer,
    sql,
    store,
    watching_synced,
    wsrep,
)

MYSQLD = "/usr/sbin/mariadbd --defaults-file=/etc/mysql/galera.cnf --user=mysql"


def line(name: str, value: str) -> None:
    print(f"{name:<52} {value}", flush=True)


def wait_synced(timeout: float = 600) -> float:
    t0 = time.monotonic()
    wait_for("3 Synced members", all_synced, timeout=timeout, interval=0.1)
    return time.monotonic() - t0


def lost_rows(acked: list[int]) -> int:
    want = set(acked)
    worst = 0
    for node in CTL:
        have = {int(x) for x in sql(node, "SELECT id FROM writes_test.t;").split()}
        worst = max(worst, len(want - have))
    return worst


def empty_to_synced() -> float:
    for node in CTL:
        dexec(node, "systemctl stop stacksalt-galera")
    for node in CTL:
        dexec(node, "rm -rf /var/lib/mysql/* && chown mysql:mysql /var/lib/mysql")
    s = store()
    for name in ["state", "uuid", "leader", "recovery_started_at", "lock", "status"]:
        s.delete(name)
    for prefix in ("nodes", "queue", "seqno", "status"):
        for key in s.get_prefix(prefix):
            s.delete(f"{prefix}/{key}")
    t0 = time.monotonic()
    for node in CTL:
        dexec(node, "systemctl start stacksalt-galera")
    wait_synced()
    return time.monotonic() - t0


def outage() -> float:
    """``kill -9`` of every mariadbd at once, as a power cut would, then the seconds until 3
    members are Synced again. (One after the other, docker exec spreads the kills over
    seconds on a loaded machine and the agents start a rejoin in between.)"""
    t0 = time.monotonic()
    killers = [threading.Thread(target=dexec, args=(n, "pkill -9 -x mariadbd")) for n in CTL]
    for k in killers:
        k.start()
    for k in killers:
        k.join()
    wait_synced()
    return time.monotonic() - t0


def automatic_recovery_idle() -> float:
    """The same crash with no client: the agents' recovery under the hand sequence's
    conditions."""
    wait_synced()
    time.sleep(2)
    return outage()


def automatic_recovery(password: str) -> tuple[float, int, int]:
    writer = Writer(password)
    writer.start()
    writer.wait_more(50, timeout=120)
    took = outage()
    writer.wait_more(20, timeout=120)
    writer.halt.set()
    writer.join(timeout=30)
    return took, len(writer.acked), lost_rows(writer.acked)


def rolling_restart(password: str, topo) -> tuple[float, int, int, int]:
    """A configuration change applied to the three controllers at once: the time of the
    ``state.apply galera`` (three restarts in turn), the fewest Synced members seen, rows
    acknowledged and lost. The model's configuration is put back afterwards (not timed)."""
    writer = Writer(password)
    writer.start()
    writer.wait_more(20, timeout=120)
    with watching_synced() as synced:
        t0 = time.monotonic()
        apply_galera(topo, {"galera": {"server": {"max_connections": 499}}})
        took = time.monotonic() - t0
    writer.wait_more(20, timeout=120)
    writer.halt.set()
    writer.join(timeout=30)
    apply_galera(topo, None)
    wait_synced()
    return took, min(synced, default=0), len(writer.acked), lost_rows(writer.acked)


def recovered(node: str) -> tuple[str, int]:
    out = dexec(
        node,
        f"{MYSQLD} --wsrep-recover --log-error=/tmp/recover.log >/dev/null 2>&1; "
        "grep 'Recovered position' /tmp/recover.log | tail -1",
    )
    pos = out.strip().rsplit("Recovered position:", 1)[1].strip().split(",")[0]
    uuid, seqno = pos.rsplit(":", 1)
    return uuid, int(seqno)


def synced(node: str) -> bool:
    w = wsrep(node)
    return w.get("wsrep_local_state_comment") == "Synced" and w.get("wsrep_ready") == "ON"


def manual_recovery() -> float:
    """The same crash, then only what an operator must do, as fast as a script can."""
    for node in CTL:  # crash everything, agents included: nothing automatic runs now
        dexec(
            node,
            # SIGKILL the agent and its children, then stop it: no Restart=always comeback
            "systemctl kill -s SIGKILL stacksalt-galera; systemctl stop stacksalt-galera; "
            "pkill -9 -x mariadbd",
            check=False,
        )
    time.sleep(1)
    t0 = time.monotonic()
    positions = {node: recovered(node) for node in CTL}
    winner = max(CTL, key=lambda n: (positions[n][1], -CTL.index(n)))
    dexec(
        winner,
        "sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "
        "/var/lib/mysql/grastate.dat && mkdir -p /run/mysqld && chown mysql /run/mysqld",
    )
    # with its recovered position, or Galera starts a new history (a new cluster uuid, which
    # the agents would rightly fence afterwards)
    w_uuid, w_seqno = positions[winner]
    dexec(
        winner,
        f"setsid {MYSQLD} --wsrep-new-cluster --wsrep-start-position={w_uuid}:{w_seqno} "
        ">/dev/null 2>&1 < /dev/null &",
    )
    wait_for(f"{winner} Synced", lambda: synced(winner), timeout=300, interval=0.1)
    for node in CTL:
        if node == winner:
            continue
        uuid, seqno = positions[node]
        dexec(
            node,
            "mkdir -p /run/mysqld && chown mysql /run/mysqld && setsid "
            f"{MYSQLD} --wsrep-start-position={uuid}:{seqno} >/dev/null 2>&1 < /dev/null &",
        )
        wait_for(f"{node} Synced", lambda n=node: synced(n), timeout=300, interval=0.1)
    took = time.monotonic() - t0
    line("same crash, bare minimum by hand", f"{took:.1f} s")
    # hand the members back to their agents (clean stop, then the agents recover them)
    for node in CTL:
        dexec(
            node, "pkill -TERM -x mariadbd; while pgrep -x mariadbd >/dev/null; do sleep 0.2; done"
        )
    for node in CTL:
        dexec(node, "systemctl start stacksalt-galera")
    wait_synced()
    return took


def rss() -> str:
    out = []
    for node in CTL:
        kb = dexec(node, "ps -o rss= -C mariadbd | head -1").strip()
        out.append(f"{node} {int(kb) / 1024:.0f} MiB")
    return ", ".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()
    cli = runtime.client()
    topo = runtime.topology(ROOT, "local")
    running = {c.name for c in cli.containers.list()}
    was_up = all(topo.container(n) in running for n in topo.nodes)
    if not was_up:
        host_image = image.ensure_host_image(ROOT, state_dir(), log=lambda _m: None)
        runtime.up(ROOT, state_dir(), "local", host_image, log=lambda _m: None)
    # no wait for Synced here: the first measurement wipes the members and etcd's state

    line("empty -> 3 Synced (agents, no operator)", f"{empty_to_synced():.1f} s")
    password = prepare_writer()
    auto, acked, lost = automatic_recovery(password)
    line("full outage during writes -> 3 Synced, automatic", f"{auto:.1f} s")
    line("acknowledged rows / lost", f"{acked} / {lost}")
    idle = automatic_recovery_idle()
    line("full outage, no client -> 3 Synced, automatic", f"{idle:.1f} s")
    manual = manual_recovery()
    line("ratio automatic / by hand, no client (target <= 1.5)", f"{idle / manual:.2f}")
    line("ratio automatic during writes / by hand", f"{auto / manual:.2f}")
    line("resident memory per member (mariadbd)", rss())
    took, fewest, acked, lost = rolling_restart(password, topo)
    line("config change on all 3 -> restarted one at a time", f"{took:.1f} s")
    line("fewest Synced members during it / rows acked / lost", f"{fewest} / {acked} / {lost}")
    if not was_up and not args.keep:
        runtime.down(state_dir(), "local", log=lambda _m: None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
