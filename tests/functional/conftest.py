"""Fixtures shared by the functional tests of the Salt modules: Salt's real loader in both
test modes, a real etcd on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.tools import require_tool
from tests.waiting import waiting_for

from .saltcall import load_salt

ETCD_START_TIMEOUT = 30


def free_port() -> int:
    """A TCP port nothing listens on right now (127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=(False, True), ids=("apply", "test-mode"))
def loaded(request, tmp_path):
    """``(test, funcs, states)`` from Salt's real loader, once normally, once with test=True."""
    funcs, states = load_salt(tmp_path, request.param)
    return request.param, funcs, states


@pytest.fixture
def dead_url() -> str:
    """An http URL on loopback where nothing answers."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def etcd(tmp_path_factory):
    """The client URL of a one-member etcd on loopback (its own data dir and ports), for
    the module; stopped afterwards."""
    require_tool("etcd")
    data = tmp_path_factory.mktemp("etcd")
    client, peer = free_port(), free_port()
    url = f"http://127.0.0.1:{client}"
    proc = subprocess.Popen(
        [
            "etcd",
            "--name",
            "t1",
            "--data-dir",
            str(data / "d"),
            "--listen-client-urls",
            url,
            "--advertise-client-urls",
            url,
            "--listen-peer-urls",
            f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls",
            f"http://127.0.0.1:{peer}",
            "--initial-cluster",
            f"t1=http://127.0.0.1:{peer}",
        ],
        stdout=(data / "log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + ETCD_START_TIMEOUT
    with waiting_for(f"etcd healthy at {url}/health"):
        while time.monotonic() < deadline:
            assert proc.poll() is None, (data / "log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:  # noqa: S310
                    if b"true" in resp.read():
                        break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(
                f"etcd at {url} not healthy after {ETCD_START_TIMEOUT} s:\n"
                + (data / "log").read_text()[-2000:]
            )
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)
