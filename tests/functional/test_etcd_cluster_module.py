"""Functional tests of the etcd_cluster execution and state modules through Salt's real
loader, against a real etcd started on loopback, in both test modes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.requires("etcd")


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


def test_unreachable_endpoint_gives_clear_error(loaded, dead_url):
    test, funcs, states = loaded
    verdict = funcs["etcd_cluster.health"](["t1"], [dead_url])
    assert verdict["ok"] is False
    assert "no etcd endpoint answered" in verdict["reason"]
    ret = states["etcd_cluster.healthy"](
        "etcd-down", members=["t1"], endpoints=[dead_url], timeout=1, interval=0.5
    )
    assert ret["result"] is (None if test else False)
