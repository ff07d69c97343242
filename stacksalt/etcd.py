"""Pure logic for etcd 3.4 clusters: health evaluation from etcdctl's JSON output."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Health:
    """The verdict on a cluster: ``ok`` and a sentence an operator can act on."""

    ok: bool
    reason: str
    members: tuple[str, ...] = ()


def parse_member_list(text: str) -> list[dict]:
    """Parse ``etcdctl -w json member list`` into ``[{name, id, peer_urls, client_urls}]``.

    A member that was added but has not started yet has no name; it is kept with name "".
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"etcdctl member list: not JSON: {exc}") from exc
    out = []
    for member in data.get("members", []):
        out.append(
            {
                "name": member.get("name", ""),
                "id": format(int(member.get("ID", 0)), "x"),
                "peer_urls": list(member.get("peerURLs", [])),
                "client_urls": list(member.get("clientURLs", [])),
            }
        )
    return out


def parse_endpoint_health(text: str) -> dict[str, bool]:
    """Parse ``etcdctl -w json endpoint health`` into ``{endpoint: healthy}``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"etcdctl endpoint health: not JSON: {exc}") from exc
    return {entry["endpoint"]: bool(entry.get("health")) for entry in data}


def evaluate(expected: list[str], members: list[dict], health: dict[str, bool]) -> Health:
    """Decide whether the cluster matches the model and every member is healthy.

    ``expected`` are the member names from the model; ``members`` the parsed member list;
    ``health`` the parsed endpoint health keyed by client URL.
    """
    names = [m["name"] for m in members]
    unstarted = [m for m in members if not m["name"]]
    if unstarted:
        return Health(False, f"{len(unstarted)} member(s) added but not started", tuple(names))
    missing = sorted(set(expected) - set(names))
    if missing:
        return Health(
            False, f"members missing from the cluster: {', '.join(missing)}", tuple(names)
        )
    extra = sorted(set(names) - set(expected))
    if extra:
        return Health(
            False,
            f"members not in the model: {', '.join(extra)} (remove them with "
            "'etcdctl member remove' or add them to the model)",
            tuple(names),
        )
    sick = []
    for member in members:
        urls = member["client_urls"]
        if not urls or not any(health.get(url) for url in urls):
            sick.append(member["name"])
    if sick:
        return Health(False, f"unhealthy members: {', '.join(sorted(sick))}", tuple(names))
    return Health(True, f"{len(names)} members healthy: {', '.join(sorted(names))}", tuple(names))
