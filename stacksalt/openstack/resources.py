"""Day-1 resources (flavors, images, networks, subnets, routers, security groups): the API's
objects normalized to the model's shape, and what differs, as plain data.

Some properties cannot change in place: a flavor's sizes (nova has no flavor update), a
network's provider attributes, a subnet's CIDR. Those are *fixed* changes: reported, and
carried out (delete + create) only where the model says ``recreate: true`` (flavors,
images); never for networks and subnets, which ports may use.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from stacksalt.openstack.diff import created, field_changes

# ------------------------------------------------------------------------------ flavors

FLAVOR_FIXED = ("ram", "vcpus", "disk", "ephemeral", "swap", "is_public", "id")


def flavor_from_api(flavor: dict) -> dict:
    """A nova flavor in the model's terms (nova shows ``swap: ""`` for none)."""
    return {
        "id": str(flavor.get("id")),
        "ram": flavor.get("ram"),
        "vcpus": flavor.get("vcpus"),
        "disk": flavor.get("disk"),
        "ephemeral": flavor.get("OS-FLV-EXT-DATA:ephemeral", flavor.get("ephemeral")) or 0,
        "swap": flavor.get("swap") or 0,
        "is_public": flavor.get("os-flavor-access:is_public", True),
    }


def flavor_wanted(spec: dict) -> dict:
    """The model's flavor with its defaults (``id`` None: nova picks one)."""
    return {
        "id": None if spec.get("id") in (None, "", "auto") else str(spec["id"]),
        "ram": int(spec["ram"]),
        "vcpus": int(spec["vcpus"]),
        "disk": int(spec["disk"]),
        "ephemeral": int(spec.get("ephemeral") or 0),
        "swap": int(spec.get("swap") or 0),
        "is_public": bool(spec.get("is_public", True)),
    }


@dataclass
class Decision:
    """``action``: none, create, update (in place), recreate, or blocked (fixed properties
    differ and the model does not allow recreating)."""

    action: str
    changes: dict = field(default_factory=dict)
    problem: str | None = None


def flavor_decision(
    name: str, spec: dict, actual: dict | None, actual_specs: dict | None = None
) -> Decision:
    want = flavor_wanted(spec)
    want_specs = {str(k): str(v) for k, v in (spec.get("extra_specs") or {}).items()}
    if actual is None:
        changes = created("flavor", name, {k: v for k, v in want.items() if k != "id"})
        if want["id"] is not None:
            changes["id"] = {"old": None, "new": want["id"]}
        if want_specs:
            changes["extra_specs"] = {"old": None, "new": want_specs}
        return Decision("create", changes)
    have = flavor_from_api(actual)
    fixed = field_changes(want, have, FLAVOR_FIXED)
    have_specs = {str(k): str(v) for k, v in (actual_specs or {}).items()}
    missing_specs = {k: v for k, v in want_specs.items() if have_specs.get(k) != v}
    changes = dict(fixed)
    if missing_specs:
        changes["extra_specs"] = {
            "old": {k: have_specs.get(k) for k in missing_specs},
            "new": missing_specs,
        }
    if fixed and not spec.get("recreate"):
        what = ", ".join(f"{k} {v['old']} -> {v['new']}" for k, v in sorted(fixed.items()))
        return Decision(
            "blocked",
            changes,
            f"flavor {name} differs from the model ({what}); nova cannot change a flavor in "
            "place: set recreate: true on it in the model to delete and recreate it (running "
            "instances keep their copy), or change the model back",
        )
    if fixed:
        return Decision("recreate", changes)
    if missing_specs:
        return Decision("update", changes)
    return Decision("none")


# ------------------------------------------------------------------------------ images


