"""Topology resolution: ``nodes`` patterns -> ``roles`` -> service instances (spec §1.4, §2.1).

Anchoring rule
--------------
A ``nodes`` key is a Python regular expression. With the default ``match_mode="prefix"`` a
key matches a node name when ``re.match`` succeeds, i.e. it is anchored at the start only,
exactly as the spec describes (§1.4 "nodes": ``node([1-5]|10|11)`` also matches ``node12``;
add ``$`` to stop that). Every node a key matches only as a prefix (``re.fullmatch`` fails)
produces a warning, so an environment growing past node9 does not silently change placement.
``match_mode="full"`` uses ``re.fullmatch`` instead (literal reading, no surprise).

Merging
-------
- Roles of a node = union of the ``roles`` of every matching key; services of a node = union of
  the services of its roles.
- Per-node ``configs`` are deep-merged (dicts recursive, lists replaced) in ascending
  lexicographic order of the matching keys, so ``node[2-4]`` wins over ``node[1-3]``.
- Effective config of an instance on a node (the spec leaves the order between service and
  node overrides open; the most specific wins here):
  global configs < ``services.<name>.configs`` < node configs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from stacksalt.k8s.common import DNS1123_LABEL, deep_merge

DEFAULT_NAMESPACE = "ccp"
DEFAULT_CLUSTER_DOMAIN = "cluster.local"


class TopologyError(ValueError):
    """The topology cannot be resolved (bad regex, unknown role, bad replica count...)."""


@dataclass(frozen=True)
class ServiceInstance:
    """A service to deploy: ``name`` built from definition ``service_def``."""

    name: str
    service_def: str
    mapping: Mapping[str, str] = field(default_factory=dict)
    configs: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Topology:
    namespace: str
    cluster_domain: str
    node_roles: dict[str, tuple[str, ...]]
    node_services: dict[str, tuple[str, ...]]
    service_nodes: dict[str, tuple[str, ...]]
    node_configs: dict[str, dict[str, Any]]
    instances: dict[str, ServiceInstance]
    replicas: dict[str, int]
    warnings: list[str] = field(default_factory=list)

    @property
    def environment(self) -> str:
        """One environment = one namespace (spec §2.1)."""
        return self.namespace

    def instance_config(self, global_configs: Mapping[str, Any], name: str) -> dict[str, Any]:
        """Global configs with the instance's ``services.<name>.configs`` on top."""
        return deep_merge(global_configs, self.instances[name].configs)

    def node_config(
        self, global_configs: Mapping[str, Any], name: str, node: str
    ) -> dict[str, Any]:
        """Effective config of instance ``name`` on ``node``: global < service < node."""
        return deep_merge(self.instance_config(global_configs, name), self.node_configs[node])


def match_pattern(pattern: str, node: str, match_mode: str = "prefix") -> bool:
    regex = _compile(pattern)
    return bool(regex.fullmatch(node) if match_mode == "full" else regex.match(node))


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise TopologyError(f"nodes: pattern {pattern!r} is not a valid regex: {exc}") from exc


