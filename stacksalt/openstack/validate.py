"""Checks of the ``openstack:`` pillar a schema cannot express, every problem at once, each
naming its key path (``openstack:resources:flavors:m1.bad:ram: ...``).

:func:`find_problems` is what ``stacksalt model check`` and the ``config_valid`` states call.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

import yaml

NETWORK_TYPES = ("flat", "vlan", "vxlan", "gre", "geneve", "local")
DISK_FORMATS = ("qcow2", "raw", "vmdk", "vdi", "iso", "ami", "ari", "aki", "vhd", "vhdx", "ploop")
CONTAINER_FORMATS = ("bare", "ovf", "ova", "aki", "ari", "ami", "docker", "compressed")
VISIBILITIES = ("public", "private", "shared", "community")
PROTOCOLS = ("icmp", "tcp", "udp", "ipv6-icmp", "icmpv6", "any")
INTERFACES = ("public", "internal", "admin")
SQL_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
SEGMENT_MAX = {"vlan": 4094, "vxlan": 2**24 - 1, "geneve": 2**24 - 1, "gre": 2**32 - 1}


def _int(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _entries(section: Mapping, key: str, path: str, problems: list) -> dict:
    """``section[key]`` as a dict of entries (``{}`` when absent; a problem when not a dict)."""
    value = section.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{path}:{key}: must be a mapping of name to settings")
        return {}
    out = {}
    for name, entry in value.items():
        if entry is not None and not isinstance(entry, Mapping):
            problems.append(f"{path}:{key}:{name}: must be a mapping")
            continue
        out[str(name)] = entry or {}
    return out


def _duplicates(entries: dict, path: str, what: str) -> list[str]:
    """Two entries with one effective ``name`` (an entry's ``name`` or its key)."""
    names = Counter(str(e.get("name") or k) for k, e in entries.items())
    out = []
    for name, count in sorted(names.items()):
        if count > 1:
            keys = sorted(k for k, e in entries.items() if str(e.get("name") or k) == name)
            out.append(f"{path}: duplicate {what} name {name!r} (entries {', '.join(keys)})")
    return out


def _names(entries: dict) -> dict[str, str]:
    """effective name → key."""
    return {str(e.get("name") or k): k for k, e in entries.items()}


def _secret(entry: Mapping, path: str, key: str = "password") -> list[str]:
    if entry.get(key) or entry.get(f"{key}_pillar"):
        return []
    return [f"{path}:{key}: missing (give {key}, or {key}_pillar naming the pillar key of it)"]


def _url(value, path: str) -> list[str]:
    parsed = urlparse(str(value or ""))
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return [f"{path}: {value!r} is not an http(s) URL"]
    return []


# ------------------------------------------------------------------------------ database


def database_problems(db: Mapping, path: str = "openstack:database") -> list[str]:
    problems = []
    if not db.get("host"):
        problems.append(f"{path}:host: missing (the Galera writer's address)")
    port = db.get("port", 3306)
    if _int(port) is None or not 1 <= port <= 65535:
        problems.append(f"{path}:port: {port!r} is not a port number")
    admin = db.get("admin") or {}
    if not admin.get("user"):
        problems.append(f"{path}:admin:user: missing")
    problems += _secret(admin, f"{path}:admin")
    users = _entries(db, "users", path, problems)
    for name, user in sorted(users.items()):
        where = f"{path}:users:{name}"
        if not SQL_NAME.match(name) or len(name) > 32:
            problems.append(f"{where}: user name must be letters, digits, _ (at most 32)")
        problems += _secret(user, where)
        databases = user.get("databases")
        if not isinstance(databases, list) or not databases:
            problems.append(f"{where}:databases: give the list of its databases")
            continue
        for i, database in enumerate(databases):
            if not isinstance(database, str) or not SQL_NAME.match(database):
                problems.append(
                    f"{where}:databases:{i}: {database!r} must be letters, digits, _ (at most 64)"
                )
        for database, count in Counter(map(str, databases)).items():
            if count > 1:
                problems.append(f"{where}:databases: {database} listed {count} times")
    return problems


# ------------------------------------------------------------------------------ messaging


def messaging_problems(mq: Mapping, path: str = "openstack:messaging") -> list[str]:
    problems = _url(mq.get("api_url"), f"{path}:api_url")
    admin = mq.get("admin") or {}
    if not admin.get("user"):
        problems.append(f"{path}:admin:user: missing")
    problems += _secret(admin, f"{path}:admin")
    for name, user in sorted(_entries(mq, "users", path, problems).items()):
        where = f"{path}:users:{name}"
        problems += _secret(user, where)
        if not user.get("vhost"):
            problems.append(f"{where}:vhost: missing")
        for key in ("configure", "write", "read"):
            pattern = (user.get("permissions") or {}).get(key)
            if pattern is None:
                continue
            try:
                re.compile(str(pattern))
            except re.error as exc:
                problems.append(f"{where}:permissions:{key}: invalid regex {pattern!r}: {exc}")
    return problems


# ------------------------------------------------------------------------------ identity


def identity_problems(ks: Mapping, path: str = "openstack:identity") -> list[str]:
    problems = _url(ks.get("auth_url"), f"{path}:auth_url")
    admin = ks.get("admin") or {}
    if not admin.get("user"):
        problems.append(f"{path}:admin:user: missing")
    problems += _secret(admin, f"{path}:admin")
    projects = _entries(ks, "projects", path, problems)
    known_projects = set(projects) | {admin.get("project") or "admin"}
    roles = ks.get("roles") or []
    if not isinstance(roles, list):
        problems.append(f"{path}:roles: must be a list of role names")
    for name, user in sorted(_entries(ks, "users", path, problems).items()):
        where = f"{path}:users:{name}"
        problems += _secret(user, where)
        project = user.get("project")
        if project and project not in known_projects:
            problems.append(
                f"{where}:project: {project!r} is neither in {path}:projects nor the admin's "
                "project"
            )
        user_roles = user.get("roles")
        if user_roles is not None and not isinstance(user_roles, list):
            problems.append(f"{where}:roles: must be a list of role names")
        if user_roles and not project:
            problems.append(f"{where}:roles: roles need a project to be assigned on")
    services = _entries(ks, "services", path, problems)
    for name, svc in sorted(services.items()):
        where = f"{path}:services:{name}"
        if not svc.get("type"):
            problems.append(f"{where}:type: missing (the catalog type: compute, image, ...)")
        endpoints = svc.get("endpoints") or {}
        if not isinstance(endpoints, Mapping):
            problems.append(f"{where}:endpoints: must map interface to URL")
            continue
        for interface, url in sorted(endpoints.items()):
            if interface not in INTERFACES:
                problems.append(
                    f"{where}:endpoints:{interface}: not one of {', '.join(INTERFACES)}"
                )
            else:
                problems += _url(url, f"{where}:endpoints:{interface}")
    types = Counter(str(s.get("type")) for s in services.values() if s.get("type"))
    for stype, count in sorted(types.items()):
        if count > 1:
            problems.append(f"{path}:services: {count} services of type {stype}")
    return problems


# ------------------------------------------------------------------------------ resources


def _flavor_problems(name: str, flavor: Mapping, where: str) -> list[str]:
    out = []
    for key in ("ram", "vcpus", "disk"):
        value = flavor.get(key)
        if value is None:
            out.append(f"{where}:{key}: missing")
        elif _int(value) is None or value <= 0:
            out.append(f"{where}:{key}: must be a positive integer, got {value!r}")
    for key in ("ephemeral", "swap"):
        value = flavor.get(key, 0)
        if _int(value) is None or value < 0:
            out.append(f"{where}:{key}: must be an integer >= 0, got {value!r}")
    specs = flavor.get("extra_specs")
    if specs is not None and not isinstance(specs, Mapping):
        out.append(f"{where}:extra_specs: must be a mapping")
    return out


def _image_problems(image: Mapping, where: str) -> list[str]:
    out = []
    file = image.get("file")
    if not isinstance(file, str) or not file.startswith("/"):
        out.append(f"{where}:file: give the absolute path of the image file in the Job")
    size = image.get("size_mb")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        out.append(f"{where}:size_mb: must be a positive integer (MiB), got {size!r}")
    for key, allowed, default in (
        ("disk_format", DISK_FORMATS, "qcow2"),
        ("container_format", CONTAINER_FORMATS, "bare"),
        ("visibility", VISIBILITIES, "public"),
    ):
        value = image.get(key, default)
        if value not in allowed:
            out.append(f"{where}:{key}: {value!r} is not one of {', '.join(allowed)}")
    return out


def _network_problems(net: Mapping, where: str) -> list[str]:
    out = []
    ntype = net.get("network_type")
    if ntype is None:
        return out  # the tenant default (vxlan, usually)
    if ntype not in NETWORK_TYPES:
        return [f"{where}:network_type: {ntype!r} is not one of {', '.join(NETWORK_TYPES)}"]
    physnet = net.get("physical_network")
    seg = net.get("segmentation_id")
    if ntype in ("flat", "vlan") and not physnet:
        out.append(f"{where}:physical_network: a {ntype} network needs one")
    if ntype not in ("flat", "vlan") and physnet:
        out.append(f"{where}:physical_network: a {ntype} network has none")
    if ntype in ("flat", "local") and seg is not None:
        out.append(f"{where}:segmentation_id: a {ntype} network has none")
    elif seg is not None and (_int(seg) is None or not 1 <= seg <= SEGMENT_MAX[ntype]):
        out.append(f"{where}:segmentation_id: must be 1-{SEGMENT_MAX[ntype]} for {ntype}")
    mtu = net.get("mtu")
    if mtu is not None and (_int(mtu) is None or mtu < 68):
        out.append(f"{where}:mtu: must be an integer >= 68")
    return out


def _subnet_problems(subnet: Mapping, where: str, networks: dict) -> tuple[list[str], object]:
    out = []
    if subnet.get("network") not in networks:
        out.append(
            f"{where}:network: {subnet.get('network')!r} is not a network of the model "
            f"({', '.join(sorted(networks)) or 'none'})"
        )
    try:
        cidr = ipaddress.ip_network(str(subnet.get("cidr")), strict=True)
    except ValueError as exc:
        return out + [f"{where}:cidr: {exc}"], None
    version = subnet.get("ip_version")
    if version is not None and version != cidr.version:
        out.append(f"{where}:ip_version: {version} but the cidr is IPv{cidr.version}")
    gateway = subnet.get("gateway_ip")
    if gateway is not None:
        try:
            gw = ipaddress.ip_address(str(gateway))
        except ValueError as exc:
            out.append(f"{where}:gateway_ip: {exc}")
        else:
            if gw not in cidr:
                out.append(f"{where}:gateway_ip: {gw} is outside the subnet's cidr {cidr}")
            elif (
                cidr.version == 4
                and cidr.prefixlen < 31
                and gw
                in (
                    cidr.network_address,
                    cidr.broadcast_address,
                )
            ):
                out.append(f"{where}:gateway_ip: {gw} is the network or broadcast address")
    pools = subnet.get("allocation_pools") or []
    if not isinstance(pools, list):
        return out + [f"{where}:allocation_pools: must be a list of {{start, end}}"], cidr
    for i, pool in enumerate(pools):
        try:
            start = ipaddress.ip_address(str(pool["start"]))
            end = ipaddress.ip_address(str(pool["end"]))
        except (KeyError, TypeError, ValueError) as exc:
            out.append(f"{where}:allocation_pools:{i}: needs start and end addresses ({exc})")
            continue
        if start not in cidr or end not in cidr:
            out.append(f"{where}:allocation_pools:{i}: {start}-{end} is outside {cidr}")
        elif start > end:
            out.append(f"{where}:allocation_pools:{i}: start {start} is after end {end}")
        elif gateway is not None and start <= ipaddress.ip_address(str(gateway)) <= end:
            out.append(f"{where}:allocation_pools:{i}: contains the gateway {gateway}")
    for i, server in enumerate(subnet.get("dns_nameservers") or []):
        try:
            ipaddress.ip_address(str(server))
        except ValueError:
            out.append(f"{where}:dns_nameservers:{i}: {server!r} is not an IP address")
    return out, cidr


def _rule_problems(rule, where: str) -> list[str]:
    if not isinstance(rule, Mapping):
        return [f"{where}: must be a mapping (protocol, port, remote_ip_prefix, ...)"]
    out = []
    protocol = rule.get("protocol", "any")
    protocol = "any" if protocol is None else protocol
    numeric = _int(protocol)
    if protocol not in PROTOCOLS and (numeric is None or not 0 <= numeric <= 255):
        out.append(f"{where}:protocol: {protocol!r} is not one of {', '.join(PROTOCOLS)} or 0-255")
    if rule.get("direction", "ingress") not in ("ingress", "egress"):
        out.append(f"{where}:direction: must be ingress or egress")
    low = rule.get("port_range_min", rule.get("port"))
    high = rule.get("port_range_max", rule.get("port"))
    given = ("port",) if "port" in rule else ("port_range_min", "port_range_max")
    for key in given:
        value = rule.get(key)
        if value is not None and (_int(value) is None or not 0 <= value <= 65535):
            out.append(f"{where}:{key}: {value!r} is not a port (0-65535)")
    if "port" in rule and ("port_range_min" in rule or "port_range_max" in rule):
        out.append(f"{where}: give port or port_range_min/max, not both")
    if _int(low) is not None and _int(high) is not None and low > high:
        out.append(f"{where}: port_range_min {low} is above port_range_max {high}")
    if (low is not None or high is not None) and protocol in ("any",):
        out.append(f"{where}: ports need a protocol (tcp or udp)")
    prefix = rule.get("remote_ip_prefix")
    if prefix is not None:
        try:
            ipaddress.ip_network(str(prefix), strict=False)
        except ValueError as exc:
            out.append(f"{where}:remote_ip_prefix: {exc}")
    return out


def effective_flavors(res: Mapping) -> dict:
    """The flavors the formula creates: ``builtin_flavors`` (with ``default_flavors``, the
    defaults' six) with ``flavors`` merged over them, flavor by flavor."""
    builtin = res.get("builtin_flavors") if res.get("default_flavors", True) else None
    out = {str(k): dict(v or {}) for k, v in (builtin or {}).items()}
    given = res.get("flavors") or {}
    for name, flavor in given.items() if isinstance(given, Mapping) else ():
        if isinstance(flavor, Mapping) or flavor is None:
            out[str(name)] = {**out.get(str(name), {}), **(flavor or {})}
        else:
            out[str(name)] = flavor
    return out


def resources_problems(res: Mapping, path: str = "openstack:resources") -> list[str]:
    problems: list[str] = []
    _entries(res, "flavors", path, problems)  # the model's own shape
    flavors = _entries({"flavors": effective_flavors(res)}, "flavors", path, [])
    problems += _duplicates(flavors, f"{path}:flavors", "flavor")
    for key, flavor in sorted(flavors.items()):
        problems += _flavor_problems(key, flavor, f"{path}:flavors:{key}")
    ids = Counter(str(f["id"]) for f in flavors.values() if f.get("id") not in (None, "auto"))
    for fid, count in sorted(ids.items()):
        if count > 1:
            problems.append(f"{path}:flavors: {count} flavors with id {fid}")

    images = _entries(res, "images", path, problems)
    problems += _duplicates(images, f"{path}:images", "image")
    for key, image in sorted(images.items()):
        problems += _image_problems(image, f"{path}:images:{key}")

    networks = _entries(res, "networks", path, problems)
    problems += _duplicates(networks, f"{path}:networks", "network")
    for key, net in sorted(networks.items()):
        problems += _network_problems(net, f"{path}:networks:{key}")
    net_names = _names(networks)

    subnets = _entries(res, "subnets", path, problems)
    problems += _duplicates(subnets, f"{path}:subnets", "subnet")
    cidrs = {}
    for key, subnet in sorted(subnets.items()):
        found, cidr = _subnet_problems(subnet, f"{path}:subnets:{key}", net_names)
        problems += found
        if cidr is not None:
            cidrs[key] = cidr
    keys = sorted(cidrs)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if cidrs[a].version == cidrs[b].version and cidrs[a].overlaps(cidrs[b]):
                problems.append(
                    f"{path}:subnets:{b}:cidr: {cidrs[b]} overlaps {cidrs[a]} of {path}:subnets:{a}"
                )
    subnet_names = _names(subnets)

    routers = _entries(res, "routers", path, problems)
    problems += _duplicates(routers, f"{path}:routers", "router")
    for key, router in sorted(routers.items()):
        where = f"{path}:routers:{key}"
        ext = router.get("external_network")
        if ext is not None:
            if ext not in net_names:
                problems.append(f"{where}:external_network: {ext!r} is not a network of the model")
            elif not networks[net_names[ext]].get("external"):
                problems.append(
                    f"{where}:external_network: {ext!r} is not external (external: true)"
                )
        for i, subnet in enumerate(router.get("interfaces") or []):
            if subnet not in subnet_names:
                problems.append(f"{where}:interfaces:{i}: {subnet!r} is not a subnet of the model")

    groups = _entries(res, "security_groups", path, problems)
    problems += _duplicates(groups, f"{path}:security_groups", "security group")
    for key, group in sorted(groups.items()):
        rules = group.get("rules") or []
        if not isinstance(rules, list):
            problems.append(f"{path}:security_groups:{key}:rules: must be a list")
            continue
        for i, rule in enumerate(rules):
            problems += _rule_problems(rule, f"{path}:security_groups:{key}:rules:{i}")
    return problems


SECTIONS = {
    "database": database_problems,
    "messaging": messaging_problems,
    "identity": identity_problems,
    "resources": resources_problems,
}


def merged(defaults, data):
    """``data`` over ``defaults``, mappings merged key by key, anything else replaced (what
    the formula's map.jinja does with defaults.yaml and the pillar)."""
    if isinstance(defaults, Mapping) and isinstance(data, Mapping):
        out = dict(defaults)
        for key, value in data.items():
            out[key] = merged(defaults.get(key), value) if key in defaults else value
        return out
    return defaults if data is None else data


def section_problems(section: str, data, path: str, defaults=None) -> list[str]:
    """The problems of one section (``database``, ``messaging``, ``identity``,
    ``resources``), ``data`` merged over ``defaults`` first."""
    value = merged(defaults, data) if defaults else data
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [f"{path}: must be a mapping"]
    return SECTIONS[section](value, path)


def formula_defaults(formulas_dir: Path | str) -> dict:
    """The ``openstack:`` defaults of the formula (``formulas/openstack/openstack/
    defaults.yaml``): what :func:`find_problems` merges under a node's pillar."""
    path = Path(formulas_dir) / "openstack" / "openstack" / "defaults.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["openstack"]


def find_problems(openstack, path: str = "openstack", defaults=None) -> list[str]:
    """Every problem of the ``openstack:`` pillar (the sections present), each with its key
    path; empty when all is well. ``defaults``: the formula's defaults (its defaults.yaml
    ``openstack:``), merged under the pillar first, as the formula does."""
    if not openstack:
        return []
    if not isinstance(openstack, Mapping):
        return [f"{path}: must be a mapping"]
    problems = []
    for key in SECTIONS:
        if openstack.get(key) is None:
            continue
        problems += section_problems(
            key, openstack[key], f"{path}:{key}", (defaults or {}).get(key)
        )
    return problems
