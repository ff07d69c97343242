"""Table tests for the RabbitMQ health evaluation of ``cluster_status --formatter json``."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from stacksalt.rabbitmq.health import Health, evaluate

N1, N2, N3 = "rabbit@ctl01", "rabbit@ctl02", "rabbit@ctl03"
MEMBERS = (N1, N2, N3)


def _listeners(node: str) -> list[dict[str, Any]]:
    return [
        {
            "interface": "[::]",
            "node": node,
            "port": 25672,
            "protocol": "clustering",
            "purpose": "inter-node and CLI tool communication",
        },
        {
            "interface": "[::]",
            "node": node,
            "port": 5672,
            "protocol": "amqp",
            "purpose": "AMQP 0-9-1 and AMQP 1.0",
        },
        {
            "interface": "[::]",
            "node": node,
            "port": 15672,
            "protocol": "http",
            "purpose": "HTTP API",
        },
    ]


# `rabbitmqctl cluster_status --formatter json` of a healthy three-node RabbitMQ 3.10.8
# cluster on Erlang 25 (Debian bookworm packages), pretty-printed. 3.10 has no
# cluster_tags key yet; partitions is a JSON object keyed by node.
SAMPLE_3_10 = json.dumps(
    {
        "alarms": [],
        "cluster_name": "openstack-rpc",
        "cpu_cores": {N1: 4, N2: 4, N3: 4},
        "disk_nodes": [N1, N2, N3],
        "feature_flags": [
            {
                "desc": "Support setting version for classic mirrored queues",
                "doc_url": "",
                "name": "classic_mirrored_queue_version",
                "provided_by": "rabbit",
                "stability": "stable",
                "state": "enabled",
            },
            {
                "desc": "Count unroutable publishes to be dropped in stats",
                "doc_url": "",
                "name": "drop_unroutable_metric",
                "provided_by": "rabbit_common",
                "stability": "stable",
                "state": "enabled",
            },
            {
                "desc": "Maintenance mode status",
                "doc_url": "",
                "name": "maintenance_mode_status",
                "provided_by": "rabbit",
                "stability": "stable",
                "state": "enabled",
            },
            {
                "desc": "Support queues of type `quorum`",
                "doc_url": "https://www.rabbitmq.com/quorum-queues.html",
                "name": "quorum_queue",
                "provided_by": "rabbit",
                "stability": "stable",
                "state": "enabled",
            },
            {
                "desc": "Support queues of type `stream`",
                "doc_url": "https://www.rabbitmq.com/stream.html",
                "name": "stream_queue",
                "provided_by": "rabbit",
                "stability": "stable",
                "state": "enabled",
            },
        ],
        "listeners": {n: _listeners(n) for n in (N2, N3, N1)},
        "maintenance_status": dict.fromkeys((N2, N3, N1), "not under maintenance"),
        "partitions": {},
        "running_nodes": [N2, N3, N1],
        "versions": {
            n: {
                "erlang_version": "25.2.3",
                "rabbitmq_name": "RabbitMQ",
                "rabbitmq_version": "3.10.8",
            }
            for n in (N2, N3, N1)
        },
    },
    indent=2,
)


def sample() -> dict[str, Any]:
    """The parsed 3.10 sample, to mutate."""
    return copy.deepcopy(json.loads(SAMPLE_3_10))


def with_(**changes: Any) -> Callable[[dict], None]:
    """A mutator replacing top-level keys."""
    return lambda data: data.update(changes)


CASES: dict[str, tuple[Callable[[dict], None], dict[str, Any], bool, list[str]]] = {
    "healthy 3.10 cluster": (
        with_(),
        {},
        True,
        ["cluster 'openstack-rpc': 3/3 members clustered and running, no partitions"],
    ),
    "healthy, asked from a running node with the expected name": (
        with_(),
        {"local_node": N2, "cluster_name": "openstack-rpc"},
        True,
        [],
    ),
    "one member stopped": (
        with_(running_nodes=[N1, N2]),
        {},
        False,
        [f"not running: {N3}"],
    ),
    "one member never joined": (
        with_(running_nodes=[N1, N2], disk_nodes=[N1, N2]),
        {},
        False,
        [f"not clustered: {N3}"],
    ),
    "a node the model does not have (scale-down not forgotten)": (
        with_(disk_nodes=[N1, N2, N3, "rabbit@ctl04"]),
        {},
        False,
        ["not in the model: rabbit@ctl04"],
    ),
    "network partition": (
        with_(partitions={N3: [N1, N2]}),
        {},
        False,
        [f"partition: {N3} cannot reach {N1}, {N2}"],
    ),
    "memory and disk alarms": (
        with_(
            alarms=[
                {"node": N2, "resource": "memory", "type": "resource_limit"},
                {"node": N3, "resource": "disk", "type": "resource_limit"},
            ]
        ),
        {},
        False,
        [f"memory alarm on {N2}", f"disk alarm on {N3}"],
    ),
    "file descriptor alarm": (
        with_(alarms=[{"node": N1, "resource": "file_descriptors", "type": "resource_limit"}]),
        {},
        False,
        [f"file_descriptors alarm on {N1}"],
    ),
    "node drained for maintenance": (
        lambda d: d["maintenance_status"].update({N2: "marked for maintenance"}),
        {},
        False,
        [f"{N2} is marked for maintenance"],
    ),
    "asking node not running": (
        with_(running_nodes=[N1, N2]),
        {"local_node": N3},
        False,
        [f"{N3} is not running", f"not running: {N3}"],
    ),
    "wrong cluster name (default name, never set)": (
        with_(cluster_name=N1),
        {"cluster_name": "openstack-rpc"},
        False,
        [f"cluster name is '{N1}', expected 'openstack-rpc'"],
    ),
    "several problems are all reported": (
        with_(running_nodes=[N1], partitions={N1: [N2, N3]}),
        {},
        False,
        [f"not running: {N2}, {N3}", "partition:"],
    ),
    "partitions as an empty list (older formatter) is healthy": (
        with_(partitions=[]),
        {},
        True,
        [],
    ),
    "4.1.x formatter bug: running_nodes as one string": (
        with_(running_nodes=f"{N1}{N2}{N3}"),
        {},
        False,
        ["running_nodes is a string", "before 4.1.4"],
    ),
    "missing running_nodes": (
        lambda d: d.pop("running_nodes"),
        {},
        False,
        ["has no running_nodes"],
    ),
}


@pytest.mark.parametrize(("mutate", "kwargs", "ok", "fragments"), CASES.values(), ids=CASES.keys())
def test_evaluate(
    mutate: Callable[[dict], None], kwargs: dict[str, Any], ok: bool, fragments: list[str]
) -> None:
    data = sample()
    mutate(data)
    health = evaluate(data, MEMBERS, **kwargs)
    assert health.ok is ok, health.reason
    for fragment in fragments:
        assert fragment in health.reason


RAW = {
    "raw JSON text": (SAMPLE_3_10, True, "3/3 members"),
    "raw JSON bytes": (SAMPLE_3_10.encode(), True, "3/3 members"),
    "not JSON": ("Error: unable to perform an operation on node", False, "not JSON"),
    "JSON but not an object": ("[1, 2]", False, "not a JSON object"),
}


@pytest.mark.parametrize(("raw", "ok", "fragment"), RAW.values(), ids=RAW.keys())
def test_evaluate_raw_output(raw: str | bytes, ok: bool, fragment: str) -> None:
    ok_, reason = evaluate(raw, MEMBERS)
    assert ok_ is ok
    assert fragment in reason


def test_health_is_a_tuple() -> None:
    assert evaluate(SAMPLE_3_10, MEMBERS) == Health(
        True, "cluster 'openstack-rpc': 3/3 members clustered and running, no partitions, no alarms"
    )


def test_no_expected_members_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="no expected members"):
        evaluate(SAMPLE_3_10, [])