def image_decision(name: str, spec: dict, found: list[dict], checksums: dict) -> Decision:
    """``found``: glance's images named ``name``; ``checksums``: ``{"md5", "sha512"}`` of
    the model's file. Same name and checksum → the image is there (visibility and
    properties are updated in place); a queued image (upload never finished) gets the data;
    another checksum is a fixed change (recreate only when the model says so)."""
    want = {
        "visibility": spec.get("visibility", "public"),
        **{str(k): str(v) for k, v in (spec.get("properties") or {}).items()},
    }
    same = [i for i in found if same_data(i, checksums)]
    if same:
        image = same[0]
        changes = field_changes(want, image)
        return Decision("update" if changes else "none", changes)
    queued = [i for i in found if i.get("status") == "queued"]
    if queued and len(queued) == len(found):
        return Decision("upload", {"data": {"old": None, "new": checksums["md5"]}})
    if not found:
        return Decision("create", created("image", name, {"checksum": checksums["md5"], **want}))
    olds = sorted(str(i.get("checksum")) for i in found)
    changes = {"checksum": {"old": olds[0] if len(olds) == 1 else olds, "new": checksums["md5"]}}
    if not spec.get("recreate"):
        return Decision(
            "blocked",
            changes,
            f"image {name} in glance has other data (checksum {', '.join(olds)}) than the "
            f"model's file (md5 {checksums['md5']}); set recreate: true on it in the model to "
            "replace it, or give the file the image was made from",
        )
    return Decision("recreate", changes)


def same_data(image: dict, checksums: dict) -> bool:
    if image.get("status") not in ("active", "importing", "saving"):
        return False
    if image.get("os_hash_algo") == "sha512" and image.get("os_hash_value"):
        return image["os_hash_value"] == checksums.get("sha512")
    return image.get("checksum") == checksums.get("md5")


# ------------------------------------------------------------------------------ networks

NETWORK_FIXED = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")


def network_body(spec: dict) -> dict:
    """The neutron ``network`` body of a model network (None values left out)."""
    body = {
        "provider:network_type": spec.get("network_type"),
        "provider:physical_network": spec.get("physical_network"),
        "provider:segmentation_id": spec.get("segmentation_id"),
        "router:external": bool(spec.get("external", False)),
        "shared": bool(spec.get("shared", False)),
        "mtu": spec.get("mtu"),
    }
    return {k: v for k, v in body.items() if v is not None}


def network_decision(name: str, spec: dict, actual: dict | None) -> Decision:
    body = network_body(spec)
    if actual is None:
        return Decision("create", created("network", name, body))
    fixed = field_changes(body, actual, [k for k in NETWORK_FIXED if k in body])
    in_place = field_changes(body, actual, [k for k in body if k not in NETWORK_FIXED])
    if fixed:
        what = ", ".join(f"{k} {v['old']} -> {v['new']}" for k, v in sorted(fixed.items()))
        return Decision(
            "blocked",
            {**fixed, **in_place},
            f"network {name} differs from the model ({what}); neutron cannot change provider "
            "attributes in place and a network may have ports: delete it by hand "
            "('openstack network delete') or change the model back",
        )
    return Decision("update" if in_place else "none", in_place)


# ------------------------------------------------------------------------------ subnets

SUBNET_FIXED = ("cidr", "ip_version", "network_id")


def subnet_body(spec: dict, network_id: str | None) -> dict:
    net = ipaddress.ip_network(spec["cidr"], strict=False)
    body = {
        "network_id": network_id,
        "cidr": str(net),
        "ip_version": net.version,
        "gateway_ip": spec.get("gateway_ip"),
        "enable_dhcp": bool(spec.get("enable_dhcp", True)),
        "dns_nameservers": list(spec["dns_nameservers"])
        if spec.get("dns_nameservers") is not None
        else None,
        "allocation_pools": [
            {"start": p["start"], "end": p["end"]} for p in spec["allocation_pools"]
        ]
        if spec.get("allocation_pools")
        else None,
    }
    return {k: v for k, v in body.items() if v is not None}


def subnet_decision(name: str, spec: dict, network_id: str | None, actual: dict | None) -> Decision:
    body = subnet_body(spec, network_id)
    if actual is None:
        shown = {k: v for k, v in body.items() if k != "network_id"}
        return Decision("create", created("subnet", name, {"network": spec["network"], **shown}))
    have = dict(actual)
    if "allocation_pools" in have:
        have["allocation_pools"] = [
            {"start": p["start"], "end": p["end"]} for p in have["allocation_pools"] or []
        ]
    fixed = field_changes(body, have, [k for k in SUBNET_FIXED if k in body])
    in_place = field_changes(body, have, [k for k in body if k not in SUBNET_FIXED])
    if fixed:
        what = ", ".join(f"{k} {v['old']} -> {v['new']}" for k, v in sorted(fixed.items()))
        return Decision(
            "blocked",
            {**fixed, **in_place},
            f"subnet {name} differs from the model ({what}); neutron cannot change it in "
            "place: delete it by hand ('openstack subnet delete') or change the model back",
        )
    return Decision("update" if in_place else "none", in_place)


