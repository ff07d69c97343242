"""The tools the tests need beyond Python: a missing one skips the test with its reason on a
developer's machine, and fails it under CI (``CI=true``), naming the tool and the set-up step,
so that a CI run cannot go green having tested none of the real services.

Tests declare what they need with ``pytest.mark.requires("docker", ...)`` (checked by
``tests/conftest.py`` before any fixture starts) or call :func:`require_tool` in a fixture.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess

import pytest

RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
SETUP = "run 'make setup' (it installs and starts what the tests need)"


@functools.cache
def _docker_reachable() -> bool:
    try:
        res = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0


def _executable(path: str) -> bool:
    return os.access(path, os.X_OK)


# name → (is it there?, what it is)
TOOLS = {
    "docker": (_docker_reachable, "docker (the docker CLI and a reachable dockerd; docker.io)"),
    "etcd": (lambda: shutil.which("etcd") is not None, "etcd (Debian etcd-server, on PATH)"),
    "rabbitmq-server": (
        lambda: _executable(RABBITMQ_SERVER) and _executable(RABBITMQCTL),
        f"rabbitmq-server (Debian rabbitmq-server: {RABBITMQ_SERVER}, rabbitmqctl)",
    ),
    "docker-compose": (
        lambda: shutil.which("docker-compose") is not None,
        "docker-compose (Debian docker-compose)",
    ),
    "openstack": (
        lambda: shutil.which("openstack") is not None,
        "the OpenStack client (Debian python3-openstackclient)",
    ),
    "rally": (lambda: shutil.which("rally") is not None, "Rally (Debian rally + rally-openstack)"),
    "chromium": (
        lambda: shutil.which("chromium") is not None and shutil.which("chromedriver") is not None,
        "chromium and chromedriver (Debian chromium, chromium-driver)",
    ),
    "pika": (
        lambda: importlib.util.find_spec("pika") is not None,
        "pika (Python package of the [test] extra)",
    ),
}


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing(what: str) -> None:
    """Skip the running test because ``what`` is missing; under CI, fail it instead."""
    if in_ci():
        pytest.fail(
            f"{what} is missing: {SETUP} (CI=true: a missing tool fails the test instead of "
            "skipping it)",
            pytrace=False,
        )
    pytest.skip(f"{what} is missing: {SETUP}")


def require_tool(name: str) -> None:
    """Skip (locally) or fail (under CI) the running test unless tool ``name`` is there."""
    if name not in TOOLS:
        raise ValueError(f"unknown tool {name!r}: describe it in TOOLS (tests/tools.py)")
    present, what = TOOLS[name]
    if not present():
        missing(what)
