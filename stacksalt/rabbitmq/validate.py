"""Validate the RabbitMQ pillar for a set of named instances, reporting every problem at once.

Pillar shape (one entry per instance, e.g. ``rpc`` and ``notifications``)::

    rabbitmq:
      server:
        instances:
          rpc:
            cluster_name: openstack-rpc          # optional
            members:                             # model order; the first founds the cluster
              - rabbit-rpc@ctl01
              - {name: rabbit-rpc@ctl02}
              - {name: rabbit-rpc@ctl03, port: 5682}   # per-member overrides (one-host tests)
            port: 5672                           # AMQP listener
            dist_port: 25672                     # Erlang distribution
            management_port: 15672               # optional
            cookie: ${_secret:rabbitmq_rpc_cookie}
            data_dir: /var/lib/rabbitmq/rpc
            policies:                            # optional, list or {name: {...}}
              - {name: ha-notif, pattern: '^notifications\\.', definition: {...}}

A member inherits ``port``, ``dist_port``, ``management_port`` and ``data_dir`` from its
instance unless it overrides them. The host of a member is the part of its node name after
``@``, shortened to the first label (``ctl01.example.org`` and ``ctl01`` are one host).

Checked: required keys; member node names (``name@host``, unique within and across
instances: one Erlang node cannot serve two instances); ports (integers 1-65535, and no
two uses of one port on one host, whether by two instances, two members or two roles of a
member); the cookie (present, a resolved string, at most 255 characters, no whitespace);
data directories (absolute, and no two nodes on one host sharing or nesting them); policy
names and patterns (compiled with :func:`re.compile`). :func:`validate_instances` raises
:class:`RabbitmqConfigError` listing every :class:`Problem` found.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from stacksalt.rabbitmq.policies import check_pattern

__all__ = [
    "PORT_KEYS",
    "Problem",
    "RabbitmqConfigError",
    "enabled_instances",
    "find_host_problems",
    "find_problems",
    "find_service_problems",
    "local_member",
    "validate_instances",
]

#: The port roles of a node, in the order they are reported.
PORT_KEYS = ("port", "dist_port", "management_port")
REQUIRED_KEYS = ("members", "port", "dist_port", "cookie", "data_dir")
MEMBER_OVERRIDES = (*PORT_KEYS, "data_dir")
_NODE_RE = re.compile(r"^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+$")
_MAX_COOKIE = 255


@dataclass(frozen=True)
class Problem:
    """One problem: the instance, the key (a path inside the instance) and what is wrong."""

    instance: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.instance}.{self.key}: {self.message}"


class RabbitmqConfigError(ValueError):
    """The RabbitMQ pillar is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid RabbitMQ pillar ({len(self.problems)} problems):\n{lines}")


@dataclass(frozen=True)
class _Node:
    """One member with its effective settings, for the cross-instance checks."""

    instance: str
    key: str  # e.g. "members[1]"
    name: str
    host: str
    settings: Mapping[str, Any]


def validate_instances(instances: Any) -> None:
    """Raise :class:`RabbitmqConfigError` unless ``instances`` is a valid pillar."""
    problems = find_problems(instances)
    if problems:
        raise RabbitmqConfigError(problems)


def find_problems(instances: Any) -> list[Problem]:
    """Every problem in ``instances`` (``{name: instance pillar}``), in a stable order."""
    if not isinstance(instances, Mapping) or not instances:
        return [Problem("rabbitmq", "instances", "must be a non-empty mapping of instances")]
    problems: list[Problem] = []
    nodes: list[_Node] = []
    for name, pillar in instances.items():
        if not isinstance(pillar, Mapping):
            problems.append(Problem(str(name), "", "must be a mapping"))
            continue
        problems.extend(_instance_problems(str(name), pillar))
        nodes.extend(_nodes(str(name), pillar))
    problems.extend(_duplicate_nodes(nodes))
    problems.extend(_port_clashes(nodes))
    problems.extend(_data_dir_clashes(nodes))
    return problems


# --------------------------------------------------------------------------------------------
# Per-instance checks
# --------------------------------------------------------------------------------------------


def _instance_problems(name: str, pillar: Mapping[str, Any]) -> Iterator[Problem]:
    """Checks that need only one instance."""
    for key in REQUIRED_KEYS:
        if key not in pillar or pillar[key] in (None, ""):
            what = "missing cookie" if key == "cookie" else "missing"
            yield Problem(name, key, what)
    yield from _member_problems(name, pillar.get("members"))
    for key in PORT_KEYS:
        if pillar.get(key) is not None:
            yield from _port_problem(name, key, pillar[key])
    if pillar.get("cookie") not in (None, ""):
        yield from _cookie_problems(name, pillar["cookie"])
    if pillar.get("data_dir") not in (None, ""):
        yield from _data_dir_problem(name, "data_dir", pillar["data_dir"])
    yield from _policy_problems(name, pillar.get("policies"))


