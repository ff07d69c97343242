"""Table tests for rollout.status, and apply/cleanup driven against an in-memory API double
(the real client calls are covered by tests/integration/test_k8s_live.py)."""

from __future__ import annotations

import copy

import pytest

from stacksalt.k8s import rollout
from stacksalt.k8s.apply import ApplyError, apply, cleanup
from stacksalt.k8s.naming import object_labels


def dep(replicas=3, generation=2, observed=2, updated=3, available=3, total=3, cond=None):
    st = {
        "observedGeneration": observed,
        "updatedReplicas": updated,
        "availableReplicas": available,
        "replicas": total,
    }
    if cond:
        st["conditions"] = [cond]
    return {
        "kind": "Deployment",
        "metadata": {"name": "d", "generation": generation},
        "spec": {"replicas": replicas},
        "status": st,
    }


DEADLINE = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}

CASES = [
    ("deployment rolled out", dep(), "done"),
    ("deployment generation not observed", dep(observed=1), "waiting"),
    ("deployment old pods still there", dep(total=4), "waiting"),
    ("deployment not all available", dep(available=2), "waiting"),
    ("deployment progress deadline", dep(available=1, cond=DEADLINE), "failed"),
    (
        "statefulset ready",
        {
            "kind": "StatefulSet",
            "metadata": {"name": "s", "generation": 1},
            "spec": {"replicas": 3},
            "status": {
                "observedGeneration": 1,
                "updatedReplicas": 3,
                "readyReplicas": 3,
                "currentRevision": "a",
                "updateRevision": "a",
            },
        },
        "done",
    ),
    (
        "statefulset revision pending",
        {
            "kind": "StatefulSet",
            "metadata": {"name": "s", "generation": 1},
            "spec": {"replicas": 3},
            "status": {
                "observedGeneration": 1,
                "updatedReplicas": 3,
                "readyReplicas": 3,
                "currentRevision": "a",
                "updateRevision": "b",
            },
        },
        "waiting",
    ),
    (
        "daemonset available everywhere",
        {
            "kind": "DaemonSet",
            "metadata": {"name": "x", "generation": 1},
            "status": {
                "observedGeneration": 1,
                "desiredNumberScheduled": 2,
                "updatedNumberScheduled": 2,
                "numberAvailable": 2,
            },
        },
        "done",
    ),
    (
        "daemonset one node missing",
        {
            "kind": "DaemonSet",
            "metadata": {"name": "x", "generation": 1},
            "status": {
                "observedGeneration": 1,
                "desiredNumberScheduled": 2,
                "updatedNumberScheduled": 2,
                "numberAvailable": 1,
            },
        },
        "waiting",
    ),
    (
        "job succeeded",
        {
            "kind": "Job",
            "metadata": {"name": "j"},
            "spec": {"completions": 1},
            "status": {"succeeded": 1},
        },
        "done",
    ),
    ("job running", {"kind": "Job", "metadata": {"name": "j"}, "status": {"active": 1}}, "waiting"),
    (
        "job failed",
        {
            "kind": "Job",
            "metadata": {"name": "j"},
            "status": {
                "conditions": [
                    {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}
                ]
            },
        },
        "failed",
    ),
    ("configmap", {"kind": "ConfigMap", "metadata": {"name": "c"}}, "done"),
]


@pytest.mark.parametrize(("case", "obj", "want"), CASES, ids=[c[0] for c in CASES])
def test_rollout_status(case, obj, want):
    state, message = rollout.status(obj)
    assert state == want, message
    assert obj["metadata"]["name"] in message


class MemoryCluster:
    """An in-memory stand-in for client.Cluster: stores applied objects, reports workloads
    as rolled out (or as failed Jobs when asked)."""

    def __init__(self, nodes, objects=(), failing_jobs=()):
        self.nodes = {n: {} for n in nodes}
        self.store = {}
        self.calls = []
        self.failing_jobs = set(failing_jobs)
        for obj in objects:
            self._put(obj)

    def _key(self, kind, ns, name):
        return (kind, ns or "", name)

    def _put(self, obj):
        meta = obj["metadata"]
        self.store[self._key(obj["kind"], meta.get("namespace"), meta["name"])] = copy.deepcopy(obj)

    def live_objects(self, namespace, environment):
        return [
            copy.deepcopy(obj)
            for (kind, ns, name), obj in sorted(self.store.items())
            if ns == namespace or (kind == "Namespace" and name == namespace)
        ]

    def get(self, kind, namespace, name):
        obj = self.store.get(self._key(kind, namespace, name))
        if obj is None:
            return None
        obj = copy.deepcopy(obj)
        spec = obj.get("spec") or {}
        if kind == "Job":
            if name in self.failing_jobs:
                obj["status"] = {
                    "conditions": [{"type": "Failed", "status": "True", "reason": "X"}]
                }
            else:
                obj["status"] = {"succeeded": 1}
        elif kind in ("Deployment", "StatefulSet"):
            n = spec.get("replicas", 1)
            obj["status"] = {"updatedReplicas": n, "availableReplicas": n, "readyReplicas": n}
        return obj

    def node_labels(self):
        return copy.deepcopy(self.nodes)

    def apply(self, obj, dry_run=False):
        self.calls.append(("apply", obj["kind"], obj["metadata"]["name"], dry_run))
        if not dry_run:
            self._put(obj)
        return obj

    def delete(self, kind, namespace, name, dry_run=False):
        self.calls.append(("delete", kind, name, dry_run))
        if not dry_run:
            self.store.pop(self._key(kind, namespace, name), None)

    def patch_node_labels(self, node, labels):
        self.calls.append(("label", node))
        for key, value in labels.items():
            if value is None:
                self.nodes[node].pop(key, None)
            else:
                self.nodes[node][key] = value


