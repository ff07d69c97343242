"""The Kubernetes client calls against a real cluster: server dry-run, server-side apply,
a second apply with no changes, prune, rollout waits, cleanup of one environment only.

Skipped unless KUBECONFIG points at a cluster (any conformant one: kind, k3s, the local
cluster's masters). Two throw-away environments (namespaces ``stacksalt-it-a``/``-b``) are
created and removed. The image comes from STACKSALT_K8S_TEST_IMAGE (default busybox:1.36).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("KUBECONFIG"),
    reason="no live cluster: set KUBECONFIG to a kubeconfig to run the Kubernetes tests",
)

ROOT = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("STACKSALT_K8S_TEST_IMAGE", "busybox:1.36")
WAITER = os.environ.get("STACKSALT_K8S_WAITER_IMAGE", "bitnami/kubectl:1.30")


def _workload(namespace: str, nodes: list[str], extra: bool = True) -> dict:
    name, _, tag = IMAGE.partition(":")
    definition = {
        "dsl_version": "1.1.0",
        "service": {
            "name": "sleeper",
            "ports": [{"cont": 8080, "name": "http"}],
            "containers": [
                {
                    "name": "sleeper",
                    "image": name.rsplit("/", 1)[-1],
                    "daemon": {"command": "sleep 3600"},
                    "pre": [{"name": "sleeper-init", "type": "single", "command": "true"}],
                }
            ],
        },
    }
    roles = {"all": ["sleeper"]}
    control = {
        "kubernetes": {"namespace": namespace, "nodes": nodes},
        "images": {
            "namespace": name.rsplit("/", 1)[0] if "/" in name else "",
            "tag": tag,
            "refs": {"kubectl": WAITER},
        },
        "nodes": {f"{n}$": {"roles": ["all"]} for n in nodes[:1]},
        "roles": roles,
        "replicas": {"sleeper": 1},
        "definitions": {"sleeper": definition},
        "configs": {"extra": {"value": 1}} if extra else {},
        "options": {"dependency_timeout": 120},
    }
    return control


@pytest.fixture(scope="module")
def cluster():
    from stacksalt.k8s.client import Cluster

    return Cluster()


@pytest.fixture(scope="module")
def nodes(cluster):
    return sorted(cluster.node_labels())


def _build(control):
    from stacksalt.k8s.source import formula_roots
    from stacksalt.k8s.workload import build

    result = build(control, formula_roots(ROOT))
    assert result.problems == [], result.problems
    return result


def test_apply_noop_prune_and_cleanup(cluster, nodes):
    from stacksalt.k8s.apply import apply, cleanup

    envs = ("stacksalt-it-a", "stacksalt-it-b")
    try:
        for env in envs:
            result = _build(_workload(env, nodes))
            predicted = apply(
                cluster, result.objects, result.node_labels, env, dry_run=True, timeout=300
            )
            assert predicted.changes and cluster.get("Namespace", "", env) is None
            report = apply(cluster, result.objects, result.node_labels, env, timeout=300)
            assert any("Deployment/sleeper" in m for m in report.waited)
            assert any("Job/sleeper-init" in m for m in report.waited)
        again = _build(_workload(envs[0], nodes))
        second = apply(cluster, again.objects, again.node_labels, envs[0], timeout=300)
        assert second.changes == [], [str(a) for a in second.changes]
        smaller = _build(_workload(envs[0], nodes, extra=False))
        third = apply(cluster, smaller.objects, smaller.node_labels, envs[0], timeout=300)
        assert {a.verb for a in third.changes} <= {"update", "replace"}
        cleanup(cluster, envs[1])
        assert cluster.get("Deployment", envs[0], "sleeper") is not None
        labels = cluster.node_labels()
        assert not any(k.startswith(f"{envs[1]}.") for ls in labels.values() for k in ls)
    finally:
        for env in envs:
            cleanup(cluster, env)


def test_cli_apply_without_kubeconfig_is_clear(monkeypatch, capsys):
    from stacksalt.cli import main

    monkeypatch.delenv("KUBECONFIG")
    assert main(["manifests", "apply", "--cluster", "local", "--model-tags"]) == 1
    assert "no Kubernetes cluster configured" in capsys.readouterr().err
