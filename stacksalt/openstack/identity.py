"""Keystone objects: what differs between the model and keystone, as plain data.

Every function is pure: the keystone client (:mod:`stacksalt.openstack.keystone`) gathers
the objects and carries out the plan. Passwords are never compared here: whether a user's
password works is a fact the client finds by authenticating; the diff only says
``"password": "set"`` or ``"changed"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stacksalt.openstack.catalog import INTERFACES
from stacksalt.openstack.diff import created, field_changes


def project_changes(name: str, desired: dict, actual: dict | None) -> dict:
    """Changes for a project (``description``, ``enabled``); ``actual`` None → create."""
    want = {"description": desired.get("description"), "enabled": desired.get("enabled", True)}
    if actual is None:
        return created("project", name, want)
    return field_changes(want, actual)


def user_changes(name: str, desired: dict, actual: dict | None, password_ok: bool | None) -> dict:
    """Changes for a user: ``default_project_id``, ``enabled``, ``email``, ``description``,
    and ``password`` as ``"set"`` (new user) or ``"changed"`` (``password_ok`` False)."""
    want = {
        "default_project_id": desired.get("default_project_id"),
        "enabled": desired.get("enabled", True),
        "email": desired.get("email"),
        "description": desired.get("description"),
    }
    if actual is None:
        out = created("user", name, want)
        out["password"] = "set"  # noqa: S105 - what happens, never the value
        return out
    out = field_changes(want, actual)
    if password_ok is False:
        out["password"] = "changed"  # noqa: S105 - what happens, never the value
    return out


def missing_roles(wanted: list[str], assigned_ids: set[str], role_ids: dict[str, str]) -> list:
    """The role names of ``wanted`` not among ``assigned_ids`` (``role_ids``: name → id; a
    role that does not exist yet is missing)."""
    out = []
    for role in dict.fromkeys(wanted):
        if role_ids.get(role) not in assigned_ids:
            out.append(role)
    return out


def service_changes(name: str, desired: dict, actual: dict | None) -> dict:
    """Changes for a service (``description``, ``enabled``), keyed by name and type."""
    want = {"description": desired.get("description"), "enabled": desired.get("enabled", True)}
    if actual is None:
        return created("service", name, {"type": desired["type"], **want})
    return field_changes(want, actual)


@dataclass
class EndpointPlan:
    """What to do with a service's endpoints in one region."""

    create: list[tuple[str, str]] = field(default_factory=list)  # (interface, url)
    update: list[tuple[str, str, str]] = field(default_factory=list)  # (id, interface, url)
    changes: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def endpoint_plan(
    service: str, region: str, urls: dict[str, str], actual: list[dict]
) -> EndpointPlan:
    """Bring the service's endpoints in ``region`` to ``urls`` (``{interface: url}``):
    create a missing one, update the URL (and ``enabled``) of one that differs. Two endpoints
    for one interface and region are a problem to resolve by hand (which one is right?)."""
    plan = EndpointPlan()
    for interface in urls:
        if interface not in INTERFACES:
            plan.problems.append(
                f"endpoint interface {interface!r} of {service} is not one of "
                f"{', '.join(INTERFACES)}"
            )
    if plan.problems:
        return plan
    for interface in INTERFACES:
        url = urls.get(interface)
        if not url:
            continue
        mine = [
            ep
            for ep in actual
            if ep.get("interface") == interface
            and (ep.get("region_id") or ep.get("region")) == region
        ]
        if not mine:
            plan.create.append((interface, url))
            plan.changes[interface] = {"old": None, "new": url}
        elif len(mine) > 1:
            ids = ", ".join(sorted(ep["id"] for ep in mine))
            plan.problems.append(
                f"{service} has {len(mine)} {interface} endpoints in {region} ({ids}): delete "
                "all but one with 'openstack endpoint delete ID', then apply again"
            )
        elif mine[0].get("url") != url or mine[0].get("enabled") is False:
            plan.update.append((mine[0]["id"], interface, url))
            change = {"old": mine[0].get("url"), "new": url}
            if mine[0].get("enabled") is False:
                change = {"old": f"{change['old']} (disabled)", "new": url}
            plan.changes[interface] = change
    return plan
