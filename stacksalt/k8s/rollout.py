"""Is a workload rolled out? Pure functions of a live object (as the API returns it).

``status(obj)`` returns ``(state, message)`` with state ``done``, ``waiting`` or ``failed``:

- Deployment: the controller saw the latest generation, ``updatedReplicas`` and
  ``availableReplicas`` reach ``spec.replicas``; a ``Progressing=False`` condition with reason
  ``ProgressDeadlineExceeded`` is a failure;
- StatefulSet: latest generation observed, ``updatedReplicas`` and ``readyReplicas`` reach
  ``spec.replicas`` (and the current revision is the update revision);
- DaemonSet: latest generation observed, ``updatedNumberScheduled`` and ``numberAvailable``
  reach ``desiredNumberScheduled``;
- Job: ``succeeded >= completions`` is done; a ``Failed=True`` condition is a failure.

Other kinds are done at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

State = Literal["done", "waiting", "failed"]
WAITED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")


def _num(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    return int(value) if isinstance(value, int) else 0


def _conditions(status: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {c.get("type"): c for c in status.get("conditions") or [] if isinstance(c, Mapping)}


def status(obj: Mapping[str, Any]) -> tuple[State, str]:
    kind = obj.get("kind")
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    st = obj.get("status") or {}
    name = f"{kind}/{meta.get('name')}"
    generation = _num(meta, "generation")
    if (
        kind in ("Deployment", "StatefulSet", "DaemonSet")
        and _num(st, "observedGeneration") < generation
    ):
        return "waiting", f"{name}: generation {generation} not observed yet"
    if kind == "Deployment":
        want = spec.get("replicas", 1)
        progressing = _conditions(st).get("Progressing") or {}
        if (
            progressing.get("status") == "False"
            and progressing.get("reason") == "ProgressDeadlineExceeded"
        ):
            return "failed", f"{name}: {progressing.get('message') or 'progress deadline exceeded'}"
        updated, available = _num(st, "updatedReplicas"), _num(st, "availableReplicas")
        if updated >= want and available >= want and _num(st, "replicas") <= want:
            return "done", f"{name}: {available}/{want} available"
        return "waiting", f"{name}: {updated}/{want} updated, {available}/{want} available"
    if kind == "StatefulSet":
        want = spec.get("replicas", 1)
        updated, ready = _num(st, "updatedReplicas"), _num(st, "readyReplicas")
        same_revision = st.get("currentRevision") == st.get("updateRevision")
        if updated >= want and ready >= want and same_revision:
            return "done", f"{name}: {ready}/{want} ready"
        return "waiting", f"{name}: {updated}/{want} updated, {ready}/{want} ready"
    if kind == "DaemonSet":
        want = _num(st, "desiredNumberScheduled")
        updated, available = _num(st, "updatedNumberScheduled"), _num(st, "numberAvailable")
        if updated >= want and available >= want:
            return "done", f"{name}: {available}/{want} nodes available"
        return "waiting", f"{name}: {updated}/{want} updated, {available}/{want} available"
    if kind == "Job":
        failed = _conditions(st).get("Failed") or {}
        if failed.get("status") == "True":
            reason = failed.get("reason", "failed")
            return "failed", f"{name}: {reason}: {failed.get('message', '')}"
        want = spec.get("completions", 1)
        if _num(st, "succeeded") >= want:
            return "done", f"{name}: succeeded"
        return "waiting", f"{name}: {_num(st, 'succeeded')}/{want} succeeded"
    return "done", f"{name}: nothing to wait for"