def _member_problems(name: str, members: Any) -> Iterator[Problem]:
    """Members: a non-empty list of node names or ``{name: ..., overrides}``."""
    if members is None:
        return
    if isinstance(members, str | bytes) or not isinstance(members, Sequence) or not members:
        yield Problem(name, "members", "must be a non-empty list of node names")
        return
    seen: dict[str, int] = {}
    for i, member in enumerate(members):
        key = f"members[{i}]"
        node = _member_name(member)
        if node is None:
            yield Problem(name, key, "must be a node name or a mapping with 'name'")
            continue
        if not _NODE_RE.match(node):
            yield Problem(name, key, f"{node!r} is not a node name like rabbit@ctl01")
        if node in seen:
            yield Problem(name, key, f"duplicate node name {node} (also members[{seen[node]}])")
        seen.setdefault(node, i)
        if isinstance(member, Mapping):
            yield from _override_problems(name, key, member)


def _override_problems(name: str, key: str, member: Mapping[str, Any]) -> Iterator[Problem]:
    """Per-member overrides: only known keys, valid values."""
    unknown = sorted(set(member) - {"name", *MEMBER_OVERRIDES})
    if unknown:
        yield Problem(name, key, f"unknown keys {', '.join(unknown)}")
    for port_key in PORT_KEYS:
        if member.get(port_key) is not None:
            yield from _port_problem(name, f"{key}.{port_key}", member[port_key])
    if member.get("data_dir") is not None:
        yield from _data_dir_problem(name, f"{key}.data_dir", member["data_dir"])


