"""The day-1 plans (stacksalt.openstack.day1) over HTTP against a small stand-in of the nova,
glance and neutron APIs on loopback: only the calls the clients make, with the request and
answer shapes of the API references (nova 2.1, glance v2, neutron v2.0), kept in memory. It
checks the wiring (paths, bodies, JSON keys, catalog lookup) and that a second look after
applying finds nothing to do; the real services run in the integration tests."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from stacksalt.openstack.day1 import Day1
from stacksalt.openstack.keystone import KeystoneClient

PROJECT = "p-admin"


class Cloud:
    def __init__(self):
        self.flavors: dict[str, dict] = {}
        self.specs: dict[str, dict] = {}
        self.images: dict[str, dict] = {}
        self.neutron: dict[str, dict[str, dict]] = {
            c: {}
            for c in (
                "networks",
                "subnets",
                "routers",
                "ports",
                "security-groups",
                "security-group-rules",
            )
        }
        self.requests: list[str] = []


def catalog_entry(service_type: str, url: str) -> dict:
    endpoint = {"interface": "internal", "region_id": "RegionOne", "url": url}
    return {"type": service_type, "endpoints": [endpoint]}


def make_handler(cloud: Cloud, base: list[str]):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body=None, headers=None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def route(self, method):
            url = urlparse(self.path)
            path, query = url.path, {k: v[0] for k, v in parse_qs(url.query).items()}
            cloud.requests.append(f"{method} {path}")
            if path == "/identity/v3/auth/tokens" and method == "POST":
                token = {
                    "project": {"id": PROJECT},
                    "catalog": [
                        catalog_entry("compute", base[0] + "/compute/v2.1"),
                        catalog_entry("image", base[0] + "/image"),
                        catalog_entry("network", base[0] + "/network"),
                    ],
                }
                return self.reply(201, {"token": token}, {"X-Subject-Token": "tok"})
            if self.headers.get("X-Auth-Token") != "tok":
                return self.reply(401, {"error": {"message": "no token"}})
            if path.startswith("/compute/v2.1/flavors"):
                return self.nova(method, path[len("/compute/v2.1/flavors") :])
            if path.startswith("/image/v2/images"):
                return self.glance(method, path[len("/image/v2/images") :], query)
            if path.startswith("/network/v2.0/"):
                return self.neutron(method, path[len("/network/v2.0/") :], query)
            return self.reply(404, {"error": {"message": path}})

        def nova(self, method, rest):
            if method == "GET" and rest == "/detail":
                return self.reply(200, {"flavors": list(cloud.flavors.values())})
            if method == "POST" and rest == "":
                f = json.loads(self.body())["flavor"]
                fid = f.get("id") or str(uuid.uuid4())
                if fid in cloud.flavors:
                    return self.reply(409, {"conflictingRequest": {"message": "exists"}})
                flavor = {
                    "id": fid,
                    "name": f["name"],
                    "ram": f["ram"],
                    "vcpus": f["vcpus"],
                    "disk": f["disk"],
                    "OS-FLV-EXT-DATA:ephemeral": f.get("OS-FLV-EXT-DATA:ephemeral", 0),
                    "swap": f.get("swap") or "",
                    "os-flavor-access:is_public": f.get("os-flavor-access:is_public", True),
                }
                cloud.flavors[fid] = flavor
                cloud.specs[fid] = {}
                return self.reply(200, {"flavor": flavor})
            m = re.fullmatch(r"/([^/]+)(/os-extra_specs)?", rest)
            fid = m.group(1)
            if m.group(2) and method == "GET":
                return self.reply(200, {"extra_specs": cloud.specs[fid]})
            if m.group(2) and method == "POST":
                cloud.specs[fid].update(json.loads(self.body())["extra_specs"])
                return self.reply(200, {"extra_specs": cloud.specs[fid]})
            if method == "DELETE":
                del cloud.flavors[fid]
                return self.reply(202)
            return self.reply(405)

        def glance(self, method, rest, query):
            if method == "GET" and rest == "":
                found = [i for i in cloud.images.values() if i["name"] == query.get("name")]
                return self.reply(200, {"images": found})
            if method == "POST" and rest == "":
                image = json.loads(self.body()) | {
                    "id": str(uuid.uuid4()),
                    "status": "queued",
                    "checksum": None,
                    "os_hash_value": None,
                }
                cloud.images[image["id"]] = image
                return self.reply(201, image)
            iid, _, sub = rest.strip("/").partition("/")
            if method == "PUT" and sub == "file":
                data = self.body()
                cloud.images[iid].update(
                    status="active",
                    checksum=hashlib.md5(data).hexdigest(),
                    os_hash_algo="sha512",
                    os_hash_value=hashlib.sha512(data).hexdigest(),
                )
                return self.reply(204)
            if method == "PATCH":
                assert (
                    self.headers["Content-Type"] == "application/openstack-images-v2.1-json-patch"
                )
                for op in json.loads(self.body()):
                    cloud.images[iid][op["path"].lstrip("/")] = op["value"]
                return self.reply(200, cloud.images[iid])
            if method == "DELETE":
                del cloud.images[iid]
                return self.reply(204)
            return self.reply(405)

        def neutron(self, method, rest, query):
            parts = rest.split("/")
            coll = parts[0]
            key, singular = coll.replace("-", "_"), coll.replace("-", "_")[:-1]
            store = cloud.neutron[coll]
            if method == "GET" and len(parts) == 1:
                found = [
                    o for o in store.values() if all(str(o.get(k)) == v for k, v in query.items())
                ]
                return self.reply(200, {key: found})
            if method == "POST" and len(parts) == 1:
                obj = json.loads(self.body())[singular] | {
                    "id": str(uuid.uuid4()),
                    "project_id": PROJECT,
                }
                if coll == "networks":
                    obj.setdefault("router:external", False)
                    obj.setdefault("shared", False)
                    obj.setdefault("provider:segmentation_id", None)
                if coll == "subnets":
                    obj.setdefault("allocation_pools", [{"start": "auto", "end": "auto"}])
                    obj.setdefault("dns_nameservers", [])
                store[obj["id"]] = obj
                return self.reply(201, {singular: obj})
            if method == "PUT" and len(parts) == 3 and parts[2] == "add_router_interface":
                sid = json.loads(self.body())["subnet_id"]
                port = {
                    "id": str(uuid.uuid4()),
                    "device_id": parts[1],
                    "device_owner": "network:router_interface",
                    "fixed_ips": [{"subnet_id": sid}],
                }
                cloud.neutron["ports"][port["id"]] = port
                return self.reply(200, {"subnet_id": sid, "port_id": port["id"]})
            if method == "PUT" and len(parts) == 2:
                store[parts[1]].update(json.loads(self.body())[singular])
                return self.reply(200, {singular: store[parts[1]]})
            return self.reply(405)

        def do_GET(self):  # noqa: N802
            self.route("GET")

        def do_POST(self):  # noqa: N802
            self.route("POST")

        def do_PUT(self):  # noqa: N802
            self.route("PUT")

        def do_PATCH(self):  # noqa: N802
            self.route("PATCH")

        def do_DELETE(self):  # noqa: N802
            self.route("DELETE")

    return Handler


@pytest.fixture
def cloud():
    state, base = Cloud(), []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, base))
    base.append(f"http://127.0.0.1:{httpd.server_port}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    kc = KeystoneClient(base[0] + "/identity/v3").login("admin", "pw")
    yield state, Day1(kc, "internal", "RegionOne")
    httpd.shutdown()
    httpd.server_close()


def converge(day1, kind, name, spec):
    """Look, apply, look again: the second look finds nothing to do."""
    first = getattr(day1, kind)(name, spec)
    assert first.changes and not first.problems, first.public()
    first.run()
    again = getattr(day1, kind)(name, spec)
    assert again.public() == {"what": first.what, "changes": {}, "problems": []}
    return first


def test_flavors(cloud):
    state, day1 = cloud
    converge(day1, "flavor", "m1.tiny", {"id": "1", "ram": 512, "vcpus": 1, "disk": 1})
    converge(
        day1,
        "flavor",
        "m1.tiny",
        {
            "id": "1",
            "ram": 512,
            "vcpus": 1,
            "disk": 1,
            "extra_specs": {"hw:cpu_policy": "dedicated"},
        },
    )
    blocked = day1.flavor("m1.tiny", {"id": "1", "ram": 1024, "vcpus": 1, "disk": 1})
    assert blocked.problems and "set recreate: true" in blocked.problems[0]
    plan = converge(
        day1, "flavor", "m1.tiny", {"id": "1", "ram": 1024, "vcpus": 1, "disk": 1, "recreate": True}
    )
    assert plan.changes["ram"] == {"old": 512, "new": 1024}
    assert state.flavors["1"]["ram"] == 1024  # the same id again


def test_images(cloud, tmp_path):
    state, day1 = cloud
    path = tmp_path / "tiny.img"
    path.write_bytes(b"QFI\xfb" + b"\0" * 1000)
    spec = {"file": str(path), "properties": {"os_distro": "cirros"}}
    converge(day1, "image", "cirros", spec)
    converge(day1, "image", "cirros", dict(spec, visibility="private"))
    path.write_bytes(b"other data")
    assert day1.image("cirros", spec).problems
    converge(day1, "image", "cirros", dict(spec, visibility="private", recreate=True))
    assert len(state.images) == 1
    missing = day1.image("cirros", dict(spec, file=str(tmp_path / "nope.img")))
    assert "does not exist here" in missing.problems[0]


def test_networks_subnets_router_security_group(cloud):
    state, day1 = cloud
    converge(
        day1,
        "network",
        "ext-net",
        {"network_type": "flat", "physical_network": "physnet1", "external": True},
    )
    converge(
        day1,
        "network",
        "int-net",
        {"network_type": "vlan", "physical_network": "physnet2", "segmentation_id": 1001},
    )
    converge(
        day1,
        "subnet",
        "ext-subnet",
        {
            "network": "ext-net",
            "cidr": "10.90.2.0/24",
            "gateway_ip": "10.90.2.1",
            "enable_dhcp": False,
            "allocation_pools": [{"start": "10.90.2.10", "end": "10.90.2.250"}],
        },
    )
    converge(
        day1,
        "subnet",
        "int-subnet",
        {"network": "int-net", "cidr": "10.0.1.0/24", "gateway_ip": "10.0.1.1"},
    )
    converge(
        day1, "router", "ext-router", {"external_network": "ext-net", "interfaces": ["int-subnet"]}
    )
    converge(
        day1,
        "security_group",
        "basic",
        {"rules": [{"protocol": "icmp"}, {"protocol": "tcp", "port": 22}]},
    )
    assert len(state.neutron["security-group-rules"]) == 2
    blocked = day1.network(
        "int-net", {"network_type": "vlan", "physical_network": "physnet2", "segmentation_id": 1002}
    )
    assert blocked.problems and "provider:segmentation_id" in blocked.problems[0]


def test_test_mode_predicts_dependents_before_anything_exists(cloud):
    state, day1 = cloud
    plan = day1.subnet("int-subnet", {"network": "int-net", "cidr": "10.0.1.0/24"})
    assert plan.changes["subnet"] == {"old": None, "new": "int-subnet"}
    plan = day1.router("r", {"external_network": "ext-net", "interfaces": ["int-subnet"]})
    assert set(plan.changes) == {"router", "external_gateway", "interfaces"}
    assert not [r for r in state.requests if not r.startswith(("GET", "POST /identity"))]
