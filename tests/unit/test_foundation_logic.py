"""Table tests for the foundation's pure logic: etcd verdicts, topology, summaries, links."""

from __future__ import annotations

import json
import os

import pytest

from stacksalt import etcd
from stacksalt.cluster.summary import format_table, summarize
from stacksalt.cluster.topology import TopologyError, from_model
from stacksalt.formulas import link_service_classes


def member(name, url=None):
    return {"name": name, "id": "1", "peer_urls": [], "client_urls": [url] if url else []}


U1, U2, U3 = (f"http://10.0.0.1{i}:2379" for i in (1, 2, 3))


@pytest.mark.parametrize(
    ("expected", "members", "health", "ok", "reason"),
    [
        (
            ["a", "b", "c"],
            [member("a", U1), member("b", U2), member("c", U3)],
            {U1: True, U2: True, U3: True},
            True,
            "3 members healthy: a, b, c",
        ),
        (
            ["a", "b", "c"],
            [member("a", U1), member("b", U2)],
            {U1: True, U2: True},
            False,
            "members missing from the cluster: c",
        ),
        (
            ["a", "b"],
            [member("a", U1), member("b", U2), member("x", U3)],
            {U1: True, U2: True, U3: True},
            False,
            "members not in the model: x",
        ),
        (
            ["a", "b", "c"],
            [member("a", U1), member("b", U2), member("c", U3)],
            {U1: True, U2: False, U3: True},
            False,
            "unhealthy members: b",
        ),
        (
            ["a", "b"],
            [member("a", U1), member("", None)],
            {U1: True},
            False,
            "1 member(s) added but not started",
        ),
        (["a"], [member("a", None)], {}, False, "unhealthy members: a"),
    ],
    ids=["healthy", "missing", "extra", "unhealthy", "unstarted", "no-client-url"],
)
def test_etcd_evaluate(expected, members, health, ok, reason):
    verdict = etcd.evaluate(expected, members, health)
    assert verdict.ok is ok
    assert verdict.reason.startswith(reason)


def test_etcd_parsers():
    listed = etcd.parse_member_list(
        json.dumps(
            {"members": [{"ID": 255, "name": "a", "peerURLs": ["http://p"], "clientURLs": [U1]}]}
        )
    )
    assert listed == [{"name": "a", "id": "ff", "peer_urls": ["http://p"], "client_urls": [U1]}]
    assert etcd.parse_endpoint_health(
        json.dumps([{"endpoint": U1, "health": True}, {"endpoint": U2, "health": False}])
    ) == {U1: True, U2: False}
    with pytest.raises(ValueError, match="not JSON"):
        etcd.parse_member_list("Error: context deadline exceeded")


def info(name, address, master=False, network="10.0.0.0/24", sysctl=None):
    params = {
        "_param": {
            "linux_system_name": name,
            "single_address": address,
            "cluster_network": network,
        },
        "linux": {"system": {"kernel": {"sysctl": sysctl or {}}}},
    }
    if master:
        params["salt"] = {"master": {"enabled": True}}
    return {"parameters": params}


def test_topology_from_model():
    topo = from_model(
        "t",
        {
            "cfg01.t": info("cfg01", "10.0.0.10", master=True),
            "ctl01.t": info(
                "ctl01", "10.0.0.11", sysctl={"net.core.somaxconn": 4096, "vm.swappiness": 10}
            ),
        },
    )
    assert topo.master.id == "cfg01.t"
    assert topo.container(topo.nodes[1]) == "stacksalt-t-ctl01"
    # only per-network-namespace keys can be given to a container
    assert topo.nodes[1].sysctl == {"net.core.somaxconn": 4096}


@pytest.mark.parametrize(
    ("infos", "message"),
    [
        ({"a": info("a", "10.0.0.1")}, "exactly one node must have salt:master:enabled, found 0"),
        ({"a": info("a", "10.0.0.1", True), "b": info("b", "10.0.0.2", True)}, "found 2 (a, b)"),
        (
            {"a": info("a", "10.0.0.1", True), "b": info("b", "10.0.1.2", network="10.0.1.0/24")},
            "nodes disagree on _param:cluster_network",
        ),
        ({"a": info("a", "", True)}, "node a: _param:single_address is not set"),
    ],
    ids=["no-master", "two-masters", "two-networks", "no-address"],
)
def test_topology_errors(infos, message):
    with pytest.raises(TopologyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_model("t", infos)


def state(sid, result=True, changes=None, run=0, comment=""):
    return {
        "__id__": sid,
        "result": result,
        "changes": changes or {},
        "__run_num__": run,
        "duration": 10.0,
        "comment": comment,
    }


def test_summarize_counts_and_failures():
    ret = {
        "file_|-a_|-/etc/a_|-managed": state("a", changes={"diff": "x"}, run=0),
        "cmd_|-b_|-true_|-run": state("b", run=1),
        "service_|-c_|-etcd_|-running": state("c", result=False, run=2, comment="boom"),
    }
    row = summarize("n1", ret)
    assert (row.states, row.changed, row.failed) == (3, 1, 1)
    assert row.failures == ["c: boom"] and row.changes == ["a"]
    assert not row.ok
    assert "FAILED c: boom" in format_table([row])


@pytest.mark.parametrize(
    ("ret", "error"),
    [
        (
            ["Rendering SLS 'base:etcd.server' failed: Jinja variable 'x' is undefined"],
            "Rendering SLS",
        ),
        ("no return (minion did not answer)", "no return"),
    ],
)
def test_summarize_errors(ret, error):
    row = summarize("n1", ret)
    assert error in row.error and not row.ok


def test_formula_links_are_made_repaired_and_kept(project):
    service = project / "reclass_model" / "classes" / "service"
    assert link_service_classes(project) == []  # already linked by the fixture
    (service / "etcd").unlink()
    os.symlink("../nowhere", service / "etcd")
    assert link_service_classes(project) == [
        "repaired service.etcd -> ../../../formulas/etcd/metadata/service"
    ]
    (service / "linux").unlink()
    (service / "linux").mkdir()
    with pytest.raises(FileExistsError, match="is a real file or folder"):
        link_service_classes(project)
