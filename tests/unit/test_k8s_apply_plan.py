"""Table tests for stacksalt.k8s.apply_plan: create / update / replace / prune / no-op."""

import copy

import pytest

from stacksalt.k8s.apply_plan import (
    desired_hash,
    first_difference,
    node_label_changes,
    plan,
    stamp,
)

ENV = "ccp"


def labels(env=ENV, managed=True):
    out = {"app.kubernetes.io/name": "x"}
    if managed:
        out["app.kubernetes.io/managed-by"] = "stacksalt"
    if env:
        out["stacksalt.io/environment"] = env
    return out


def cm(name, data=None, env=ENV, ns=None, managed=True):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns or env, "labels": labels(env, managed)},
        "data": data or {"a": "1"},
    }


def job(name, command, env=ENV):
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": env, "labels": labels(env)},
        "spec": {"template": {"spec": {"containers": [{"name": name, "command": command}]}}},
    }


def deployment(name, selector, replicas=1, env=ENV):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": env, "labels": labels(env)},
        "spec": {"replicas": replicas, "selector": {"matchLabels": selector}},
    }


def live(obj, **server_fields):
    """What the API server returns after applying ``stamp(obj)``: plus defaults and status."""
    out = stamp(obj)
    out["metadata"].update({"uid": "1234", "resourceVersion": "7"})
    out.update(server_fields)
    return out


def edited(obj, fn):
    out = copy.deepcopy(obj)
    fn(out)
    return out


CASES = [
    # (id, desired, live, prune, expected [(verb, name, reason fragment)])
    ("create", [cm("a")], [], True, [("create", "a", "not found")]),
    (
        "noop ignores server fields",
        [cm("a")],
        [live(cm("a"), status={"x": 1})],
        True,
        [("noop", "a", "up to date")],
    ),
    (
        "update on change",
        [cm("a", {"a": "2"})],
        [live(cm("a"))],
        True,
        [("update", "a", "changed: data.a")],
    ),
    (
        "update on drift",
        [cm("a")],
        [edited(live(cm("a")), lambda o: o["data"].update(a="hand-edited"))],
        True,
        [("update", "a", "drifted: data.a")],
    ),
    (
        "update when applied without annotation",
        [cm("a")],
        [edited(live(cm("a")), lambda o: o["metadata"].pop("annotations"))],
        True,
        [("update", "a", "changed: metadata.annotations")],
    ),
    ("prune owned stale", [], [live(cm("old"))], True, [("prune", "old", "no longer desired")]),
    ("no prune when disabled", [], [live(cm("old"))], False, []),
    ("never prune other environment", [], [live(cm("old", env="ccp-2"))], True, []),
    ("never prune unmanaged", [], [cm("old", managed=False)], True, []),
    ("never prune unlabelled env", [], [live(cm("old", env=None, ns="ccp"))], True, []),
    (
        "conflict with unmanaged",
        [cm("a")],
        [cm("a", managed=False)],
        True,
        [("conflict", "a", "not managed by stacksalt")],
    ),
    (
        "conflict with other environment",
        [cm("a")],
        [edited(live(cm("a", env="ccp-2")), lambda o: o["metadata"].update(namespace="ccp"))],
        True,
        [("conflict", "a", "owned by environment 'ccp-2'")],
    ),
    (
        "same name other namespace is unrelated",
        [cm("a")],
        [live(cm("a", env="ccp-2"))],
        True,
        [("create", "a", "not found")],
    ),
    (
        "job spec is immutable",
        [job("db-sync", ["sync", "--v2"])],
        [live(job("db-sync", ["sync"]))],
        True,
        [("replace", "db-sync", "immutable field spec")],
    ),
    (
        "selector is immutable",
        [deployment("k", {"app": "k2"})],
        [live(deployment("k", {"app": "k"}))],
        True,
        [("replace", "k", "immutable field spec.selector")],
    ),
    (
        "replicas are mutable",
        [deployment("k", {"app": "k"}, 3)],
        [live(deployment("k", {"app": "k"}, 1))],
        True,
        [("update", "k", "changed: spec.replicas")],
    ),
]


@pytest.mark.parametrize(
    ("desired", "live_objects", "prune", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_plan(desired, live_objects, prune, expected):
    actions = plan(desired, live_objects, ENV, prune=prune)
    got = [(a.verb, a.name, a.reason) for a in actions]
    assert len(got) == len(expected), got
    for (verb, name, reason), (want_verb, want_name, fragment) in zip(got, expected, strict=True):
        assert (verb, name) == (want_verb, want_name)
        assert fragment in reason, reason


def test_order_creates_first_prunes_last_in_reverse():
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ENV, "labels": labels()}}
    desired = [deployment("k", {"app": "k"}), cm("k-config"), ns]
    live_objects = [live(job("old-job", ["x"])), live(cm("old-config"))]
    actions = plan(desired, live_objects, ENV)
    assert [(a.verb, a.kind) for a in actions] == [
        ("create", "Namespace"),
        ("create", "ConfigMap"),
        ("create", "Deployment"),
        ("prune", "Job"),
        ("prune", "ConfigMap"),
    ]


def test_created_objects_carry_the_desired_hash():
    action = plan([cm("a")], [], ENV)[0]
    annotations = action.desired["metadata"]["annotations"]
    assert annotations["stacksalt.io/desired-hash"] == desired_hash(cm("a"))
    assert desired_hash(action.desired) == desired_hash(cm("a"))  # annotation excluded


def test_desired_must_be_owned_by_the_environment():
    with pytest.raises(ValueError, match="lacks the"):
        plan([cm("a", env="ccp-2")], [], ENV)
    with pytest.raises(ValueError, match="duplicate desired"):
        plan([cm("a"), cm("a")], [], ENV)


@pytest.mark.parametrize(
    ("desired", "live_value", "expected"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, None),
        ({"a": {"b": 1}}, {"a": {"b": 2}}, "a.b"),
        ({"a": [1, 2]}, {"a": [1]}, "a"),
        ({"a": [{"x": 1}]}, {"a": [{"x": 1, "y": 0}]}, None),
        ({"a": [{"x": 1}]}, {"a": [{"x": 2}]}, "a[0].x"),
        ({"a": 1}, {}, "a"),
    ],
)
def test_first_difference(desired, live_value, expected):
    assert first_difference(desired, live_value) == expected


def test_node_label_changes_only_touch_own_environment():
    plan_labels = {
        "node1": {"ccp.stacksalt.io/keystone": "enabled", "openstack-control-plane": "enabled"},
        "node2": {},
    }
    live_labels = {
        "node1": {
            "ccp.stacksalt.io/keystone": "enabled",
            "ccp.stacksalt.io/horizon": "enabled",  # no longer planned: removed
            "ccp-2.stacksalt.io/keystone": "enabled",  # other environment: kept
            "kubernetes.io/hostname": "node1",
        },
        "node2": {"openstack-compute-node": "enabled"},  # seed label shared: kept
        "node3": {},
    }
    assert node_label_changes(plan_labels, live_labels, "ccp") == {
        "node1": {
            "set": {"openstack-control-plane": "enabled"},
            "remove": ["ccp.stacksalt.io/horizon"],
            "missing": False,
        },
    }
    assert node_label_changes({"node9": {"x": "y"}}, {}, "ccp") == {
        "node9": {"set": {}, "remove": [], "missing": True}
    }
