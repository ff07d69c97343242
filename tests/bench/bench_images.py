#!/usr/bin/env python3
"""Images benchmark: prints numbers, asserts nothing.

On a snapshot of the tree, as images ``stacksalt-bench/*`` (removed at the end):
- cold full build (``--no-cache``: every apt and pip step runs; ``--warm`` keeps the layer
  cache) of every image in docker-salt/images.yml;
- rebuild after one formula file changed, and its ratio to the cold build;
- a no-op ``images plan`` and ``images build`` (nothing changed);
- the size of each image.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from stacksalt.images import build  # noqa: E402
from stacksalt.images.cli import main as images_main  # noqa: E402
from stacksalt.images.context import Project  # noqa: E402
from stacksalt.images.context import snapshot as context_snapshot  # noqa: E402
from stacksalt.images.plan import resolve  # noqa: E402
from stacksalt.paths import state_dir  # noqa: E402

NS = "stacksalt-bench"


def line(name: str, value: str) -> None:
    print(f"{name:<52} {value}", flush=True)


def snapshot(dest: Path) -> Path:
    return context_snapshot(ROOT, dest)


def timed(root: Path, *args: str, quiet: bool = True) -> tuple[float, int]:
    argv = ["--root", str(root), "--state", str(state_dir()), "images", *args]
    out = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        code = images_main(argv)
    seconds = time.monotonic() - started
    if code != 0:
        print(out.getvalue()[-3000:], file=sys.stderr)
    return seconds, code


def cleanup() -> None:
    res = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    refs = [r for r in res.stdout.split() if r.startswith(f"{NS}/")]
    if refs:
        subprocess.run(["docker", "rmi", *refs], capture_output=True, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", action="store_true", help="keep docker's layer cache")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not build.docker_available():
        print("docker is not reachable", file=sys.stderr)
        return 1
    cleanup()
    with tempfile.TemporaryDirectory(prefix="stacksalt-bench-images-") as tmp:
        root = snapshot(Path(tmp) / "tree")
        common = ["--namespace", NS, "--workers", str(args.workers)]
        cold, code = timed(root, "build", *common, *([] if args.warm else ["--no-cache"]))
        label = "full build (layer cache kept)" if args.warm else "cold full build (--no-cache)"
        line(label, f"{cold:.1f} s" + ("" if code == 0 else f" (FAILED, exit {code})"))
        if code != 0:
            cleanup()
            return 1
        conf = root / "formulas" / "memcached" / "memcached" / "files" / "memcached.conf.jinja"
        conf.write_text(conf.read_text() + "# bench\n")
        rebuild, code = timed(root, "build", *common)
        line("rebuild after one formula file (memcached)", f"{rebuild:.1f} s (exit {code})")
        line("  ratio rebuild / cold (target <= 0.15)", f"{rebuild / cold:.3f}")
        plan_s, _ = timed(root, "plan", "--namespace", NS)
        noop, _ = timed(root, "build", *common)
        line("no-op plan (nothing changed)", f"{plan_s:.2f} s")
        line("no-op build (nothing changed)", f"{noop:.2f} s")
        line("  no-op plan + build (target <= 5 s)", f"{plan_s + noop:.2f} s")
        project = Project.load(root, state_dir(), NS)
        tags = resolve(project.gather())
        for name, item in tags.items():
            ref = project.images.ref(name, item["tag"])
            res = build.docker("image", "inspect", "--format", "{{.Size}}", ref)
            size = f"{int(res.stdout) / 1e6:.0f} MB" if res.returncode == 0 else "missing"
            line(f"size {name}", size)
    cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
