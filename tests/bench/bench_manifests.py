#!/usr/bin/env python3
"""Manifests benchmark (``make bench-manifests``): prints numbers, asserts nothing.

- the generated 1000-node reference cluster (seed 004 §5.4: 516 computes + 30 dedicated
  control nodes): render + validate, cold (first in the process: schema files loaded) and
  warm (median of --rounds), and the render and validate parts on their own;
- the model's clusters (local, production): read from the model, render + validate;
- pillar render time per minion (reclass on this host, as ``model check`` and the master's
  ext_pillar do) on a copy of the model grown to 516 computes: the salt master carrying the
  workload (ccp:control), a controller, and p50/p95 over a sample of computes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stacksalt.k8s import reference  # noqa: E402
from stacksalt.k8s.render import render  # noqa: E402
from stacksalt.k8s.source import formula_roots, load_control  # noqa: E402
from stacksalt.k8s.workload import build, parse  # noqa: E402
from stacksalt.model.loader import Model  # noqa: E402
from tests.unit.k8s_model import golden_project  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def line(name: str, value: str) -> None:
    print(f"{name:<58} {value}", flush=True)


def timed(fn):
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def grow(root: Path, computes: int) -> list[str]:
    """Add compute node files to the production cluster of the copy at ``root``."""
    added = []
    for i in range(3, computes + 1):
        name = f"cmp{i:03d}"
        path = root / "reclass_model" / "nodes" / "production" / f"{name}.cloud.example.net.yml"
        path.write_text(
            "classes:\n  - cluster.production.compute\nparameters:\n  _param:\n"
            f"    linux_system_name: {name}\n"
            f"    single_address: 10.20.{1 + i // 250}.{i % 250 + 1}\n"
        )
        added.append(path.stem)
    return added


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="warm render+validate rounds")
    parser.add_argument("--sample", type=int, default=40, help="computes timed for the pillar")
    args = parser.parse_args()
    roots = formula_roots(ROOT)

    control = reference.workload()
    catalog = reference.catalog()
    nodes = len(control["kubernetes"]["nodes"])
    cold, result = timed(lambda: build(control, roots, catalog=catalog))
    if result.problems:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        return 1
    line(f"reference cluster: {nodes} nodes, {len(result.objects)} objects", "")
    line("  render + validate, cold (schemas loaded)", f"{cold:.2f} s")
    warm = [timed(lambda: build(control, roots, catalog=catalog))[0] for _ in range(args.rounds)]
    line(f"  render + validate, warm (median of {args.rounds})", f"{statistics.median(warm):.2f} s")
    parsed = parse(control, catalog)
    render_only = [
        timed(
            lambda: render(
                parsed.definitions,
                parsed.topology,
                control["configs"],
                control["secret_configs"],
                control["images"],
            )
        )[0]
        for _ in range(args.rounds)
    ]
    line("  of which parse + render (median)", f"{statistics.median(render_only):.2f} s")
    line("  target", "<= 5 s")

    for cluster in ("local", "production"):
        _node, ctl = load_control(ROOT, cluster)
        spent, res = timed(lambda ctl=ctl: build(ctl, roots))
        line(f"cluster {cluster}: {len(res.objects)} objects, render + validate", f"{spent:.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        root = golden_project(Path(tmp) / "project")
        added = grow(root, reference.COMPUTES)
        model = Model(root / "reclass_model")
        count = len(model.nodes("production"))
        line(f"pillar render per minion (reclass, {count} production nodes)", "")
        for node in ("cfg01.cloud.example.net", "ctl01.cloud.example.net"):
            spent = [timed(lambda node=node: model.pillar(node))[0] for _ in range(3)]
            line(f"  {node} (median of 3)", f"{statistics.median(spent) * 1000:.0f} ms")
        sample = random.Random(4).sample(added, min(args.sample, len(added)))
        spent = [timed(lambda node=node: model.pillar(node))[0] for node in sample]
        line(
            f"  computes, {len(sample)} sampled, p50 / p95",
            f"{pct(spent, 0.5) * 1000:.0f} / {pct(spent, 0.95) * 1000:.0f} ms",
        )
        line(
            f"  all {count} minions, estimated from the sample",
            f"{statistics.mean(spent) * count:.1f} s",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
