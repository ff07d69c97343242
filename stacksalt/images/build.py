"""Docker side of the images: what exists locally, building one image, pushing.

Thin: decisions are in :mod:`stacksalt.images.plan`; this module runs ``docker``.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from stacksalt.images import plan as plan_mod
from stacksalt.images.context import ImagesError, Project

LABEL_IMAGE = "io.stacksalt.image"
LABEL_TAG = "io.stacksalt.tag"
LABEL_INPUTS = "io.stacksalt.inputs"
LATEST = "latest"


def docker(*args: str, input_text: str | None = None, env: dict | None = None):
    return subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        input=input_text,
        env=env,
        check=False,
    )


def docker_available() -> bool:
    try:
        return docker("info", "--format", "{{.ServerVersion}}").returncode == 0
    except FileNotFoundError:
        return False


def labels(ref: str) -> dict[str, str] | None:
    res = docker("image", "inspect", "--format", "{{json .Config.Labels}}", ref)
    if res.returncode != 0:
        return None
    return json.loads(res.stdout or "null") or {}


def local_state(project: Project, names: Iterable[str]) -> tuple[set[str], dict]:
    """``present``: the ``name:tag`` of each image here (from the ``name:latest`` labels and
    every local tag of the repository); ``recorded``: the inputs of each image's last build."""
    present: set[str] = set()
    recorded: dict[str, dict | None] = {}
    ns = project.images.namespace
    for name in names:
        res = docker("image", "ls", "--format", "{{.Tag}}", f"{ns}/{name}")
        tags = [t for t in res.stdout.split() if t not in ("<none>", LATEST)]
        present |= {f"{name}:{t}" for t in tags}
        found = labels(f"{ns}/{name}:{LATEST}")
        recorded[name] = (
            json.loads(found[LABEL_INPUTS]) if found and LABEL_INPUTS in found else None
        )
    return present, recorded


class Builder:
    """Builds one planned image with ``docker build``; thread-safe logging."""

    def __init__(self, project: Project, log: Callable[[str], None], no_cache: bool = False):
        self.project = project
        self.log = log
        self.no_cache = no_cache
        self.logs = project.state / "images" / "logs"
        self.tags: dict[str, str] = {}
        self._lock = threading.Lock()

    def say(self, msg: str) -> None:
        with self._lock:
            self.log(msg)

    def __call__(self, step: plan_mod.Step) -> None:
        project = self.project
        image = project.images.by_name()[step.name]
        ref = project.images.ref(step.name, step.tag)
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"{project.images.namespace.replace('/', '_')}-{step.name}.log"
        with tempfile.TemporaryDirectory(prefix=f"stacksalt-image-{step.name}-") as tmp:
            project.write_context(image, Path(tmp), self.say)
            cmd = ["docker", "build", "--rm", "--force-rm", "-t", ref]
            cmd += ["--label", f"{LABEL_IMAGE}={step.name}", "--label", f"{LABEL_TAG}={step.tag}"]
            cmd += ["--label", f"{LABEL_INPUTS}={json.dumps(dict(step.inputs), sort_keys=True)}"]
            if image.parent:
                parent_tag = step.inputs["parent"].split(":", 1)[1]
                parent = project.images.ref(image.parent, parent_tag)
                cmd += ["--build-arg", f"PARENT_IMAGE={parent}"]
            if self.no_cache:
                cmd.append("--no-cache")
            cmd.append(tmp)
            env = {**os.environ, "DOCKER_BUILDKIT": "0"}
            with open(log_path, "w", encoding="utf-8") as out:
                proc = subprocess.Popen(
                    cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
                )
                tail: list[str] = []
                for line in proc.stdout:
                    out.write(line)
                    tail = (tail + [line.rstrip()])[-25:]
                    if line.startswith("Step "):
                        self.say(f"  {step.name} | {line.strip()[:110]}")
                code = proc.wait()
        if code != 0:
            raise ImagesError(
                f"docker build exited {code} (log: {log_path}):\n    " + "\n    ".join(tail[-12:])
            )
        res = docker("tag", ref, project.images.ref(step.name, LATEST))
        if res.returncode != 0:
            raise ImagesError(f"docker tag {ref}: {res.stderr.strip()}")


def push(
    refs: list[str],
    registry: str,
    user: str,
    password: str,
    log: Callable[[str], None],
) -> list[str]:
    """Log in (password on stdin, in a throw-away client config: no credential is left in
    ~/.docker) and push each local image ``refs`` as ``<registry>/<ref>``."""
    pushed = []
    with tempfile.TemporaryDirectory(prefix="stacksalt-docker-config-") as conf:
        os.chmod(conf, 0o700)
        env = {**os.environ, "DOCKER_CONFIG": conf}
        res = docker(
            "login", registry, "--username", user, "--password-stdin", input_text=password, env=env
        )
        if res.returncode != 0:
            raise ImagesError(f"docker login {registry} failed: {res.stderr.strip()}")
        for local in refs:
            remote = f"{registry}/{local}"
            for args in (("tag", local, remote), ("push", remote), ("rmi", remote)):
                res = docker(*args, env=env)
                if res.returncode != 0:
                    raise ImagesError(f"docker {' '.join(args)}: {res.stderr.strip()[-500:]}")
            log(f"pushed {remote}")
            pushed.append(remote)
    return pushed
