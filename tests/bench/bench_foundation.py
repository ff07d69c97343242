#!/usr/bin/env python3
"""Foundation benchmark (``make bench``): prints numbers, asserts nothing.

- warm ``make setup`` time (host set-up script + formula links + secrets);
- cold ``stacksalt up`` (containers, master bootstrap, first highstate) when the cluster is
  not running, and the wall time of a no-op highstate of every node from the master;
- per-minion pillar render time, p50/p95: reclass on this host (what ``model check`` does) and
  ``pillar.items`` round trips from the cluster's salt master (ext_pillar reclass).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stacksalt.cluster import image, runtime  # noqa: E402
from stacksalt.model.loader import Model  # noqa: E402
from stacksalt.paths import state_dir  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def line(name: str, value: str) -> None:
    print(f"{name:<48} {value}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", default="local")
    parser.add_argument("--rounds", type=int, default=5, help="pillar renders per minion")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()

    started = time.monotonic()
    subprocess.run(
        ["bash", str(ROOT / "docker-salt/bin/setup-host.sh")], check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(
        [sys.executable, "-m", "stacksalt.cli", "formulas", "link"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [sys.executable, "-m", "stacksalt.cli", "secrets", "init"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    line("warm make setup", f"{time.monotonic() - started:.2f} s")

    topo = runtime.topology(ROOT, args.cluster)
    cli = runtime.client()
    running = {c.name for c in cli.containers.list()}
    was_up = all(topo.container(n) in running for n in topo.nodes)
    if not was_up:
        t0 = time.monotonic()
        host_image = image.ensure_host_image(ROOT, state_dir(), log=lambda _m: None)
        rows = runtime.up(ROOT, state_dir(), args.cluster, host_image, log=lambda _m: None)
        line("cold stacksalt up (incl. first highstate)", f"{time.monotonic() - t0:.1f} s")
        line(
            "first highstate: states / changed / failed",
            f"{sum(r.states for r in rows)} / {sum(r.changed for r in rows)} / "
            f"{sum(r.failed for r in rows)}",
        )

    t0 = time.monotonic()
    rows = runtime.highstate(cli, topo, log=lambda _m: None)
    line(
        f"highstate wall time, {len(topo.nodes)} nodes (no-op run)",
        f"{time.monotonic() - t0:.1f} s ({sum(r.changed for r in rows)} changes)",
    )

    model = Model(ROOT / "reclass_model")
    local = []
    for _ in range(args.rounds):
        for node in model.nodes(args.cluster):
            t0 = time.perf_counter()
            model.pillar(node)
            local.append((time.perf_counter() - t0) * 1000)
    line(
        "pillar render on host (reclass) p50 / p95",
        f"{pct(local, 0.5):.1f} / {pct(local, 0.95):.1f} ms",
    )

    master = cli.containers.get(topo.container(topo.master))
    remote = []
    for _ in range(args.rounds):
        for node in topo.nodes:
            t0 = time.perf_counter()
            ret = runtime.salt(master, [node.id, "pillar.items"])
            remote.append((time.perf_counter() - t0) * 1000)
            if node.id not in ret:
                print(f"warning: {node.id} gave no pillar", file=sys.stderr)
    line(
        "pillar.items from the master per minion p50 / p95",
        f"{pct(remote, 0.5):.0f} / {pct(remote, 0.95):.0f} ms",
    )
    line(
        "  (includes salt CLI start and the round trip; mean)", f"{statistics.mean(remote):.0f} ms"
    )

    if not was_up and not args.keep:
        runtime.down(state_dir(), args.cluster, log=lambda _m: None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
