"""Table tests for the RabbitMQ instances pillar validation."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stacksalt.rabbitmq.validate import (
    Problem,
    RabbitmqConfigError,
    enabled_instances,
    find_host_problems,
    find_problems,
    find_service_problems,
    local_member,
    validate_instances,
)

HOSTS = ("ctl01", "ctl02", "ctl03")


def pillar() -> dict[str, Any]:
    """Two valid instances on the same three hosts (seed 002: one for RPC, one for
    notifications)."""
    return {
        "rpc": {
            "cluster_name": "openstack-rpc",
            "members": [f"rabbit-rpc@{h}" for h in HOSTS],
            "port": 5672,
            "dist_port": 25672,
            "management_port": 15672,
            "cookie": "rpc-cookie-7f3a9c",
            "data_dir": "/var/lib/rabbitmq/rpc",
            "policies": [
                {"name": "rpc-ttl", "pattern": "^reply_", "definition": {"expires": 600000}}
            ],
        },
        "notifications": {
            "members": [{"name": f"rabbit-notif@{h}"} for h in HOSTS],
            "port": 5673,
            "dist_port": 25673,
            "management_port": 15673,
            "cookie": "notif-cookie-0b12de",
            "data_dir": "/var/lib/rabbitmq/notifications",
            "policies": {"ha": {"pattern": r"^notifications\.", "definition": {}}},
        },
    }


def change(path: str, value: Any) -> Callable[[dict], None]:
    """A mutator setting ``a.b.0.c`` (list indexes as numbers) in the pillar."""

    def apply(data: dict) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        elif value is DELETE:
            del target[last]
        else:
            target[last] = value

    return apply


DELETE = object()


def one_host(data: dict) -> None:
    """Three rpc members on one host with distinct ports and data dirs (RECIPES)."""
    data["rpc"]["members"] = [
        {
            "name": f"rabbit{i}@localhost",
            "port": 5672 + i,
            "dist_port": 25672 + i,
            "management_port": 15672 + i,
            "data_dir": f"/srv/rabbit{i}",
        }
        for i in range(3)
    ]
    del data["notifications"]


def on_other_hosts(data: dict) -> None:
    """Notifications on msg01..03 with the same ports as rpc: no clash."""
    notif = data["notifications"]
    notif["members"] = [f"rabbit@msg0{i}" for i in (1, 2, 3)]
    notif.update(port=5672, dist_port=25672, management_port=15672)
    notif["data_dir"] = "/var/lib/rabbitmq/rpc"


def clash(instance: str, key: str, fragment: str) -> list[tuple[str, str, str]]:
    """The same problem on each of the three hosts."""
    return [(instance, key, fragment.format(h=h)) for h in HOSTS]


CASES: dict[str, tuple[Callable[[dict], None], list[tuple[str, str, str]]]] = {
    "valid": (lambda d: None, []),
    "same ports on other hosts are fine": (on_other_hosts, []),
    "three members on one host with overrides": (one_host, []),
    "missing cookie": (
        change("notifications.cookie", DELETE),
        [("notifications", "cookie", "missing cookie")],
    ),
    "empty cookie": (
        change("rpc.cookie", ""),
        [("rpc", "cookie", "missing cookie")],
    ),
    "unresolved cookie reference": (
        change("rpc.cookie", "${_secret:rabbitmq_rpc_cookie}"),
        [("rpc", "cookie", "unresolved reference")],
    ),
    "cookie with a space": (
        change("rpc.cookie", "two words"),
        [("rpc", "cookie", "no spaces")],
    ),
    "duplicate node name in one instance": (
        change("rpc.members.2", "rabbit-rpc@ctl01"),
        [("rpc", "members[2]", "duplicate node name rabbit-rpc@ctl01 (also members[0])")],
    ),
    "duplicate node name across instances": (
        change("notifications.members.0", "rabbit-rpc@ctl01"),
        [
            (
                "notifications",
                "members[0]",
                "duplicate node name rabbit-rpc@ctl01: also rpc.members[0]",
            ),
        ],
    ),
    "invalid policy regex in a list": (
        change("rpc.policies.0.pattern", "^(reply_"),
        [("rpc", "policies[0].pattern", "invalid regular expression '^(reply_'")],
    ),
    "invalid policy regex in a mapping": (
        change("notifications.policies.ha.pattern", "*.info"),
        [("notifications", "policies.ha.pattern", "invalid regular expression")],
    ),
    "policy without a name": (
        change("rpc.policies.0.name", ""),
        [("rpc", "policies[0].name", "missing")],
    ),
    "two instances on one port on the same hosts": (
        change("notifications.port", 5672),
        clash(
            "notifications",
            "port",
            "port 5672 on host {h} is used by rabbit-notif@{h} (port) and by "
            "rabbit-rpc@{h} (rpc.port)",
        ),
    ),
    "management port of one instance is the AMQP port of the other": (
        change("notifications.management_port", 5672),
        clash("notifications", "management_port", "rabbit-rpc@{h} (rpc.port)"),
    ),
    "two roles of one instance on one port": (
        change("rpc.dist_port", 5672),
        clash("rpc", "dist_port", "rabbit-rpc@{h} (dist_port) and by rabbit-rpc@{h} (rpc.port)"),
    ),
    "one-host members without port overrides clash": (
        lambda d: d["rpc"].update(members=["rabbit1@localhost", "rabbit2@localhost"]),
        [
            ("rpc", "port", "port 5672 on host localhost"),
            ("rpc", "dist_port", "port 25672 on host localhost"),
            ("rpc", "management_port", "port 15672 on host localhost"),
            ("rpc", "data_dir", "/var/lib/rabbitmq/rpc of rabbit2@localhost is also"),
        ],
    ),
    "same data dir for two instances on one host": (
        change("notifications.data_dir", "/var/lib/rabbitmq/rpc"),
        clash("notifications", "data_dir", "of rabbit-notif@{h} is also /var/lib/rabbitmq/rpc"),
    ),
    "nested data dirs": (
        change("notifications.data_dir", "/var/lib/rabbitmq"),
        clash("notifications", "data_dir", "/var/lib/rabbitmq of rabbit-notif@{h} contains"),
    ),
    "relative data dir": (
        change("rpc.data_dir", "var/lib/rabbitmq"),
        [("rpc", "data_dir", "not an absolute path")],
    ),
    "port out of range": (
        change("rpc.management_port", 70000),
        [("rpc", "management_port", "not a port number")],
    ),
    "port as a string": (
        change("rpc.port", "5672"),
        [("rpc", "port", "'5672' is not a port number")],
    ),
    "member override with a bad port and an unknown key": (
        change("notifications.members.1", {"name": "rabbit-notif@ctl02", "port": 0, "x": 1}),
        [
            ("notifications", "members[1]", "unknown keys x"),
            ("notifications", "members[1].port", "0 is not a port number"),
        ],
    ),
    "node name without a host": (
        change("rpc.members.1", "ctl02"),
        [("rpc", "members[1]", "'ctl02' is not a node name")],
    ),
    "no members": (
        change("rpc.members", []),
        [("rpc", "members", "non-empty list")],
    ),
    "missing port": (
        change("rpc.port", DELETE),
        [("rpc", "port", "missing")],
    ),
    "instance is not a mapping": (
        change("notifications", "yes"),
        [("notifications", "", "must be a mapping")],
    ),
}


@pytest.mark.parametrize(("mutate", "expected"), CASES.values(), ids=CASES.keys())
def test_find_problems(mutate: Callable[[dict], None], expected: list) -> None:
    data = copy.deepcopy(pillar())
    mutate(data)
    problems = find_problems(data)
    assert sorted((p.instance, p.key) for p in problems) == sorted(
        (i, k) for i, k, _ in expected
    ), [str(p) for p in problems]
    for instance, key, fragment in expected:
        messages = [p.message for p in problems if (p.instance, p.key) == (instance, key)]
        assert any(fragment in m for m in messages), (fragment, messages)


@pytest.mark.parametrize("instances", [{}, None, ["rpc"]], ids=["empty", "none", "list"])
def test_instances_must_be_a_mapping(instances: Any) -> None:
    assert find_problems(instances) == [
        Problem("rabbitmq", "instances", "must be a non-empty mapping of instances")
    ]


def test_validate_raises_one_error_listing_every_problem() -> None:
    data = pillar()
    data["rpc"]["cookie"] = ""
    data["notifications"]["policies"]["ha"]["pattern"] = "(("
    with pytest.raises(RabbitmqConfigError) as caught:
        validate_instances(data)
    error = caught.value
    assert isinstance(error, ValueError)
    assert [str(p).split(":")[0] for p in error.problems] == [
        "rpc.cookie",
        "notifications.policies.ha.pattern",
    ]
    assert "2 problems" in str(error)
    assert "rpc.cookie: missing cookie" in str(error)


def test_validate_accepts_a_valid_pillar() -> None:
    assert validate_instances(pillar()) is None


# --- this host's member, services, disabled instances -------------------------------------


@pytest.mark.parametrize(
    ("instance", "hostname", "expected"),
    [
        ({"members": ["rabbit@ctl01", "rabbit@ctl02"]}, "ctl02", "rabbit@ctl02"),
        ({"members": ["rabbit@ctl01.example.org"]}, "ctl01", "rabbit@ctl01.example.org"),
        ({"members": [{"name": "rabbit@ctl01"}]}, "ctl01.example.org", "rabbit@ctl01"),
        ({"members": ["rabbit@ctl01"]}, "ctl09", None),
        ({"members": ["a@localhost", "b@localhost"]}, "localhost", None),
        ({"members": ["a@localhost", "b@localhost"], "node": "b@localhost"}, "x", "b@localhost"),
        ({"members": ["a@localhost"], "node": "c@localhost"}, "localhost", None),
    ],
    ids=["by host", "fqdn member", "fqdn host", "absent", "ambiguous", "explicit", "not member"],
)
def test_local_member(instance, hostname, expected):
    assert local_member(instance, hostname) == expected


def test_host_problems():
    instances = {"rpc": {"members": ["rabbit@ctl01"]}, "n": {"members": ["rabbit-n@ctl02"]}}
    assert [str(p) for p in find_host_problems(instances, "ctl01")] == [
        "n.members: no single member runs on this host (ctl01): cannot tell the local node"
    ]
    assert [p.key for p in find_host_problems(instances, "")] == ["hostname"]


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        ({"nova": {"enabled": True, "password": "x"}}, []),
        ({"nova": {"enabled": False}, "heat": False}, []),
        ({"nova": {"enabled": True}}, ["services.nova.password: missing"]),
        (
            {"nova": {"password": "${_param:rabbitmq_nova_password}"}},
            ["services.nova.password: unresolved reference: supply the secret"],
        ),
        ({"nova": {"password": "x", "vhost": ""}}, ["services.nova.vhost: '' is not a vhost"]),
        (["nova"], ["rabbitmq.services: must be a mapping of service names"]),
    ],
)
def test_service_problems(services, expected):
    assert [str(p) for p in find_service_problems(services)] == expected


def test_disabled_instances_are_left_out():
    assert list(enabled_instances({"a": {"enabled": False}, "b": {}, "c": {"enabled": True}})) == [
        "b",
        "c",
    ]
