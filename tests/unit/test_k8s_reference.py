"""The generated 1000-node reference cluster (seed 004 §5.4) renders and validates."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from stacksalt.k8s import reference
from stacksalt.k8s.source import formula_roots
from stacksalt.k8s.workload import build

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def result():
    return build(reference.workload(), formula_roots(ROOT))


def test_shape_of_the_reference_cluster():
    names = reference.node_names()
    assert len(names) == len(set(names)) == 546
    assert sum(n.startswith("cmp") for n in names) == 516
    dedicated = sum(c for role, (_p, c, _s) in reference.PLACEMENT.items() if role != "compute")
    assert dedicated == 30  # §5.4 placement table


def test_renders_and_validates(result):
    assert result.problems == []
    assert result.warnings == []
    objects = {(o["kind"], o["metadata"]["name"]): o for o in result.objects}
    assert objects[("Deployment", "keystone")]["spec"]["replicas"] == 5
    scheduler = objects[("Deployment", "nova-scheduler")]["spec"]
    assert scheduler["replicas"] == 8 and "affinity" not in scheduler["template"]["spec"]
    compute_nodes = [
        n
        for n, labels in result.node_labels.items()
        if labels.get("openstack-reference.stacksalt.io/nova-compute") == "enabled"
    ]
    assert len(compute_nodes) == 516
    nodes_cm = objects[("ConfigMap", "stacksalt-nodes-config")]["data"]
    assert yaml.safe_load(nodes_cm["cmp512.yaml"])["nova"]["compute"]["cpu_allocation_ratio"] == 8.0
    assert yaml.safe_load(nodes_cm["cmp012.yaml"])["nova"]["compute"]["cpu_allocation_ratio"] == 4.0


def test_too_many_keystones_for_five_nodes():
    control = copy.deepcopy(reference.workload())
    control["replicas"]["keystone"] = 6
    problems = [str(p) for p in build(control, formula_roots(ROOT)).problems]
    assert any(
        "Deployment/keystone: spec.replicas: 6 replicas" in p and "only 5 eligible" in p
        for p in problems
    ), problems
