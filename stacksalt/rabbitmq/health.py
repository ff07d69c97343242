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

The same check runs from the command line, for Kubernetes exec probes and haproxy's
``external-check``::

    python -m stacksalt.rabbitmq.health --node rabbit@ctl01 \
        --expect rabbit@ctl01,rabbit@ctl02,rabbit@ctl03 [--cluster-name openstack-rpc]

It prints ``OK: <reason>`` and exits 0, or ``FAIL: <reason>`` and exits 1. The Erlang cookie
comes from ``$HOME/.erlang.cookie`` as for ``rabbitmqctl`` (set ``HOME`` to the instance's
data directory for a named instance); it never appears on a command line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

__all__ = ["Health", "check_node", "evaluate", "main"]

RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"

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


# --------------------------------------------------------------------------------------------
# Command line: ask a node, judge the answer
# --------------------------------------------------------------------------------------------


def check_node(
    node: str,
    expected_members: Sequence[str],
    *,
    cluster_name: str | None = None,
    rabbitmqctl: str = RABBITMQCTL,
    timeout: float = 10,
) -> Health:
    """Run ``rabbitmqctl -n node cluster_status`` and :func:`evaluate` its output."""
    argv = [rabbitmqctl, "-n", node, "-q", "cluster_status", "--formatter", "json"]
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Health(False, f"{node}: cluster_status did not answer within {timeout:g} s")
    except OSError as exc:
        return Health(False, f"cannot run {rabbitmqctl}: {exc}")
    if res.returncode != 0:
        detail = (res.stderr or res.stdout).strip().splitlines()
        first = detail[0] if detail else f"exit code {res.returncode}"
        return Health(False, f"{node} is not running: {first}")
    return evaluate(res.stdout, expected_members, local_node=node, cluster_name=cluster_name)


def main(argv: Sequence[str] | None = None) -> int:
    """Print ``OK: ...``/``FAIL: ...`` and return 0/1."""
    parser = argparse.ArgumentParser(
        prog="python -m stacksalt.rabbitmq.health",
        description="Health of a RabbitMQ node and its cluster: running, clustered with the "
        "expected members, no partitions, no alarms. Exit 0 when healthy, 1 otherwise.",
    )
    parser.add_argument("--node", required=True, help="node to ask, e.g. rabbit@ctl01")
    parser.add_argument(
        "--expect",
        required=True,
        action="append",
        help="expected members (comma-separated; may be repeated)",
    )
    parser.add_argument("--cluster-name", help="the cluster name the model gives")
    parser.add_argument("--rabbitmqctl", default=RABBITMQCTL, help="path of rabbitmqctl")
    parser.add_argument("--timeout", type=float, default=10, help="seconds (default 10)")
    args = parser.parse_args(argv)
    expected = [m.strip() for value in args.expect for m in value.split(",") if m.strip()]
    if not expected:
        parser.error("--expect: no member given")
    ok, reason = check_node(
        args.node,
        expected,
        cluster_name=args.cluster_name,
        rabbitmqctl=args.rabbitmqctl,
        timeout=args.timeout,
    )
    print(f"{'OK' if ok else 'FAIL'}: {reason}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
