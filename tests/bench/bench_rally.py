#!/usr/bin/env python3
"""Rally at the seeds' scale against the local cloud: NovaServers.boot_and_delete_server with
a network context, 1,000 iterations at concurrency 50 in 3 tenants x 2 users (the tcp cloud
blog's task: 706 s, 6 failures on 50 real computes). Prints the duration, the failures, the
atomic actions' p50/p90/p99 and the containers that used the most CPU meanwhile; writes
Rally's HTML report.

Needs the cloud of 'make demo' (the local cluster and its workload). Usage:
    .venv/bin/python tests/bench/bench_rally.py [--times 1000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stacksalt.openstack import rally as rally_mod  # noqa: E402
from stacksalt.openstack.cli import credentials  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def atomic_durations(actions) -> list[tuple[str, float]]:
    """(name, seconds) of an iteration's atomic actions: Rally gives a mapping (old format) or
    a list of {name, started_at, finished_at, children} (its own nested ones included)."""
    if isinstance(actions, dict):
        return [(k, float(v)) for k, v in actions.items() if v is not None]
    out = []
    for item in actions or []:
        if item.get("finished_at") is not None and item.get("started_at") is not None:
            out.append((item["name"], item["finished_at"] - item["started_at"]))
        out += atomic_durations(item.get("children"))
    return out


class CpuSampler(threading.Thread):
    """Every interval, each container's CPU% (docker stats); the sums per container."""

    def __init__(self, interval: float = 15.0):
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: dict[str, list[float]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            res = subprocess.run(
                ["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}}"],
                capture_output=True,
                text=True,
                check=False,
            )
            for line in res.stdout.splitlines():
                name, _, cpu = line.rpartition(" ")
                try:
                    self.samples.setdefault(name, []).append(float(cpu.rstrip("%")))
                except ValueError:
                    continue
            self.stop.wait(self.interval)

    def top(self, n: int = 10) -> list[tuple[str, float]]:
        means = {k: statistics.mean(v) for k, v in self.samples.items() if v}
        return sorted(means.items(), key=lambda kv: -kv[1])[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cluster", default="local")
    parser.add_argument("--times", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--users", type=int, default=2)
    parser.add_argument("--report", default="rally-report.html", help="the HTML report")
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=5.0,
        help="seconds between Rally's looks at a server it boots or deletes (Rally: 2)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds Rally waits for a server to boot or go (Rally: 300)",
    )
    args = parser.parse_args(argv)

    env = {**os.environ, **credentials(ROOT, args.cluster)}
    work = Path(tempfile.mkdtemp(prefix="stacksalt-rally-"))
    env["HOME"] = str(work)
    rally = rally_mod.workspace(env, work, "bench", args.poll_interval, args.timeout)
    task = rally_mod.boot_and_delete_task(
        args.times, args.concurrency, args.tenants, args.users, unlimited_quotas=True
    )
    path = work / "task.json"
    path.write_text(json.dumps(task))
    print(
        f"rally: boot_and_delete_server x{args.times} at concurrency {args.concurrency}, "
        f"{args.tenants} tenants x {args.users} users, polling every {args.poll_interval:g} s "
        f"(work dir {work})",
        flush=True,
    )
    sampler = CpuSampler()
    sampler.start()
    started = time.monotonic()
    proc = subprocess.Popen(
        [*rally, "task", "start", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in proc.stdout:
        if "ITER" in line or "Task" in line or "ERROR" in line:
            print(f"  | {line.rstrip()}", flush=True)
    proc.wait()
    wall = time.monotonic() - started
    sampler.stop.set()
    results = rally_mod.results(rally, env)
    subprocess.run(
        [*rally, "task", "report", "--html-static", "--out", args.report],
        env=env,
        check=False,
        capture_output=True,
    )
    failures = [r for r in results if r["error"]]
    durations = [r["duration"] for r in results if not r["error"]]
    atomics: dict[str, list[float]] = {}
    for r in results:
        for name, value in atomic_durations(r.get("atomic_actions")):
            atomics.setdefault(name, []).append(value)
    print(f"\niterations: {len(results)}, failures: {len(failures)}, wall time: {wall:.0f} s")
    if failures:
        kinds: dict[str, int] = {}
        for r in failures:
            kinds[r["error"][0]] = kinds.get(r["error"][0], 0) + 1
        print("failures by kind: " + ", ".join(f"{k} x{v}" for k, v in kinds.items()))
    rows = [("iteration", durations), *sorted(atomics.items())]
    print(f"{'action':<32} {'p50':>8} {'p90':>8} {'p99':>8}  (seconds)")
    for name, values in rows:
        print(
            f"{name:<32} {percentile(values, 50):8.1f} {percentile(values, 90):8.1f} "
            f"{percentile(values, 99):8.1f}"
        )
    print("top CPU consumers meanwhile (mean % of one core):")
    for name, cpu in sampler.top():
        print(f"  {name:<60} {cpu:6.1f}")
    print(f"report: {Path(args.report).resolve()}")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
