"""The host image: built once, tagged by the hash of its inputs, reused while they hold."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_IMAGE = "stacksalt/debian:bookworm"
HOST_REPO = "stacksalt/host"


class ImageError(RuntimeError):
    pass


def _lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _docker_id(image: str) -> str:
    res = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Id}}", image],
        capture_output=True,
        text=True,
        check=False,
    )
    return res.stdout.strip() if res.returncode == 0 else ""


def docker_id(image: str) -> str:
    """The local id of ``image`` ("" when there is no such image)."""
    return _docker_id(image)


def requirement_lines(spec: Path) -> list[str]:
    """The requirements of a wheels.txt file (one a line, ``#`` comments)."""
    return _lines(spec)


def wheels(root: Path, state: Path, log=print, spec: Path | None = None) -> Path:
    """Build wheels on the host (pip inside docker build fails TLS here) for a requirements
    file: the host image's ``docker-salt/host/wheels.txt`` by default, or ``spec`` (the images'
    salt-base uses ``docker-salt/wheels.txt``). Versions come from constraints.txt.

    Cached by the hash of the requirements file and constraints.txt.
    """
    spec = spec or root / "docker-salt" / "host" / "wheels.txt"
    constraints = root / "constraints.txt"
    digest = hashlib.sha256(spec.read_bytes() + constraints.read_bytes()).hexdigest()[:16]
    out = state / "wheels" / digest
    if (out / ".complete").exists():
        return out
    log(f"building wheels for {spec.relative_to(root)} into {out} (once; about 15 s)")
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "-c",
        str(constraints),
        "-w",
        str(out),
        *_lines(spec),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise ImageError(f"pip wheel failed (exit {res.returncode}):\n{res.stderr[-2000:]}")
    (out / ".complete").write_text("ok\n")
    return out


def host_tag(root: Path, wheel_dir: Path) -> str:
    """Tag = hash of the Dockerfile, unit files, package and wheel lists, the wheel files'
    names and the base image's id."""
    host = root / "docker-salt" / "host"
    h = hashlib.sha256()
    for path in sorted(host.iterdir()):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in sorted(p.name for p in wheel_dir.glob("*.whl")):
        h.update(name.encode() + b"\0")
    h.update(_docker_id(BASE_IMAGE).encode())
    return h.hexdigest()[:12]


def ensure_host_image(root: Path, state: Path, log=print) -> str:
    """Return ``stacksalt/host:<tag>``, building it only when no image has that tag."""
    if not _docker_id(BASE_IMAGE):
        raise ImageError(f"base image {BASE_IMAGE} is missing: run 'make setup'")
    wheel_dir = wheels(root, state, log)
    image = f"{HOST_REPO}:{host_tag(root, wheel_dir)}"
    if _docker_id(image):
        log(f"host image {image} is up to date")
        return image
    log(f"building host image {image} (packages from docker-salt/host/packages.txt)")
    with tempfile.TemporaryDirectory(prefix="stacksalt-host-") as tmp:
        ctx = Path(tmp)
        for path in (root / "docker-salt" / "host").iterdir():
            shutil.copy2(path, ctx / path.name)
        shutil.copytree(wheel_dir, ctx / "wheels")
        proc = subprocess.Popen(
            ["docker", "build", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "-t", image, str(ctx)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        tail = []
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-40:]
            if line.startswith("Step "):
                log("  " + line.strip())
        if proc.wait() != 0:
            raise ImageError("docker build of the host image failed:\n" + "\n".join(tail))
    return image
