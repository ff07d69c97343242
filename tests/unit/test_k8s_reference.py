"""The generated 1000-node reference cluster (seed 004 §5.4) renders and validates: its
topology and values in the model's shape, its services described in DSL 1.2.0 with their
images (the image checks included)."""

from __future__ import annotations

import copy

import pytest
import yaml

from stacksalt.k8s import reference
from stacksalt.k8s.workload import build


@pytest.fixture(scope="module")
def catalog():
    return reference.catalog()


@pytest.fixture(scope="module")
def result(catalog):
    return build(reference.workload(), [], catalog=catalog)


def test_shape_of_the_reference_cluster():
    names = reference.node_names()
    assert len(names) == len(set(names)) == 546
    assert sum(n.startswith("cmp") for n in names) == 516
    dedicated = sum(c for role, (_p, c, _s) in reference.PLACEMENT.items() if role != "compute")
    assert dedicated == 30  # §5.4 placement table
    assert "definitions" not in reference.workload()  # the model keeps topology and values


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
    # each compute node's own values reach its pods as its node's pillar file
    pillar = objects[("ConfigMap", "nova-compute-pillar")]["data"]
    node = "nova-compute.node.{}.yaml"
    assert yaml.safe_load(pillar[node.format("cmp512")])["nova"]["compute"] == {
        "cpu_allocation_ratio": 8.0
    }
    assert yaml.safe_load(pillar[node.format("cmp012")])["nova"]["compute"] == {
        "cpu_allocation_ratio": 4.0
    }
    job = objects[("Job", "keystone-db-sync")]["spec"]["template"]["spec"]["containers"][0]
    assert job["args"] == ["--apply", "keystone.server.db_sync"] and "command" not in job


def test_too_many_keystones_for_five_nodes(catalog):
    control = copy.deepcopy(reference.workload())
    control["replicas"]["keystone"] = 6
    problems = [str(p) for p in build(control, [], catalog=catalog).problems]
    assert any(
        "Deployment/keystone: spec.replicas: 6 replicas" in p and "only 5 eligible" in p
        for p in problems
    ), problems
