"""Functional tests of the etcd_cluster execution and state modules through Salt's real
loader, against a real etcd started on loopback, in both test modes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

pytestmark = pytest.mark.skipif(
    not shutil.which("etcd"), reason="etcd-server not installed (make setup installs it)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def etcd(tmp_path_factory):
    data = tmp_path_factory.mktemp("etcd")
    client, peer = _free_port(), _free_port()
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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, (data / "log").read_text()[-2000:]
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:  # noqa: S310
                if b"true" in resp.read():
                    break
        except OSError:
            time.sleep(0.2)
    else:
        pytest.fail("etcd did not become healthy in 30 s")
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def test_modules_come_from_the_installed_package(loaded):
    _test, funcs, states = loaded
    assert "etcd_cluster.health" in funcs
    assert "etcd_cluster.healthy" in states


def test_health_of_a_real_member(loaded, etcd):
    _test, funcs, _states = loaded
    verdict = funcs["etcd_cluster.health"](["t1"], [etcd])
    assert verdict == {"ok": True, "reason": "1 members healthy: t1", "members": ["t1"]}
    members = funcs["etcd_cluster.member_list"]([etcd])
    assert [m["name"] for m in members] == ["t1"]


def test_healthy_state_reports_no_changes(loaded, etcd):
    test, _funcs, states = loaded
    ret = states["etcd_cluster.healthy"]("etcd-ok", members=["t1"], endpoints=[etcd], timeout=5)
    assert ret["result"] is True, ret
    assert ret["changes"] == {}


def test_missing_member_fails_or_is_predicted(loaded, etcd):
    test, _funcs, states = loaded
    ret = states["etcd_cluster.healthy"](
        "etcd-missing", members=["t1", "t2"], endpoints=[etcd], timeout=1, interval=0.5
    )
    assert ret["changes"] == {}
    assert "members missing from the cluster: t2" in ret["comment"]
    assert ret["result"] is (None if test else False)


def test_unreachable_endpoint_gives_clear_error(loaded):
    test, funcs, states = loaded
    url = f"http://127.0.0.1:{_free_port()}"
    verdict = funcs["etcd_cluster.health"](["t1"], [url])
    assert verdict["ok"] is False
    assert "no etcd endpoint answered" in verdict["reason"]
    ret = states["etcd_cluster.healthy"](
        "etcd-down", members=["t1"], endpoints=[url], timeout=1, interval=0.5
    )
    assert ret["result"] is (None if test else False)
