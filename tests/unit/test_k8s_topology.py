"""Table tests for stacksalt.k8s.topology: anchoring, role union, config merge, replicas."""

import pytest

from stacksalt.k8s.topology import (
    ServiceInstance,
    TopologyError,
    effective_replicas,
    match_pattern,
    resolve_topology,
)

NODES = [f"node{i}" for i in range(1, 14)]


@pytest.mark.parametrize(
    ("pattern", "node", "mode", "matches"),
    [
        # spec §1.4: start-anchored only, so node([1-5]|10|11) also takes node12, node13
        ("node([1-5]|10|11)", "node12", "prefix", True),
        ("node([1-5]|10|11)", "node13", "prefix", True),
        ("node([1-5]|10|11)$", "node12", "prefix", False),
        ("node([1-5]|10|11)$", "node11", "prefix", True),
        ("node1", "node10", "prefix", True),
        ("node1", "node10", "full", False),
        ("node1", "node1", "full", True),
        ("ode1", "node1", "prefix", False),  # anchored at the start
        ("node[1,2-3,4,5-6,7,8-9]", "node7", "prefix", True),  # §2.1 character class
        (".*", "anything", "full", True),
    ],
)
def test_anchoring(pattern, node, mode, matches):
    assert match_pattern(pattern, node, mode) is matches


def test_prefix_only_match_is_warned():
    model = {"nodes": {"node([1-5]|10|11)": {"roles": ["r"]}}, "roles": {"r": ["keystone"]}}
    topo = resolve_topology(model, NODES)
    assert topo.service_nodes["keystone"] == (
        "node1",
        "node2",
        "node3",
        "node4",
        "node5",
        "node10",
        "node11",
        "node12",
        "node13",
    )
    warned = [w for w in topo.warnings if "only as a prefix" in w]
    assert [w.split("node ")[1].split(" ")[0] for w in warned] == ["'node12'", "'node13'"]
    anchored = resolve_topology(
        {"nodes": {"node([1-5]|10|11)$": {"roles": ["r"]}}, "roles": {"r": ["keystone"]}}, NODES
    )
    assert anchored.warnings == []
    assert "node12" not in anchored.service_nodes["keystone"]


def test_full_mode_takes_patterns_literally():
    model = {"nodes": {"node1": {"roles": ["r"]}}, "roles": {"r": ["keystone"]}}
    assert resolve_topology(model, NODES, match_mode="full").service_nodes["keystone"] == ("node1",)
    assert len(resolve_topology(model, NODES).service_nodes["keystone"]) == 5  # 1, 10-13


def test_roles_union_and_services():
    model = {
        "nodes": {
            "node[1-2]$": {"roles": ["controller"]},
            "node2$": {"roles": ["compute"]},
        },
        "roles": {"controller": ["keystone", "memcached"], "compute": ["nova-compute"]},
    }
    topo = resolve_topology(model, ["node1", "node2", "node3"])
    assert topo.node_roles == {
        "node1": ("controller",),
        "node2": ("compute", "controller"),
        "node3": (),
    }
    assert topo.node_services["node2"] == ("keystone", "memcached", "nova-compute")
    assert topo.service_nodes["nova-compute"] == ("node2",)


@pytest.mark.parametrize(
    ("node", "expected"),
    [("node1", 2), ("node2", 4), ("node3", 4), ("node4", 4)],
)
def test_node_configs_merge_in_lexicographic_pattern_order(node, expected):
    # spec §1.4: node[1-3] test=2, node[2-4] test=4 -> node2 has 4
    model = {
        "nodes": {
            "node[2-4]": {"roles": ["r"], "configs": {"test": 4}},
            "node[1-3]": {"roles": ["r"], "configs": {"test": 2}},
        },
        "roles": {"r": ["keystone"]},
    }
    topo = resolve_topology(model, ["node1", "node2", "node3", "node4"])
    assert topo.node_configs[node]["test"] == expected


def test_config_precedence_global_service_node_and_lists_replaced():
    model = {
        "nodes": {
            "node1": {"roles": ["r"], "configs": {"nova": {"debug": True, "filters": ["A"]}}},
        },
        "roles": {"r": ["rpc"]},
        "services": {
            "rpc": {"service_def": "rabbitmq", "configs": {"nova": {"workers": 8}}},
        },
    }
    global_cfg = {"nova": {"debug": False, "workers": 2, "filters": ["X", "Y"], "keep": 1}}
    topo = resolve_topology(model, ["node1"])
    assert topo.instance_config(global_cfg, "rpc")["nova"] == {
        "debug": False,
        "workers": 8,
        "filters": ["X", "Y"],
        "keep": 1,
    }
    assert topo.node_config(global_cfg, "rpc", "node1")["nova"] == {
        "debug": True,
        "workers": 8,
        "filters": ["A"],
        "keep": 1,
    }
    assert global_cfg["nova"]["workers"] == 2  # inputs are not mutated


