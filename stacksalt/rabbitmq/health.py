"""Is a RabbitMQ cluster healthy? A pure evaluation of ``cluster_status`` output.

Input: the output of ``rabbitmqctl cluster_status --formatter json`` (RabbitMQ 3.10 shape:
``running_nodes``, ``disk_nodes``, ``partitions`` as ``{node: [unreachable peers]}``,
``alarms`` as ``[{"node", "resource", "type"}]``, ``cluster_name``, ``maintenance_status``,
plus ``listeners``, ``versions``, ``cpu_cores``, ``feature_flags`` which are not judged) and
the members the model expects.

Healthy means all of: the output parses; the asking node (when given) runs; every expected
member is clustered (in ``disk_nodes``) and running; the cluster holds no node the model
does not have; no network partition; no resource alarm; no node under maintenance; and the
cluster name is the expected one (when given). The reason names every failed condition.

``cluster_status`` only answers when the local app runs, so a failing command is the
adapter's "not running" case; it never reaches this function.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

__all__ = ["Health", "evaluate"]

_MAINTENANCE_OK = {"not under maintenance", "regular"}


class Health(NamedTuple):
    """``(ok, reason)``; unpacks like a tuple."""

    ok: bool
    reason: str


class _Unreadable(ValueError):
    """The status cannot be judged at all."""


def evaluate(
    status: Mapping[str, Any] | str | bytes,
    expected_members: Sequence[str],
    *,
    local_node: str | None = None,
    cluster_name: str | None = None,
) -> Health:
    """Judge ``status`` (parsed or raw JSON) against the ``expected_members`` of the model."""
    if not expected_members:
        raise ValueError("no expected members")
    try:
        data = _parse(status)
        running = _node_list(data, "running_nodes")
        disk = _node_list(data, "disk_nodes")
    except _Unreadable as exc:
        return Health(False, str(exc))
    expected = list(expected_members)
    problems = [
        *_local_problems(local_node, running),
        *_membership_problems(expected, running, disk),
        *_partition_problems(data.get("partitions")),
        *_alarm_problems(data.get("alarms")),
        *_maintenance_problems(data.get("maintenance_status")),
        *_name_problems(cluster_name, data.get("cluster_name")),
    ]
    label = f"cluster '{data.get('cluster_name', '?')}'"
    if problems:
        return Health(False, f"{label}: {'; '.join(problems)}")
    count = f"{len(expected)}/{len(expected)}"
    return Health(True, f"{label}: {count} members clustered and running, no partitions, no alarms")


def _parse(status: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    """The status as a mapping."""
    if isinstance(status, str | bytes):
        try:
            status = json.loads(status)
        except ValueError as exc:
            raise _Unreadable(f"cluster_status output is not JSON: {exc}") from exc
    if not isinstance(status, Mapping):
        raise _Unreadable(f"cluster_status output is not a JSON object: {type(status).__name__}")
    return status


def _node_list(data: Mapping[str, Any], key: str) -> list[str]:
    """A list of node names from ``data[key]``."""
    value = data.get(key)
    if value is None:
        raise _Unreadable(f"cluster_status output has no {key}")
    if isinstance(value, str):
        # RabbitMQ 4.1.0-4.1.3 printed running_nodes as one concatenated string.
        raise _Unreadable(
            f"{key} is a string ({value!r}), not a list: JSON formatter bug of "
            "RabbitMQ 4.1 before 4.1.4"
        )
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise _Unreadable(f"{key} is not a list of node names: {value!r}")
    return value


def _local_problems(local_node: str | None, running: Sequence[str]) -> list[str]:
    """The asking node must be among the running nodes."""
    if local_node is not None and local_node not in running:
        return [f"{local_node} is not running"]
    return []


def _membership_problems(
    expected: Sequence[str], running: Sequence[str], disk: Sequence[str]
) -> list[str]:
    """Expected members clustered and running; nothing else in the cluster."""
    problems = []
    not_clustered = [m for m in expected if m not in disk and m not in running]
    down = [m for m in expected if m in disk and m not in running]
    extra = sorted((set(disk) | set(running)) - set(expected))
    if not_clustered:
        problems.append(f"not clustered: {', '.join(not_clustered)}")
    if down:
        problems.append(f"not running: {', '.join(down)}")
    if extra:
        problems.append(f"not in the model: {', '.join(extra)}")
    return problems


def _partition_problems(partitions: Any) -> list[str]:
    """``{node: [peers it cannot reach]}``; empty (``{}`` or ``[]``) is healthy."""
    if not partitions:
        return []
    if isinstance(partitions, Mapping):
        return [
            f"partition: {node} cannot reach {', '.join(map(str, peers))}"
            for node, peers in sorted(partitions.items())
        ]
    return [f"partition: {partitions!r}"]


def _alarm_problems(alarms: Any) -> list[str]:
    """``[{"node", "resource", "type"}]``; empty is healthy."""
    if not alarms:
        return []
    if not isinstance(alarms, list):
        return [f"alarms: {alarms!r}"]
    problems = []
    for alarm in alarms:
        if isinstance(alarm, Mapping):
            resource = alarm.get("resource", alarm.get("type", "unknown"))
            problems.append(f"{resource} alarm on {alarm.get('node', '?')}")
        else:
            problems.append(f"alarm {alarm!r}")
    return problems


def _maintenance_problems(status: Any) -> list[str]:
    """Nodes marked for maintenance (drained) do not serve clients."""
    if not isinstance(status, Mapping):
        return []
    drained = sorted(n for n, s in status.items() if str(s) not in _MAINTENANCE_OK)
    return [f"{n} is {status[n]}" for n in drained]


def _name_problems(expected: str | None, actual: Any) -> list[str]:
    """The cluster carries the name the model gives it."""
    if expected is not None and actual != expected:
        return [f"cluster name is {actual!r}, expected {expected!r}"]
    return []
