"""Apply one environment: plan (pure), then act through a ``Cluster`` and wait.

:func:`apply` never acts when the plan has a conflict (an object of another environment or
not managed by stacksalt in the way): nothing is applied then. With ``dry_run`` every create,
update and replace goes to the server as a dry-run apply (so admission and schema errors show)
and nothing is stored; the predicted changes are returned. :func:`cleanup` removes exactly the
objects and node labels of one environment (a prune of everything), never another's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stacksalt.k8s import rollout
from stacksalt.k8s.apply_plan import Action, node_label_changes, owner_of, plan

Log = Callable[[str], None]


class ApplyError(RuntimeError):
    pass


@dataclass
class Report:
    actions: list[Action]
    labels: dict[str, dict[str, Any]]
    dry_run: bool
    waited: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Action]:
        return [a for a in self.actions if a.verb not in ("noop",)]

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for action in self.actions:
            counts[action.verb] = counts.get(action.verb, 0) + 1
        return dict(sorted(counts.items()))

    def as_changes(self) -> dict[str, Any]:
        """Salt-style changes: one entry per changed object, plus node labels."""
        out: dict[str, Any] = {}
        for a in self.changes:
            where = f"{a.namespace}/" if a.namespace else ""
            out[f"{a.kind}/{where}{a.name}"] = {"action": a.verb, "reason": a.reason}
        for node, change in self.labels.items():
            if change.get("set") or change.get("remove"):
                out[f"Node/{node}"] = {
                    "labels set": change["set"],
                    "labels removed": change["remove"],
                }
        return out


def _log_none(_msg: str) -> None:
    return None


def wait_for(
    cluster, objects: Sequence[Mapping[str, Any]], timeout: float, log: Log, interval: float = 2
) -> list[str]:
    """Wait until every workload and Job of ``objects`` is rolled out; raise ApplyError on a
    failure or when ``timeout`` seconds pass (naming what is not ready)."""
    pending = [o for o in objects if o.get("kind") in rollout.WAITED_KINDS]
    done: list[str] = []
    deadline = time.monotonic() + timeout
    while pending:
        still = []
        for obj in pending:
            meta = obj["metadata"]
            live = cluster.get(obj["kind"], meta.get("namespace", ""), meta["name"])
            state, message = ("waiting", f"{obj['kind']}/{meta['name']}: not found")
            if live is not None:
                live.setdefault("kind", obj["kind"])
                state, message = rollout.status(live)
            if state == "failed":
                raise ApplyError(message)
            if state == "done":
                done.append(message)
                log(f"  ready: {message}")
            else:
                still.append((obj, message))
        pending = [o for o, _ in still]
        if not pending:
            break
        if time.monotonic() >= deadline:
            raise ApplyError(
                f"timed out after {timeout:.0f}s waiting for: " + "; ".join(m for _, m in still)
            )
        log(f"  waiting for {len(pending)}: " + "; ".join(m for _, m in still[:3]))
        time.sleep(interval)
    return done


def apply(
    cluster,
    objects: Sequence[Mapping[str, Any]],
    node_labels: Mapping[str, Mapping[str, str]],
    environment: str,
    *,
    dry_run: bool = False,
    prune: bool = True,
    timeout: float = 600,
    log: Log = _log_none,
) -> Report:
    live = cluster.live_objects(environment, environment)
    actions = plan(objects, live, environment, prune=prune)
    conflicts = [a for a in actions if a.verb == "conflict"]
    if conflicts:
        raise ApplyError("nothing applied: " + "; ".join(str(a) for a in conflicts))
    labels = node_label_changes(node_labels, cluster.node_labels(), environment)
    missing = sorted(n for n, c in labels.items() if c.get("missing"))
    if missing:
        raise ApplyError(
            f"nothing applied: the model places pods on nodes the cluster does not have: "
            f"{', '.join(missing)}"
        )
    report = Report(actions, labels, dry_run)
    log(f"{environment}: " + ", ".join(f"{n} {v}" for v, n in report.summary().items()))
    if dry_run:
        # the server cannot dry-run objects into a namespace that does not exist yet
        namespace_exists = not any(a.kind == "Namespace" and a.verb == "create" for a in actions)
        for action in actions:
            if action.verb not in ("create", "update") or action.desired is None:
                continue
            if action.kind == "Namespace" or namespace_exists:
                cluster.apply(action.desired, dry_run=True)
        return report
    for node, change in labels.items():
        patch = {**change["set"], **{k: None for k in change["remove"]}}
        log(f"  label node {node}: {len(change['set'])} set, {len(change['remove'])} removed")
        cluster.patch_node_labels(node, patch)
    applied = []
    for action in actions:
        if action.verb in {"noop", "prune"}:
            continue
        log(f"  {action}")
        if action.verb == "replace":
            cluster.delete(action.kind, action.namespace, action.name)
            _wait_gone(cluster, action, timeout)
        cluster.apply(action.desired)
        applied.append(action.desired)
    for action in actions:
        if action.verb == "prune":
            log(f"  {action}")
            cluster.delete(action.kind, action.namespace, action.name)
    report.waited = wait_for(cluster, [a.desired for a in actions if a.desired], timeout, log)
    return report


def _wait_gone(cluster, action: Action, timeout: float, interval: float = 1) -> None:
    deadline = time.monotonic() + timeout
    while cluster.get(action.kind, action.namespace, action.name) is not None:
        if time.monotonic() >= deadline:
            raise ApplyError(f"{action.kind}/{action.name} was not deleted within {timeout:.0f}s")
        time.sleep(interval)


def cleanup(
    cluster,
    environment: str,
    namespace: str | None = None,
    *,
    dry_run: bool = False,
    log: Log = _log_none,
) -> Report:
    """Remove every object and node label of ``environment`` (nothing of another)."""
    namespace = namespace or environment
    live = cluster.live_objects(namespace, environment)
    ns = next((o for o in live if o.get("kind") == "Namespace"), None)
    if ns is not None and owner_of(ns) != environment:
        live = [o for o in live if o is not ns]  # not ours: its content only
    actions = plan([], live, environment, prune=True)
    labels = node_label_changes({}, cluster.node_labels(), environment)
    report = Report(actions, labels, dry_run)
    log(f"{environment}: {len(actions)} objects to delete, {len(labels)} nodes to unlabel")
    for action in actions:
        log(f"  {action}")
        cluster.delete(action.kind, action.namespace, action.name, dry_run=dry_run)
    if not dry_run:
        for node, change in labels.items():
            cluster.patch_node_labels(node, {k: None for k in change["remove"]})
    return report
