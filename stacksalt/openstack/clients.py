"""Small clients for nova, glance and neutron, found through the keystone catalog and using
the keystone session's token. Each method is one request; errors name the API, the URL and
the HTTP status (:class:`stacksalt.openstack.http.ApiError`)."""

from __future__ import annotations

import hashlib

from stacksalt.openstack.catalog import versioned
from stacksalt.openstack.http import ApiClient
from stacksalt.openstack.keystone import KeystoneClient
from stacksalt.openstack.plan import PlanError

#: Seconds for an image upload to be read by glance (a small image; a slow store).
UPLOAD_TIMEOUT = (5.0, 600.0)


def service_api(
    kc: KeystoneClient, api: str, service_type: str, version: str, interface: str, region=None
) -> ApiClient:
    """An :class:`ApiClient` for ``service_type`` at its catalog URL, with the token."""
    url = versioned(kc.endpoint(service_type, interface, region), version)
    return ApiClient(
        api,
        url,
        kc.api.session,
        kc.api.timeout,
        retries=kc.api.retries,
        headers={"X-Auth-Token": kc.token},
        verify=kc.api.verify,
    )


def file_checksums(path: str, chunk: int = 1 << 20) -> dict:
    """``{"md5", "sha512"}`` of a file (glance's ``checksum`` and ``os_hash_value``)."""
    md5, sha512 = hashlib.md5(usedforsecurity=False), hashlib.sha512()
    with open(path, "rb") as handle:
        while data := handle.read(chunk):
            md5.update(data)
            sha512.update(data)
    return {"md5": md5.hexdigest(), "sha512": sha512.hexdigest()}


class Nova:
    def __init__(self, api: ApiClient):
        self.api = api

    def flavor_named(self, name: str) -> dict | None:
        body = self.api.get_json("flavors", "detail", params={"is_public": "None"})
        found = [f for f in body["flavors"] if f.get("name") == name]
        return found[0] if found else None

    def extra_specs(self, flavor_id: str) -> dict:
        return self.api.get_json("flavors", flavor_id, "os-extra_specs")["extra_specs"]

    def create_flavor(self, name: str, want: dict) -> dict:
        body = {
            "name": name,
            "ram": want["ram"],
            "vcpus": want["vcpus"],
            "disk": want["disk"],
            "OS-FLV-EXT-DATA:ephemeral": want["ephemeral"],
            "swap": want["swap"],
            "os-flavor-access:is_public": want["is_public"],
        }
        if want.get("id") is not None:
            body["id"] = str(want["id"])
        return self.api.send_json("POST", "flavors", body={"flavor": body}, expect=(200,))["flavor"]

    def set_extra_specs(self, flavor_id: str, specs: dict) -> None:
        self.api.send_json(
            "POST", "flavors", flavor_id, "os-extra_specs", body={"extra_specs": specs}
        )

    def delete_flavor(self, flavor_id: str) -> None:
        self.api.request("DELETE", self.api.url("flavors", flavor_id), expect=(202, 204))


class Glance:
    def __init__(self, api: ApiClient):
        self.api = api

    def images_named(self, name: str) -> list[dict]:
        return self.api.get_json("images", params={"name": name, "limit": 100})["images"]

    def create(self, body: dict) -> dict:
        return self.api.send_json("POST", "images", body=body, expect=(201,))

    def upload(self, image_id: str, path: str) -> None:
        with open(path, "rb") as data:
            self.api.request(
                "PUT",
                self.api.url("images", image_id, "file"),
                data=data,
                headers={"Content-Type": "application/octet-stream"},
                expect=(204,),
                timeout=UPLOAD_TIMEOUT,
            )

    def patch(self, image_id: str, changes: dict) -> None:
        ops = [{"op": "add", "path": f"/{k}", "value": v} for k, v in changes.items()]
        self.api.request(
            "PATCH",
            self.api.url("images", image_id),
            json=ops,
            headers={"Content-Type": "application/openstack-images-v2.1-json-patch"},
            expect=(200,),
        )

    def delete(self, image_id: str) -> None:
        self.api.request("DELETE", self.api.url("images", image_id), expect=(204,))


def _key(collection: str) -> str:
    """The JSON key of a neutron collection: ``security-groups`` → ``security_groups``."""
    return collection.replace("-", "_")


class Neutron:
    def __init__(self, api: ApiClient, project_id: str | None):
        self.api = api
        self.project_id = project_id

    def find(self, collection: str, what: str, **filters) -> dict | None:
        """The one object of ``collection`` matching ``filters`` in the admin's project."""
        params = {k: v for k, v in filters.items() if v is not None}
        if self.project_id:
            params["project_id"] = self.project_id
        found = self.api.get_json(collection, params=params)[_key(collection)]
        if len(found) > 1:
            ids = ", ".join(sorted(o["id"] for o in found))
            raise PlanError(f"neutron has {len(found)} {what}: {ids}; delete all but one")
        return found[0] if found else None

    def list(self, collection: str, **filters) -> list[dict]:
        return self.api.get_json(collection, params=filters)[_key(collection)]

    def create(self, collection: str, singular: str, body: dict) -> dict:
        return self.api.send_json("POST", collection, body={singular: body}, expect=(201,))[
            singular
        ]

    def update(self, collection: str, singular: str, obj_id: str, body: dict) -> dict:
        return self.api.send_json("PUT", collection, obj_id, body={singular: body}, expect=(200,))

    def router_subnets(self, router_id: str) -> set[str]:
        """The subnets a router has interfaces on (any router-interface device owner)."""
        ports = self.list("ports", device_id=router_id)
        out = set()
        for port in ports:
            owner = port.get("device_owner", "")
            if owner.startswith("network:router_interface") or owner.startswith(
                "network:ha_router_replicated_interface"
            ):
                out |= {ip["subnet_id"] for ip in port.get("fixed_ips") or []}
        return out

    def add_router_interface(self, router_id: str, subnet_id: str) -> None:
        self.api.send_json(
            "PUT", "routers", router_id, "add_router_interface", body={"subnet_id": subnet_id}
        )
