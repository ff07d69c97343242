"""The keystone service catalog: which URL serves a service type on an interface in a region,
and the API version a URL needs appended."""

from __future__ import annotations

import re

INTERFACES = ("public", "internal", "admin")
_VERSION = re.compile(r"/v\d+(\.\d+)?(/[0-9a-fA-F]{32})?$")


class CatalogError(LookupError):
    pass


def find_endpoint(
    catalog: list[dict], service_type: str, interface: str = "internal", region: str | None = None
) -> str:
    """The URL of ``service_type`` on ``interface`` (in ``region`` when given) in a token's
    catalog (``token.catalog``). Raises :class:`CatalogError` saying what the catalog has."""
    if interface not in INTERFACES:
        raise CatalogError(f"interface {interface!r} is not one of {', '.join(INTERFACES)}")
    services = [s for s in catalog or [] if s.get("type") == service_type]
    if not services:
        have = ", ".join(sorted({str(s.get("type")) for s in catalog or []})) or "nothing"
        raise CatalogError(
            f"no service of type {service_type!r} in the keystone catalog (it has: {have}); "
            "register it with openstack_identity.service_present and endpoints_present"
        )
    found, seen = [], []
    for service in services:
        for ep in service.get("endpoints") or []:
            ep_region = ep.get("region_id") or ep.get("region")
            seen.append(f"{ep.get('interface')}@{ep_region}")
            if ep.get("interface") == interface and (region is None or ep_region == region):
                found.append(ep["url"])
    if not found:
        where = f" in region {region}" if region else ""
        raise CatalogError(
            f"service type {service_type!r} has no {interface} endpoint{where} "
            f"(endpoints: {', '.join(sorted(seen)) or 'none'})"
        )
    if len(set(found)) > 1:
        raise CatalogError(
            f"service type {service_type!r} has {len(found)} {interface} endpoints"
            f"{' in region ' + region if region else ''}: {', '.join(sorted(found))}; "
            "give the region"
        )
    return found[0].rstrip("/")


def versioned(url: str, version: str) -> str:
    """``url`` ending in an API version: as is when it has one (``/v2.1``, ``/v2.1/<project>``),
    else with ``/<version>`` appended (glance's ``http://host:9292`` → ``.../v2``)."""
    url = url.rstrip("/")
    if _VERSION.search(url):
        return url
    return f"{url}/{version}"
