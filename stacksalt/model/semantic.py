"""Checks a schema cannot express: cross-references inside one node's pillar."""

from __future__ import annotations

from collections import Counter


def _problem(node: str, message: str, level: str = "error"):
    from stacksalt.model.check import Problem

    return Problem(f"node {node}", message, level)


def _etcd(node: str, pillar: dict) -> list:
    server = (pillar.get("etcd") or {}).get("server")
    if not server or not server.get("enabled"):
        return []
    out = []
    names = [m["name"] for m in server["members"]]
    hosts = [m["host"] for m in server["members"]]
    for label, values in (("name", names), ("host", hosts)):
        dupes = sorted(v for v, n in Counter(values).items() if n > 1)
        if dupes:
            out.append(
                _problem(node, f"pillar etcd:server:members: duplicate {label} {', '.join(dupes)}")
            )
    if server["name"] not in names:
        out.append(
            _problem(
                node,
                f"pillar etcd:server:name: '{server['name']}' is not one of "
                f"etcd:server:members ({', '.join(names)})",
            )
        )
    if len(names) % 2 == 0:
        out.append(
            _problem(
                node,
                f"pillar etcd:server:members: {len(names)} members; an even "
                "count tolerates no more failures than one member fewer, use 1, 3 "
                "or 5",
            )
        )
    return out


def _hosts(node: str, pillar: dict) -> list:
    hosts = ((pillar.get("linux") or {}).get("network") or {}).get("host") or {}
    addresses = Counter(h["address"] for h in hosts.values())
    dupes = sorted(a for a, n in addresses.items() if n > 1)
    if dupes:
        return [
            _problem(node, f"pillar linux:network:host: address used twice: {', '.join(dupes)}")
        ]
    return []


def _galera(node: str, pillar: dict) -> list:
    server = (pillar.get("galera") or {}).get("server")
    if not server or not server.get("enabled"):
        return []
    from stacksalt.galera.decision import ClusterConfig, ConfigError, validate_config

    out = []
    names = [m["name"] for m in server["members"]]
    addresses = [m["address"] for m in server["members"]]
    for label, values in (("name", names), ("address", addresses)):
        dupes = sorted(v for v, n in Counter(values).items() if n > 1)
        if dupes:
            out.append(
                _problem(
                    node, f"pillar galera:server:members: duplicate {label} {', '.join(dupes)}"
                )
            )
    if server["name"] not in names:
        out.append(
            _problem(
                node,
                f"pillar galera:server:name: '{server['name']}' is not one "
                f"of galera:server:members ({', '.join(names)})",
            )
        )
    try:
        cfg = ClusterConfig.from_mapping(
            {
                "name": server["cluster_name"],
                "members": names,
                "cluster_size": server.get("cluster_size", len(names)),
                "force_bootstrap": server.get("force_bootstrap"),
            }
        )
        for warning in validate_config(cfg):
            out.append(_problem(node, f"pillar galera:server: {warning}", "warning"))
    except ConfigError as exc:
        out.append(_problem(node, f"pillar galera:server: {exc}"))
    return out


def _rabbitmq(node: str, pillar: dict) -> list:
    """The RabbitMQ instances: the same validation the formula's first state runs."""
    from stacksalt.rabbitmq import validate

    server = (pillar.get("rabbitmq") or {}).get("server")
    if not server or not server.get("enabled"):
        return []
    instances = server.get("instances")
    if isinstance(instances, dict):
        instances = validate.enabled_instances(instances)
    problems = validate.find_problems(instances)
    problems += validate.find_host_problems(instances, server.get("hostname", ""))
    problems += validate.find_service_problems(server.get("services"))
    return [_problem(node, f"pillar rabbitmq:server:instances: {p}") for p in problems]


def _ccp(node: str, pillar: dict, catalog=None) -> list:
    """The Kubernetes workload: its topology against the services' descriptions; the
    topology's warnings (patterns matching only as a prefix, overridden configs) are warnings
    here. Without a catalog (the descriptions did not load) there is nothing to check against."""
    from stacksalt.k8s.workload import WorkloadError, parse

    control = (pillar.get("ccp") or {}).get("control")
    if not control or not control.get("enabled") or catalog is None:
        return []
    try:
        parsed = parse(control, catalog)
    except WorkloadError as exc:
        return [_problem(node, f"pillar ccp:control: {p}") for p in exc.problems]
    out = [_problem(node, f"pillar ccp:control: {w}", "warning") for w in parsed.topology.warnings]
    if catalog.formulas_dir is not None:
        from stacksalt.k8s import pillar_check
        from stacksalt.k8s.workload import build, image_problems

        # the pods' pillars as the containers will apply them (renders, no schema library)
        try:
            built = build(control, [], catalog=catalog, validate=False)
        except WorkloadError as exc:
            return out + [_problem(node, f"pillar ccp:control: {p}") for p in exc.problems]
        out += [
            _problem(node, f"pillar ccp:control: {p}")
            for p in [
                *image_problems(built.objects, catalog),
                *pillar_check.problems(built.objects, catalog.formulas_dir),
            ]
        ]
    return out


def _kubernetes(node: str, pillar: dict) -> list:
    """The Kubernetes hosts: VIP, etcd server lists, Calico's etcd, binaries."""
    from stacksalt.k8shost.validate import find_problems

    kubernetes = pillar.get("kubernetes")
    if not kubernetes:
        return []
    etcd_server = (pillar.get("etcd") or {}).get("server")
    return [_problem(node, msg, level) for level, msg in find_problems(kubernetes, etcd_server)]


CHECKS = (_etcd, _hosts, _galera, _rabbitmq, _ccp, _kubernetes)


def semantic_checks(node: str, pillar: dict, catalog=None) -> list:
    out = []
    for fn in CHECKS:
        out += fn(node, pillar, catalog) if fn is _ccp else fn(node, pillar)
    return out