def _objects(env, names=("a", "b"), job=False):
    out = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": env, "labels": object_labels(env, env, "ns")},
        }
    ]
    for name in names:
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": name,
                    "namespace": env,
                    "labels": object_labels(name, env, "config"),
                },
                "data": {"x": name},
            }
        )
    if job:
        out.append(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {
                    "name": "boot",
                    "namespace": env,
                    "labels": object_labels("boot", env, "job"),
                },
                "spec": {"template": {"spec": {"containers": []}}},
            }
        )
    return out


LABELS = {"n1": {"e1.stacksalt.io/a": "enabled"}}


def test_apply_creates_then_noop_then_prunes():
    cluster = MemoryCluster(["n1"])
    report = apply(cluster, _objects("e1"), LABELS, "e1")
    assert report.summary() == {"create": 3}
    assert cluster.nodes["n1"] == {"e1.stacksalt.io/a": "enabled"}
    again = apply(cluster, _objects("e1"), LABELS, "e1")
    assert again.changes == [] and again.as_changes() == {}
    pruned = apply(cluster, _objects("e1", names=("a",)), LABELS, "e1")
    assert [str(a) for a in pruned.changes] == ["prune ConfigMap e1/b: no longer desired"]
    assert ("ConfigMap", "e1", "b") not in cluster.store


def test_dry_run_changes_nothing_and_asks_the_server():
    cluster = MemoryCluster(["n1"])
    apply(cluster, _objects("e1"), LABELS, "e1")
    cluster.calls.clear()
    before = copy.deepcopy(cluster.store)
    changed = _objects("e1")
    changed[1]["data"]["x"] = "new"
    report = apply(cluster, changed, LABELS, "e1", dry_run=True)
    assert cluster.store == before
    assert ("apply", "ConfigMap", "a", True) in cluster.calls
    assert [a.verb for a in report.changes] == ["update"]
    assert not any(c[0] == "label" for c in cluster.calls)


def test_conflict_applies_nothing():
    foreign = _objects("e1")
    foreign[1]["metadata"]["labels"] = {"app": "someone-else"}
    cluster = MemoryCluster(["n1"], foreign[1:2])
    with pytest.raises(ApplyError, match="nothing applied: conflict ConfigMap e1/a"):
        apply(cluster, _objects("e1"), LABELS, "e1")
    assert [c for c in cluster.calls if c[0] != "label"] == []


def test_unknown_node_applies_nothing():
    cluster = MemoryCluster(["other"])
    with pytest.raises(ApplyError, match="nodes the cluster does not have: n1"):
        apply(cluster, _objects("e1"), LABELS, "e1")
    assert cluster.calls == []


def test_failed_job_is_reported():
    cluster = MemoryCluster(["n1"], failing_jobs=["boot"])
    with pytest.raises(ApplyError, match="Job/boot"):
        apply(cluster, _objects("e1", job=True), LABELS, "e1", timeout=5)


def test_cleanup_removes_one_environment_only():
    cluster = MemoryCluster(["n1"])
    apply(cluster, _objects("e1"), LABELS, "e1")
    apply(cluster, _objects("e2"), {"n1": {"e2.stacksalt.io/a": "enabled"}}, "e2")
    report = cleanup(cluster, "e2")
    assert {a.verb for a in report.actions} == {"prune"}
    assert not any(key[1] == "e2" or key[2] == "e2" for key in cluster.store)
    assert ("ConfigMap", "e1", "a") in cluster.store and ("Namespace", "", "e1") in cluster.store
    assert cluster.nodes["n1"] == {"e1.stacksalt.io/a": "enabled"}
