"""Shared fixtures and hooks: a private copy of the project tree to break or to run against;
per-test time limits by layer; the tools a test ``requires``."""

from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path

import pytest

from stacksalt import secrets
from stacksalt.formulas import link_service_classes

from .tools import require_tool
from .waiting import current_wait, describe_frames

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"

# Per-test limits (pytest-timeout), in seconds, set-up and teardown of fixtures included: the
# first test of a module also pays for the containers or daemons its fixtures start. A test
# may set its own with @pytest.mark.timeout(N). The first match wins. Measured on the 2-core
# machine shared with other builds and clusters (load average 25-67): slowest unit test 54 s
# (kubernetes-validate over the model's manifests; 2.3 s at load 9); slowest functional test
# 152 s (a real keystone and MariaDB started, then a bootstrap job run twice); 'stacksalt up'
# of the local cluster (the session fixture, paid by the first local-cluster test) 492-554 s;
# the Kubernetes hosts' module set-up 115-122 s. The two modules that build every image in
# their fixture (7 images, 489 s cold; compose up, 602 s cold) get more; the local cloud's
# (every OpenStack image built cold, then 60 pods up: about 20 min) the most.
TIMEOUTS = (
    ("unit/", 120),
    ("functional/", 450),
    ("integration/test_compose.py", 1200),
    ("integration/test_images.py", 1200),
    ("integration/test_openstack.py", 2400),
    ("integration/", 900),
)


def copy_project(dest: Path) -> Path:
    """Copy formulas/, reclass_model/ (without generated links) and docker-salt/ (the base
    images and the Dockerfile template the services' catalog and image plan read) to
    ``dest``; link and generate secrets there, as 'make setup' does on a checkout."""
    ignore = shutil.ignore_patterns("secrets.yml", "__pycache__")
    shutil.copytree(ROOT / "formulas", dest / "formulas", ignore=ignore)
    shutil.copytree(ROOT / "docker-salt", dest / "docker-salt", ignore=ignore)
    shutil.copytree(ROOT / "reclass_model", dest / "reclass_model", ignore=ignore, symlinks=True)
    service = dest / "reclass_model" / "classes" / "service"
    if service.exists():
        shutil.rmtree(service)
    link_service_classes(dest)
    for cluster in ("local", "production"):
        secrets.init(dest, cluster)
    return dest


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


def limit_for(path: Path) -> int | None:
    rel = path.resolve().relative_to(TESTS).as_posix()
    return next((seconds for prefix, seconds in TIMEOUTS if rel.startswith(prefix)), None)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("timeout") is None:
            seconds = limit_for(item.path)
            if seconds is not None:
                item.add_marker(pytest.mark.timeout(seconds))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """``@pytest.mark.requires("docker", "etcd")``: checked before any fixture starts."""
    for mark in item.iter_markers("requires"):
        for tool in mark.args:
            require_tool(tool)


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item, settings):
    """pytest-timeout's signal method, with a failure that names the test, its limit and
    what it was waiting for (the innermost ``tests.waiting.waiting_for`` block, else the
    project frames it was stopped in)."""
    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None

    def expired(_signum, frame):
        __tracebackhide__ = True
        what = current_wait()
        where = describe_frames(frame)
        pytest.fail(
            f"{item.nodeid}: no result within its {settings.timeout:.0f} s limit "
            "(pytest-timeout); "
            + (f"it was waiting for {what} (in {where})" if what else f"it was in {where}"),
            pytrace=True,
        )

    def cancel():
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel
    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True
