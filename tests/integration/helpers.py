"""Helpers shared by the integration tests: host commands, commands in containers, waits that
say what they waited for, cleanup of what a module started, a snapshot of the tree.

Every command has a time limit and every wait a description: a hang ends in an error naming
the command or the wait (and the per-test limit of ``tests/conftest.py`` names the wait
declared here if the test's own limit comes first).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.waiting import waiting_for

ROOT = Path(__file__).resolve().parents[2]

# The local cluster of the model (reclass_model/nodes/local): its controllers and addresses.
CTL = ("ctl01", "ctl02", "ctl03")
ADDR = {"ctl01": "10.77.1.11", "ctl02": "10.77.1.12", "ctl03": "10.77.1.13"}
COMMAND_TIMEOUT = 120


def sh(
    *args: str,
    check: bool = True,
    input_text: str | None = None,
    timeout: float = COMMAND_TIMEOUT,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run a command on the host (text in and out). ``check``: a non-zero exit is an
    AssertionError with the command and the end of its stderr; ``env``: added to the
    environment."""
    shown = " ".join(args)
    try:
        res = subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            input=input_text,
            timeout=timeout,
            env={**os.environ, **env} if env else None,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{shown}: still running after {timeout:.0f} s") from exc
    if check and res.returncode != 0:
        raise AssertionError(f"{shown} exited {res.returncode}:\n{res.stderr[-3000:]}")
    return res


def container_name(node: str, cluster: str = "local") -> str:
    """The container of ``node`` in a cluster started by stacksalt (``stacksalt-<cluster>-``)."""
    return f"stacksalt-{cluster}-{node}"


def dexec(
    node,
    cmd: str,
    stdin: str | None = None,
    check: bool = True,
    timeout: float = COMMAND_TIMEOUT,
    cluster: str = "local",
) -> str:
    """``bash -c cmd`` in the container of ``node`` (a node name of ``cluster``, or a docker
    SDK container); its stdout. ``stdin`` goes to the command's standard input (secrets go
    there, never on argv)."""
    name = node.name if hasattr(node, "name") else container_name(node, cluster)
    res = sh(
        "docker",
        "exec",
        "-i",
        name,
        "bash",
        "-c",
        cmd,
        check=False,
        input_text=stdin,
        timeout=timeout,
    )
    if check and res.returncode != 0:
        raise AssertionError(f"{name}: {cmd!r} exited {res.returncode}: {res.stderr[-1500:]}")
    return res.stdout


def wait_for(
    what: str | Callable[[], str],
    predicate: Callable[[], object],
    timeout: float,
    interval: float = 0.5,
):
    """Poll ``predicate`` until it returns a true value, and return that value; after
    ``timeout`` seconds an AssertionError says what it waited for. ``what`` is a text or a
    callable giving it (read when the wait gives up, so it can say what went wrong
    meanwhile)."""
    deadline = time.monotonic() + timeout
    with waiting_for(what):
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                break
            time.sleep(interval)
    text = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {text}")


def running(container: str) -> bool:
    """Whether the Docker container ``container`` (name or id) is running."""
    res = sh("docker", "inspect", "-f", "{{.State.Running}}", container, check=False)
    return res.stdout.strip() == "true"


def container_logs(container: str) -> str:
    """The container's output, stdout then stderr."""
    res = sh("docker", "logs", container, check=False)
    return res.stdout + res.stderr


def wait_while_running(
    what: str,
    predicate: Callable[[], object],
    container: str,
    timeout: float = 300.0,
    interval: float = 1.0,
):
    """:func:`wait_for`, ended at once when ``container`` stops; both failures carry its
    output."""

    def look():
        if not running(container):
            raise AssertionError(
                f"{container} died while waiting for {what}:\n{container_logs(container)}"
            )
        return predicate()

    return wait_for(
        lambda: f"{what}; {container}'s output:\n{container_logs(container)}",
        look,
        timeout,
        interval,
    )


def wait_exec(container: str, command: list[str], timeout: float = 30.0) -> str:
    """Until ``docker exec container command`` succeeds; its output (stdout, then stderr:
    some tools report there)."""

    def attempt():
        res = sh("docker", "exec", container, *command, check=False)
        return res if res.returncode == 0 else None  # a success with no output is a success

    res = wait_while_running(f"'{' '.join(command)}' to succeed", attempt, container, timeout, 0.5)
    return res.stdout + res.stderr


def cleanup(prefix: str, network: str | None = None, image_namespace: str | None = None) -> None:
    """Remove what a module started: containers whose name starts with ``prefix``, the
    ``network``, and the images of ``image_namespace``/ (tagged ones only)."""
    res = sh("docker", "ps", "-aq", "--filter", f"name=^{prefix}", check=False)
    ids = res.stdout.split()
    if ids:
        sh("docker", "rm", "-f", *ids)
    if network and sh("docker", "network", "inspect", network, check=False).returncode == 0:
        sh("docker", "network", "rm", network)
    if image_namespace:
        res = sh("docker", "images", "--format", "{{.Repository}}:{{.Tag}}")
        mine = f"{image_namespace}/"
        refs = [r for r in res.stdout.split() if r.startswith(mine) and "<none>" not in r]
        if refs:
            sh("docker", "rmi", *refs)


def snapshot(dest: Path) -> Path:
    """A copy at ``dest`` of the checkout's files an image build reads (never secrets.yml),
    so that edits to the checkout meanwhile do not disturb the module's builds."""
    from stacksalt.images.context import snapshot as context_snapshot

    return context_snapshot(ROOT, dest)