def test_service_instances_from_one_definition():
    model = {
        "nodes": {"node.*": {"roles": ["c"]}},
        "roles": {"c": ["rpc", "notifications", "keystone"]},
        "services": {
            "rpc": {"service_def": "rabbitmq", "configs": {"rabbitmq": {"mirror": False}}},
            "notifications": {"service_def": "rabbitmq", "mapping": {"messaging": "rpc"}},
        },
    }
    topo = resolve_topology(model, ["node1"])
    assert topo.instances["rpc"] == ServiceInstance(
        "rpc", "rabbitmq", {}, {"rabbitmq": {"mirror": False}}
    )
    assert topo.instances["notifications"].mapping == {"messaging": "rpc"}
    assert topo.instances["keystone"] == ServiceInstance("keystone", "keystone")


@pytest.mark.parametrize(
    ("kind", "replicas", "expected", "warns"),
    [
        ("Deployment", {"svc": 3}, 3, False),
        ("StatefulSet", {"svc": 3}, 3, False),
        ("Deployment", {}, 1, False),
        ("DaemonSet", {}, None, False),
        ("DaemonSet", {"svc": 3}, None, True),  # ignored, warned
    ],
)
def test_effective_replicas(kind, replicas, expected, warns):
    model = {"nodes": {"n": {"roles": ["r"]}}, "roles": {"r": ["svc"]}, "replicas": replicas}
    topo = resolve_topology(model, ["n1", "n2"])
    count, warnings = effective_replicas(topo, "svc", kind)
    assert count == expected
    assert bool(warnings) is warns
    if warns:
        assert "ignored for a DaemonSet" in warnings[0] and "2 assigned nodes" in warnings[0]


def test_namespace_per_environment():
    model = {"nodes": {}, "roles": {}}
    assert resolve_topology(model, []).namespace == "ccp"
    topo = resolve_topology({**model, "kubernetes": {"namespace": "ccp-2"}}, [])
    assert (topo.namespace, topo.environment, topo.cluster_domain) == (
        "ccp-2",
        "ccp-2",
        "cluster.local",
    )


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"nodes": {"node[1-": {"roles": []}}}, "not a valid regex"),
        ({"nodes": {"node1": {"roles": ["nope"]}}, "roles": {}}, "unknown role 'nope'"),
        ({"nodes": {"node1": {"role": ["r"]}}, "roles": {"r": []}}, "unknown keys ['role']"),
        ({"roles": {"r": "keystone"}}, "roles.r: must be a list"),
        ({"replicas": {"x": -1}}, "replicas.x: must be an integer >= 0"),
        ({"kubernetes": {"namespace": "CCP_1"}}, "not a DNS-1123 label"),
        (
            {"nodes": {"n": {"roles": ["r"]}}, "roles": {"r": ["rpc"]}, "services": {"rpc": {}}},
            "services.rpc.service_def: required",
        ),
    ],
)
def test_topology_errors(model, message):
    with pytest.raises(TopologyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        resolve_topology(model, ["node1"])


def test_warnings_for_unused_entries():
    model = {
        "nodes": {"gpu.*": {"roles": ["r"]}, "node1": {"roles": ["r"]}},
        "roles": {"r": ["keystone"]},
        "replicas": {"horizon": 2},
        "services": {"notifications": {"service_def": "rabbitmq"}},
    }
    warnings = resolve_topology(model, ["node1"]).warnings
    assert "nodes: pattern 'gpu.*' matches no node" in warnings
    assert "replicas.horizon: service is not assigned to any node" in warnings
    assert "services.notifications: defined but not assigned to any node by a role" in warnings


def test_lexicographic_override_is_warned():
    # '5' sorts before '[': node5$ merges first, so node[4-5]$ wins on node5 - surprising,
    # hence the warning naming both patterns
    model = {
        "nodes": {
            "node[4-5]$": {"roles": ["r"], "configs": {"nova": {"ratio": 4.0}}},
            "node5$": {"configs": {"nova": {"ratio": 8.0}}},
        },
        "roles": {"r": ["nova-compute"]},
    }
    topo = resolve_topology(model, ["node4", "node5"])
    assert topo.node_configs["node5"] == {"nova": {"ratio": 4.0}}
    expected = (
        "nodes: node5: configs nova.ratio set by 'node5$' is overridden by 'node[4-5]$' "
        "(patterns merge in lexicographic order)"
    )
    assert topo.warnings == [expected]