# ------------------------------------------------------------------------------ routers


def router_decision(
    name: str,
    external_network: str | None,
    external_network_id: str | None,
    interface_subnets: dict[str, str | None],
    actual: dict | None,
    attached: set[str],
) -> Decision:
    """``external_network``: the model's network name (its id, None while it does not exist);
    ``interface_subnets``: model subnet name → its id (None: not created yet); ``attached``:
    the subnet ids the router has interfaces on. Interfaces are added, never removed (an
    operator may have added some)."""
    changes = created("router", name) if actual is None else {}
    have_gw = None
    if actual is not None:
        have_gw = (actual.get("external_gateway_info") or {}).get("network_id")
    if external_network and (external_network_id is None or have_gw != external_network_id):
        changes["external_gateway"] = {"old": have_gw, "new": external_network}
    missing = sorted(
        n for n, sid in interface_subnets.items() if sid is None or sid not in attached
    )
    if missing:
        changes["interfaces"] = {"old": None, "new": missing}
    if actual is None:
        return Decision("create", changes)
    return Decision("update" if changes else "none", changes)


# ------------------------------------------------------------------------------ security groups

PROTOCOL_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17, "ipv6-icmp": 58, "icmpv6": 58}


def rule_key(rule: dict) -> tuple:
    """A comparable form of a security group rule, from the model or from neutron:
    ``(direction, ethertype, protocol, min, max, remote_ip_prefix)``. ``port`` is one port;
    protocols by number or name compare equal; a prefix of everything equals none."""
    protocol = rule.get("protocol")
    if protocol in (None, "any", "", "null"):
        protocol = None
    else:
        protocol = str(protocol).lower()
        protocol = str(PROTOCOL_NUMBERS.get(protocol, protocol))
    low = rule.get("port_range_min", rule.get("port"))
    high = rule.get("port_range_max", rule.get("port"))
    prefix = rule.get("remote_ip_prefix")
    ethertype = rule.get("ethertype")
    if not ethertype:
        ethertype = "IPv6" if prefix and ":" in str(prefix) else "IPv4"
    if prefix in ("0.0.0.0/0", "::/0"):
        prefix = None
    if prefix is not None:
        prefix = str(ipaddress.ip_network(prefix, strict=False))
    return (
        rule.get("direction") or "ingress",
        ethertype,
        protocol,
        None if low is None else int(low),
        None if high is None else int(high),
        prefix,
        rule.get("remote_group_id"),
    )


def rule_body(rule: dict, group_id: str | None) -> dict:
    direction, ethertype, protocol, low, high, prefix, remote_group = rule_key(rule)
    body = {
        "security_group_id": group_id,
        "direction": direction,
        "ethertype": ethertype,
        "protocol": rule.get("protocol") if protocol is not None else None,
        "port_range_min": low,
        "port_range_max": high,
        "remote_ip_prefix": prefix or rule.get("remote_ip_prefix"),
        "remote_group_id": remote_group,
    }
    return {k: v for k, v in body.items() if v is not None}


def missing_rules(wanted: list[dict], actual: list[dict]) -> list[dict]:
    """The model's rules that the group does not have (extra rules are left alone: neutron
    adds the default egress rules itself)."""
    have = {rule_key(r) for r in actual}
    out, seen = [], set()
    for rule in wanted:
        key = rule_key(rule)
        if key not in have and key not in seen:
            out.append(rule)
            seen.add(key)
    return out


def describe_rule(rule: dict) -> str:
    direction, ethertype, protocol, low, high, prefix, group = rule_key(rule)
    ports = "" if low is None else (f" {low}" if low == high else f" {low}-{high}")
    name = rule.get("protocol") or "any"
    src = prefix or group or ("::/0" if ethertype == "IPv6" else "0.0.0.0/0")
    return (
        f"{direction} {name}{ports} from {src}"
        if direction == "ingress"
        else (f"{direction} {name}{ports} to {src}")
    )
