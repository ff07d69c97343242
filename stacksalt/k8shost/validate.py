"""Checks of the ``kubernetes`` pillar a schema cannot express (``stacksalt model check``).

Each problem names the pillar key to fix. Returns ``(level, message)`` pairs, level
``error`` or ``warning``.
"""

from __future__ import annotations

import ipaddress
from collections import Counter

MASTER_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
POOL_BINARIES = ("kubelet", "kube-proxy")


def _dupes(values) -> list[str]:
    return sorted(str(v) for v, n in Counter(values).items() if n > 1)


def _odd(key: str, count: int) -> list[tuple[str, str]]:
    if count % 2 == 0:
        return [
            (
                "error",
                f"pillar {key}: {count} etcd members; an even count tolerates no more "
                "failures than one member fewer, use 1, 3 or 5",
            )
        ]
    return []


def _vip(common: dict, master: dict) -> list[tuple[str, str]]:
    out = []
    vip = master["vip"]
    try:
        address = ipaddress.ip_address(vip["address"])
        network = ipaddress.ip_network(vip["network"], strict=False)
    except ValueError as exc:
        return [("error", f"pillar kubernetes:master:vip: {exc}")]
    if address not in network:
        out.append(
            (
                "error",
                f"pillar kubernetes:master:vip:address: {address} is outside "
                f"kubernetes:master:vip:network {vip['network']}; keepalived can only "
                "hold an address of the masters' network",
            )
        )
    elif address in (network.network_address, network.broadcast_address):
        out.append(
            ("error", f"pillar kubernetes:master:vip:address: {address} is not a host address")
        )
    hosts = {m["host"]: m["name"] for m in master["members"]}
    if str(address) in hosts:
        out.append(
            (
                "error",
                f"pillar kubernetes:master:vip:address: {address} is the address of master "
                f"{hosts[str(address)]}; the VIP must be a free address",
            )
        )
    api = common.get("apiserver", {}).get("host")
    if api and api != str(address):
        out.append(
            (
                "error",
                f"pillar kubernetes:common:apiserver:host: {api} is not the VIP "
                f"kubernetes:master:vip:address {address}",
            )
        )
    return out


def _master(common: dict, master: dict, etcd_server: dict | None) -> list[tuple[str, str]]:
    out = _vip(common, master)
    members = master["members"]
    for label in ("name", "host"):
        dupes = _dupes(m[label] for m in members)
        if dupes:
            out.append(
                ("error", f"pillar kubernetes:master:members: duplicate {label} {', '.join(dupes)}")
            )
    if common.get("address") not in [m["host"] for m in members]:
        out.append(
            (
                "error",
                f"pillar kubernetes:common:address: {common.get('address')} is not one of "
                "kubernetes:master:members' hosts (this master would get no API traffic)",
            )
        )
    servers = master["etcd"]["servers"]
    dupes = _dupes(servers)
    if dupes:
        key = "kubernetes:master:etcd:servers"
        out.append(("error", f"pillar {key}: duplicate {', '.join(dupes)}"))
    out += _odd("kubernetes:master:etcd:servers", len(servers))
    calico = master.get("calico_etcd") or {}
    if calico.get("enabled", True):
        cmembers = calico.get("members") or []
        for label in ("name", "host"):
            dupes = _dupes(m[label] for m in cmembers)
            if dupes:
                out.append(
                    (
                        "error",
                        f"pillar kubernetes:master:calico_etcd:members: duplicate {label} "
                        f"{', '.join(dupes)}",
                    )
                )
        out += _odd("kubernetes:master:calico_etcd:members", len(cmembers))
        if common.get("hostname") not in [m["name"] for m in cmembers]:
            out.append(
                (
                    "error",
                    f"pillar kubernetes:common:hostname: '{common.get('hostname')}' is not one "
                    "of kubernetes:master:calico_etcd:members",
                )
            )
        ports = {
            "kubernetes:master:calico_etcd:client_port": calico.get("client_port", 12379),
            "kubernetes:master:calico_etcd:peer_port": calico.get("peer_port", 12380),
        }
        if etcd_server and etcd_server.get("enabled"):
            ports["etcd:server:client_port"] = etcd_server.get("client_port", 2379)
            ports["etcd:server:peer_port"] = etcd_server.get("peer_port", 2380)
        for port, n in Counter(ports.values()).items():
            if n > 1:
                keys = [k for k, v in ports.items() if v == port]
                out.append(
                    (
                        "error",
                        f"pillar {keys[0]}: port {port} is also {', '.join(keys[1:])}; "
                        "Calico's etcd needs ports of its own",
                    )
                )
    return out


def _binaries(common: dict, master: dict | None, pool: dict | None) -> list[tuple[str, str]]:
    binaries = common.get("binaries") or {}
    if not binaries.get("present"):
        return []
    wanted = []
    if master and master.get("enabled"):
        wanted += MASTER_BINARIES
    if pool and pool.get("enabled"):
        wanted += POOL_BINARIES
    out = []
    if not binaries.get("source"):
        out.append(
            (
                "error",
                "pillar kubernetes:common:binaries:source: required when "
                "kubernetes:common:binaries:present is true",
            )
        )
    hashes = binaries.get("hashes") or {}
    missing = [b for b in wanted if b not in hashes]
    if missing:
        out.append(
            (
                "error",
                f"pillar kubernetes:common:binaries:hashes: no sha256 for {', '.join(missing)}",
            )
        )
    return out


def find_problems(kubernetes: dict, etcd_server: dict | None = None) -> list[tuple[str, str]]:
    """Problems of one node's ``kubernetes`` pillar (``etcd_server``: its ``etcd:server``)."""
    common = kubernetes.get("common") or {}
    master = kubernetes.get("master")
    pool = kubernetes.get("pool")
    if not common.get("enabled"):
        return []
    out = []
    endpoints = (common.get("calico") or {}).get("etcd_endpoints") or []
    dupes = _dupes(endpoints)
    if dupes:
        out.append(
            (
                "error",
                f"pillar kubernetes:common:calico:etcd_endpoints: duplicate {', '.join(dupes)}",
            )
        )
    if master and master.get("enabled"):
        out += _master(common, master, etcd_server)
    out += _binaries(common, master, pool)
    return out
