"""Decide what to do with each object: create / update / replace / prune / no-op / conflict.

Pure: given the desired objects of one environment and the live objects read from the
cluster, return ``Action`` values; an adapter performs them. Rules:

- an object is *ours* when it carries ``app.kubernetes.io/managed-by=stacksalt`` and
  ``stacksalt.io/environment=<environment>``;
- desired, not live -> ``create``;
- desired, live but not ours (unmanaged, or another environment's) -> ``conflict``: never
  adopted, never overwritten;
- desired and ours: ``noop`` when the live ``stacksalt.io/desired-hash`` annotation equals the
  desired one and every desired field is present with the same value in the live object
  (server-added fields are ignored); ``replace`` (delete + create) when an immutable field
  differs (a Job's spec, a workload selector, a StatefulSet's serviceName or
  podManagementPolicy, a Service's clusterIP, a Secret's type); otherwise ``update``;
- live, ours, not desired -> ``prune`` (only with ``prune=True``; a partial render such as
  ``ccp deploy -c`` must pass ``prune=False``). Objects of another environment or not
  managed by stacksalt are never pruned.

Actions come in apply order (Namespace first, Ingress last); prunes come last, in reverse.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stacksalt.k8s.common import (
    DESIRED_HASH_ANNOTATION,
    ENVIRONMENT_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    object_key,
    sha256_of,
)
from stacksalt.k8s.naming import LABEL_DOMAIN

Verb = Literal["create", "update", "replace", "prune", "noop", "conflict"]

KIND_ORDER = (
    "Namespace",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "Secret",
    "ConfigMap",
    "Service",
    "StatefulSet",
    "Deployment",
    "DaemonSet",
    "Job",
    "Ingress",
)

# (kind, path) whose change cannot be applied in place
IMMUTABLE_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Job", ("spec",)),
    ("Deployment", ("spec", "selector")),
    ("DaemonSet", ("spec", "selector")),
    ("StatefulSet", ("spec", "selector")),
    ("StatefulSet", ("spec", "serviceName")),
    ("StatefulSet", ("spec", "podManagementPolicy")),
    ("StatefulSet", ("spec", "volumeClaimTemplates")),
    ("Service", ("spec", "clusterIP")),
    ("Secret", ("type",)),
)


@dataclass(frozen=True)
class Action:
    verb: Verb
    kind: str
    namespace: str
    name: str
    reason: str
    desired: Mapping[str, Any] | None = None
    live: Mapping[str, Any] | None = None

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.verb} {self.kind} {where}{self.name}: {self.reason}"


def desired_hash(obj: Mapping[str, Any]) -> str:
    """sha256 of the object without its own desired-hash annotation."""
    return sha256_of(_without_hash(obj))


def _without_hash(obj: Mapping[str, Any]) -> dict[str, Any]:
    clean = copy.deepcopy(dict(obj))
    meta = clean.get("metadata") or {}
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(DESIRED_HASH_ANNOTATION, None)
        if not annotations:
            del meta["annotations"]
    return clean


def stamp(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` carrying its desired-hash annotation (what gets applied)."""
    out = copy.deepcopy(dict(obj))
    digest = desired_hash(out)
    out.setdefault("metadata", {}).setdefault("annotations", {})[DESIRED_HASH_ANNOTATION] = digest
    return out