def _port_problem(name: str, key: str, value: Any) -> Iterator[Problem]:
    """A port is an integer in 1..65535."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        yield Problem(name, key, f"{value!r} is not a port number (1-65535)")


def _cookie_problems(name: str, cookie: Any) -> Iterator[Problem]:
    """The Erlang cookie: a resolved, printable string of at most 255 characters."""
    if not isinstance(cookie, str):
        yield Problem(name, "cookie", "must be a string")
    elif "${" in cookie:
        yield Problem(name, "cookie", f"unresolved reference {cookie}: supply the secret")
    elif len(cookie) > _MAX_COOKIE or any(c.isspace() or not c.isprintable() for c in cookie):
        yield Problem(
            name, "cookie", f"must be at most {_MAX_COOKIE} printable characters, no spaces"
        )


def _data_dir_problem(name: str, key: str, value: Any) -> Iterator[Problem]:
    """A data directory is an absolute path."""
    if not isinstance(value, str) or not value.startswith("/"):
        yield Problem(name, key, f"{value!r} is not an absolute path")


def _policy_problems(name: str, policies: Any) -> Iterator[Problem]:
    """Policies: a list of ``{name, pattern, ...}`` or a mapping ``{name: {pattern, ...}}``."""
    if policies is None:
        return
    if isinstance(policies, Mapping):
        entries = [
            (f"policies.{k}", {"name": k, **v} if isinstance(v, Mapping) else v)
            for k, v in policies.items()
        ]
    elif isinstance(policies, Sequence) and not isinstance(policies, str | bytes):
        entries = [(f"policies[{i}]", p) for i, p in enumerate(policies)]
    else:
        yield Problem(name, "policies", "must be a list or a mapping")
        return
    for key, policy in entries:
        if not isinstance(policy, Mapping):
            yield Problem(name, key, "must be a mapping")
            continue
        if not policy.get("name"):
            yield Problem(name, f"{key}.name", "missing")
        problem = check_pattern(policy.get("pattern"))
        if problem:
            yield Problem(name, f"{key}.pattern", problem)


# --------------------------------------------------------------------------------------------
# Cross-instance checks
# --------------------------------------------------------------------------------------------


def _member_name(member: Any) -> str | None:
    """The node name of a member entry, or ``None`` when there is none."""
    if isinstance(member, str):
        return member
    if isinstance(member, Mapping) and isinstance(member.get("name"), str):
        return member["name"]
    return None


def _host(node: str) -> str:
    """``rabbit@ctl01.example.org`` → ``ctl01``."""
    return node.partition("@")[2].split(".")[0]


def _nodes(name: str, pillar: Mapping[str, Any]) -> Iterator[_Node]:
    """Members of one instance with their effective settings (instance values + overrides)."""
    members = pillar.get("members")
    if not isinstance(members, Sequence) or isinstance(members, str | bytes):
        return
    defaults = {k: pillar.get(k) for k in MEMBER_OVERRIDES}
    for i, member in enumerate(members):
        node = _member_name(member)
        if node is None or "@" not in node:
            continue
        overrides = member if isinstance(member, Mapping) else {}
        settings = {k: overrides.get(k, defaults[k]) for k in MEMBER_OVERRIDES}
        yield _Node(name, f"members[{i}]", node, _host(node), settings)


def _duplicate_nodes(nodes: Sequence[_Node]) -> Iterator[Problem]:
    """One node name in two instances."""
    first: dict[str, _Node] = {}
    for node in nodes:
        seen = first.setdefault(node.name, node)
        if seen.instance != node.instance:
            yield Problem(
                node.instance,
                node.key,
                f"duplicate node name {node.name}: also {seen.instance}.{seen.key}",
            )


def _port_clashes(nodes: Sequence[_Node]) -> Iterator[Problem]:
    """One port used twice on one host (two instances, two members or two roles)."""
    users: dict[tuple[str, int], list[tuple[_Node, str]]] = defaultdict(list)
    for node in nodes:
        for key in PORT_KEYS:
            port = node.settings.get(key)
            if isinstance(port, int) and not isinstance(port, bool):
                users[(node.host, port)].append((node, key))
    for (host, port), uses in users.items():
        first_node, first_key = uses[0]
        for node, key in uses[1:]:
            if (node.name, key) == (first_node.name, first_key):
                continue  # a duplicate node name, reported as such
            yield Problem(
                node.instance,
                key,
                f"port {port} on host {host} is used by {node.name} ({key}) and by "
                f"{first_node.name} ({first_node.instance}.{first_key})",
            )


def _data_dir_clashes(nodes: Sequence[_Node]) -> Iterator[Problem]:
    """Two nodes on one host with the same data directory, or one inside the other."""
    by_host: dict[str, list[_Node]] = defaultdict(list)
    for node in nodes:
        if isinstance(node.settings.get("data_dir"), str):
            by_host[node.host].append(node)
    for host, host_nodes in by_host.items():
        for i, node in enumerate(host_nodes):
            for other in host_nodes[:i]:
                if node.name == other.name:
                    continue  # reported as a duplicate node name
                relation = _overlap(node.settings["data_dir"], other.settings["data_dir"])
                if relation:
                    yield Problem(
                        node.instance,
                        "data_dir",
                        f"data dir {node.settings['data_dir']} of {node.name} {relation} "
                        f"{other.settings['data_dir']} of {other.name} "
                        f"({other.instance}) on host {host}",
                    )


def _overlap(a: str, b: str) -> str:
    """How directory ``a`` clashes with ``b``: equal, nested, or not at all (``""``)."""
    pa, pb = PurePosixPath(a), PurePosixPath(b)
    if pa == pb:
        return "is also"
    if pa.is_relative_to(pb):
        return "is inside"
    if pb.is_relative_to(pa):
        return "contains"
    return ""


# --------------------------------------------------------------------------------------------
# This host's place in each instance, and the services' users
# --------------------------------------------------------------------------------------------


def enabled_instances(instances: Mapping[str, Any]) -> dict[str, Any]:
    """The instances whose ``enabled`` is not false (a class may disable an inherited one)."""
    return {
        name: pillar
        for name, pillar in instances.items()
        if not (isinstance(pillar, Mapping) and pillar.get("enabled") is False)
    }


def local_member(pillar: Mapping[str, Any], hostname: str) -> str | None:
    """This host's node name in an instance: ``node`` when given, else the member whose
    host (first label) is ``hostname``; ``None`` when there is none or more than one."""
    names = [_member_name(m) for m in pillar.get("members") or ()]
    names = [n for n in names if n]
    if pillar.get("node"):
        return pillar["node"] if pillar["node"] in names else None
    mine = [n for n in names if "@" in n and _host(n) == hostname.split(".", maxsplit=1)[0]]
    return mine[0] if len(mine) == 1 else None


def find_host_problems(instances: Any, hostname: Any) -> list[Problem]:
    """Every instance must have exactly one member on this host (or name it in ``node``)."""
    if not isinstance(hostname, str) or not hostname:
        return [Problem("rabbitmq", "hostname", "missing: this host's name (linux_system_name)")]
    if not isinstance(instances, Mapping):
        return []
    problems = []
    for name, pillar in instances.items():
        if not isinstance(pillar, Mapping) or not isinstance(pillar.get("members"), list):
            continue
        if local_member(pillar, hostname) is not None:
            continue
        if pillar.get("node"):
            what = f"node {pillar['node']} is not a member"
        else:
            what = f"no single member runs on this host ({hostname})"
        problems.append(Problem(str(name), "members", f"{what}: cannot tell the local node"))
    return problems


def find_service_problems(services: Any) -> list[Problem]:
    """Each enabled service needs a password (its user's), unless it makes its own user
    (``user: false``: a Kubernetes Job over the management API), and names its vhost
    plainly."""
    if services is None:
        return []
    if not isinstance(services, Mapping):
        return [Problem("rabbitmq", "services", "must be a mapping of service names")]
    problems = []
    for name, svc in services.items():
        if svc is False or (isinstance(svc, Mapping) and svc.get("enabled") is False):
            continue
        if not isinstance(svc, Mapping):
            problems.append(Problem("services", str(name), "must be a mapping"))
            continue
        password = svc.get("password")
        if svc.get("user") is False:
            pass  # the service makes its own user; only its queues' policies are here
        elif not isinstance(password, str) or not password:
            problems.append(Problem("services", f"{name}.password", "missing"))
        elif "${" in password:
            problems.append(
                Problem("services", f"{name}.password", "unresolved reference: supply the secret")
            )
        vhost = svc.get("vhost")
        if vhost is not None and (not isinstance(vhost, str) or not vhost):
            problems.append(Problem("services", f"{name}.vhost", f"{vhost!r} is not a vhost"))
    return problems