def resolve_topology(
    model: Mapping[str, Any],
    node_names: Sequence[str],
    match_mode: Literal["prefix", "full"] = "prefix",
) -> Topology:
    """Resolve ``model`` (keys nodes, roles, replicas, services, kubernetes) on ``node_names``."""
    if match_mode not in ("prefix", "full"):
        raise TopologyError(f"match_mode must be 'prefix' or 'full', got {match_mode!r}")
    warnings: list[str] = []
    nodes_cfg = _mapping(model.get("nodes"), "nodes")
    roles_cfg = _mapping(model.get("roles"), "roles")
    services_cfg = _mapping(model.get("services"), "services")
    kube = _mapping(model.get("kubernetes"), "kubernetes")
    namespace = kube.get("namespace", DEFAULT_NAMESPACE)
    if not isinstance(namespace, str) or not DNS1123_LABEL.match(namespace) or len(namespace) > 63:
        raise TopologyError(f"kubernetes.namespace: not a DNS-1123 label: {namespace!r}")
    cluster_domain = kube.get("cluster_domain", DEFAULT_CLUSTER_DOMAIN)

    for role, services in roles_cfg.items():
        if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
            raise TopologyError(f"roles.{role}: must be a list of service names")

    node_roles: dict[str, set[str]] = {n: set() for n in node_names}
    node_configs: dict[str, dict[str, Any]] = {n: {} for n in node_names}
    config_source: dict[str, dict[tuple[str, ...], str]] = {n: {} for n in node_names}
    for pattern in sorted(nodes_cfg):  # lexicographic order decides config precedence
        entry = _mapping(nodes_cfg[pattern], f"nodes.{pattern}")
        unknown = set(entry) - {"roles", "configs"}
        if unknown:
            raise TopologyError(f"nodes.{pattern}: unknown keys {sorted(unknown)}")
        roles = entry.get("roles") or []
        if not isinstance(roles, list):
            raise TopologyError(f"nodes.{pattern}.roles: must be a list")
        for role in roles:
            if role not in roles_cfg:
                raise TopologyError(f"nodes.{pattern}.roles: unknown role {role!r}")
        configs = _mapping(entry.get("configs"), f"nodes.{pattern}.configs")
        regex = _compile(pattern)
        matched = []
        for node in node_names:
            prefix, full = regex.match(node), regex.fullmatch(node)
            if match_mode == "prefix" and prefix and not full:
                warnings.append(
                    f"nodes: pattern {pattern!r} matches node {node!r} only as a prefix "
                    f"(matched {prefix.group(0)!r}); end it with '$' if that is not intended"
                )
            if full or (match_mode == "prefix" and prefix):
                matched.append(node)
        if not matched:
            warnings.append(f"nodes: pattern {pattern!r} matches no node")
        for node in matched:
            node_roles[node].update(roles)
            for key in _overridden(node_configs[node], configs):
                source = config_source[node].get(key, "?")
                warnings.append(
                    f"nodes: {node}: configs {'.'.join(key)} set by {source!r} is "
                    f"overridden by {pattern!r} (patterns merge in lexicographic order)"
                )
            for key in _leaves(configs):
                config_source[node][key] = pattern
            node_configs[node] = deep_merge(node_configs[node], configs)

    node_services: dict[str, tuple[str, ...]] = {}
    service_nodes: dict[str, list[str]] = {}
    for node in node_names:
        services = sorted({s for r in node_roles[node] for s in roles_cfg[r]})
        node_services[node] = tuple(services)
        for svc in services:
            service_nodes.setdefault(svc, []).append(node)

    instances = {}
    for name in sorted(service_nodes):
        if not DNS1123_LABEL.match(name) or len(name) > 63:
            raise TopologyError(f"roles: service name {name!r} is not a DNS-1123 label")
        instances[name] = _instance(name, services_cfg.get(name))
    for name in sorted(set(services_cfg) - set(instances)):
        _instance(name, services_cfg[name])  # still validated
        warnings.append(f"services.{name}: defined but not assigned to any node by a role")
    for inst in instances.values():
        for abstract, target in sorted(inst.mapping.items()):
            if target not in instances:
                warnings.append(
                    f"services.{inst.name}.mapping.{abstract}: {target!r} is not deployed"
                )

    replicas = {}
    for name, count in _mapping(model.get("replicas"), "replicas").items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise TopologyError(f"replicas.{name}: must be an integer >= 0, got {count!r}")
        if name not in instances:
            warnings.append(f"replicas.{name}: service is not assigned to any node")
        replicas[name] = count

    return Topology(
        namespace=namespace,
        cluster_domain=cluster_domain,
        node_roles={n: tuple(sorted(r)) for n, r in node_roles.items()},
        node_services=node_services,
        service_nodes={s: tuple(n) for s, n in service_nodes.items()},
        node_configs=node_configs,
        instances=instances,
        replicas=replicas,
        warnings=warnings,
    )


def _instance(name: str, raw: Any) -> ServiceInstance:
    if raw is None:
        return ServiceInstance(name=name, service_def=name)
    entry = _mapping(raw, f"services.{name}")
    unknown = set(entry) - {"service_def", "mapping", "configs"}
    if unknown:
        raise TopologyError(f"services.{name}: unknown keys {sorted(unknown)}")
    service_def = entry.get("service_def")
    if not isinstance(service_def, str) or not service_def:
        raise TopologyError(f"services.{name}.service_def: required")
    mapping = _mapping(entry.get("mapping"), f"services.{name}.mapping")
    for key, value in mapping.items():
        if not isinstance(value, str):
            raise TopologyError(f"services.{name}.mapping.{key}: must be a service name")
    configs = _mapping(entry.get("configs"), f"services.{name}.configs")
    return ServiceInstance(name, service_def, dict(mapping), dict(configs))


def effective_replicas(topology: Topology, name: str, kind: str) -> tuple[int | None, list[str]]:
    """Replica count for instance ``name`` of ``kind``, plus warnings.

    DaemonSets return None: one pod per assigned node; a ``replicas`` entry is ignored with a
    warning (spec §1.4 "replicas"). Other kinds default to 1.
    """
    if kind == "DaemonSet":
        if name in topology.replicas:
            count = len(topology.service_nodes.get(name, ()))
            message = (
                f"replicas.{name}: ignored for a DaemonSet, which runs one pod on each of its "
                f"{count} assigned nodes"
            )
            return None, [message]
        return None, []
    return topology.replicas.get(name, 1), []


def _leaves(tree: Mapping[str, Any], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for key, value in tree.items():
        here = (*path, str(key))
        if isinstance(value, Mapping) and value:
            out.extend(_leaves(value, here))
        else:
            out.append(here)
    return out


def _overridden(base: Mapping[str, Any], override: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """Key paths whose value in ``base`` is replaced by a different one in ``override``."""
    out = []
    for key in _leaves(override):
        have: Any = base
        want: Any = override
        for part in key:
            have = have.get(part) if isinstance(have, Mapping) else None
            want = want[part]
        if have is not None and have != want:
            out.append(key)
    return out


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TopologyError(f"{path}: must be a mapping, got {type(value).__name__}")
    return value
