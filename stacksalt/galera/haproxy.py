"""The single-writer HAProxy configuration (pure): the leader active, the others backups.

Backups follow model order, which is also the order in which a new leader is chosen, so
HAProxy's own failover and the next leader agree. ``on-marked-down shutdown-sessions`` cuts
clients off a failed writer at once and ``on-marked-up shutdown-backup-sessions`` moves them
back when it returns, so there is never more than one writer. A leader change reloads HAProxy;
the old worker would keep its sessions (to the old writer) for as long as the clients stay
connected, so ``hard-stop-after`` ends them and the clients reconnect to the new writer.
``httpchk`` asks the node's checker for readiness (RECIPES: ``mysql-check`` alone keeps a
Donor/Joined node in service).
"""

from __future__ import annotations

import ipaddress


def _is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def render(
    members: list[dict],
    leader: str | None,
    bind: str,
    port: int,
    check_port: int,
    stats_socket: str,
    check_inter_ms: int = 500,
    check_fall: int = 2,
    backend_port: int = 3306,
) -> str:
    """``members``: ``[{name, address}]`` in model order; ``leader``: a member name or None
    (then the first member is the writer). A member is out after ``check_fall`` failed
    checks, one every ``check_inter_ms``; a check times out after 2 s (or the interval).
    Members named by DNS (a StatefulSet's pods) are resolved at run time through the
    resolvers of resolv.conf: a peer whose name does not resolve yet is kept down instead of
    stopping HAProxy."""
    names = [m["name"] for m in members]
    writer = leader if leader in names else names[0]
    lines = [
        "# Written by the stacksalt Galera agent: the writer follows etcd's leader key.",
        "global",
        "    maxconn 4096",
        "    hard-stop-after 1s",
        f"    stats socket {stats_socket} mode 600 level admin",
    ]
    by_name = not all(_is_ip(m["address"]) for m in members)
    if by_name:
        lines += [
            "resolvers dns",
            "    parse-resolv-conf",
            "    hold valid 10s",
            "    hold nx 1s",
        ]
    lines += [
        "defaults",
        "    mode tcp",
        "    timeout connect 3s",
        # A check waits up to 2 s for the checker's answer even when checks are more frequent:
        # on a loaded machine the checker (Python, a status query) can take a second, and a
        # check timing out would take every member out. A dead member refuses at once.
        f"    timeout check {max(2000, check_inter_ms)}ms",
        "    timeout client 1h",
        "    timeout server 1h",
        "listen galera-writer",
        f"    bind {bind}:{port}",
        "    option httpchk GET /ready",
        f"    default-server port {check_port} inter {check_inter_ms}ms fall {check_fall} rise 2 "
        "on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions"
        + (" resolvers dns init-addr last,libc,none" if by_name else ""),
    ]
    ordered = [m for m in members if m["name"] == writer] + [
        m for m in members if m["name"] != writer
    ]
    for m in ordered:
        backup = "" if m["name"] == writer else " backup"
        lines.append(f"    server {m['name']} {m['address']}:{backend_port} check{backup}")
    return "\n".join(lines) + "\n"