def owner_of(obj: Mapping[str, Any]) -> str | None:
    """Environment owning ``obj``, or None when stacksalt does not manage it."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if labels.get(MANAGED_BY_LABEL) != MANAGED_BY_VALUE:
        return None
    return labels.get(ENVIRONMENT_LABEL)


def first_difference(desired: Any, live: Any, path: str = "") -> str | None:
    """Path of the first desired value absent or different in ``live``; None if contained."""
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return path or "(root)"
        for key in sorted(desired, key=str):
            here = f"{path}.{key}" if path else str(key)
            if key not in live:
                return here
            found = first_difference(desired[key], live[key], here)
            if found:
                return found
        return None
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return path
        for i, (a, b) in enumerate(zip(desired, live, strict=True)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if desired == live else path


def _get(obj: Mapping[str, Any], path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(part)
    return obj


def _immutable_change(desired: Mapping[str, Any], live: Mapping[str, Any]) -> str | None:
    kind = desired.get("kind")
    for field_kind, path in IMMUTABLE_FIELDS:
        if field_kind != kind:
            continue
        want = _get(desired, path)
        if want is None:
            continue
        diff = first_difference(want, _get(live, path), ".".join(path))
        if diff:
            return diff
    return None


def _order(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def plan(
    desired: Sequence[Mapping[str, Any]],
    live: Sequence[Mapping[str, Any]],
    environment: str,
    prune: bool = True,
) -> list[Action]:
    """Actions turning ``live`` into ``desired`` for ``environment``."""
    live_by_key = {}
    for obj in live:
        live_by_key[object_key(obj)] = obj
    actions: list[Action] = []
    wanted = set()
    for obj in sorted(desired, key=lambda o: (_order(o["kind"]), object_key(o))):
        key = object_key(obj)
        if key in wanted:
            raise ValueError(f"duplicate desired object {key}")
        wanted.add(key)
        if owner_of(obj) != environment:
            raise ValueError(
                f"desired {obj['kind']}/{obj['metadata']['name']} lacks the "
                f"{MANAGED_BY_LABEL}/{ENVIRONMENT_LABEL}={environment} labels"
            )
        target = stamp(obj)
        digest = target["metadata"]["annotations"][DESIRED_HASH_ANNOTATION]
        kind, ns, name = key[1], key[2], key[3]
        current = live_by_key.get(key)
        if current is None:
            actions.append(Action("create", kind, ns, name, "not found", target))
            continue
        owner = owner_of(current)
        if owner is None:
            actions.append(
                Action(
                    "conflict",
                    kind,
                    ns,
                    name,
                    "exists but is not managed by stacksalt; not adopted",
                    target,
                    current,
                )
            )
            continue
        if owner != environment:
            actions.append(
                Action(
                    "conflict", kind, ns, name, f"owned by environment {owner!r}", target, current
                )
            )
            continue
        live_digest = ((current.get("metadata") or {}).get("annotations") or {}).get(
            DESIRED_HASH_ANNOTATION
        )
        # the first managed field that differs, ignoring our own hash annotation
        diff = first_difference(_without_hash(target), current) or first_difference(target, current)
        if live_digest == digest and diff is None:
            actions.append(Action("noop", kind, ns, name, "up to date", target, current))
            continue
        immutable = _immutable_change(target, current)
        if immutable:
            actions.append(
                Action(
                    "replace",
                    kind,
                    ns,
                    name,
                    f"immutable field {immutable} changed",
                    target,
                    current,
                )
            )
            continue
        reason = f"changed: {diff}" if live_digest != digest else f"drifted: {diff}"
        actions.append(Action("update", kind, ns, name, reason, target, current))

    if prune:
        stale = [
            obj
            for key, obj in live_by_key.items()
            if key not in wanted and owner_of(obj) == environment
        ]
        for obj in sorted(stale, key=lambda o: (-_order(o["kind"]), object_key(o))):
            _, kind, ns, name = object_key(obj)
            actions.append(Action("prune", kind, ns, name, "no longer desired", None, obj))
    return actions


def node_label_changes(
    plan_labels: Mapping[str, Mapping[str, str]],
    live_labels: Mapping[str, Mapping[str, str]],
    environment: str,
) -> dict[str, dict[str, Any]]:
    """Per node: labels to ``set`` and label keys to ``remove``.

    Only this environment's labels (``<environment>.stacksalt.io/...``) are ever removed; the
    seed's well-known labels are shared between environments and only ever added. Nodes
    missing from ``live_labels`` are reported under ``missing`` (nothing to patch).
    """
    prefix = f"{environment}.{LABEL_DOMAIN}/"
    changes: dict[str, dict[str, Any]] = {}
    for node in sorted(set(plan_labels) | set(live_labels)):
        if node not in live_labels:
            changes[node] = {"set": {}, "remove": [], "missing": True}
            continue
        want = plan_labels.get(node, {})
        have = live_labels[node]
        to_set = {k: v for k, v in sorted(want.items()) if have.get(k) != v}
        to_remove = sorted(k for k in have if k.startswith(prefix) and k not in want)
        if to_set or to_remove:
            changes[node] = {"set": to_set, "remove": to_remove, "missing": False}
    return changes
