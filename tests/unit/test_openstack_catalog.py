"""Table tests for the catalog lookup, URL building, and the REST client's error and retry
rules (against a real HTTP server on loopback, and a port nothing listens on)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from stacksalt.openstack.catalog import CatalogError, find_endpoint, versioned
from stacksalt.openstack.http import ApiClient, ApiError, error_detail, join_url, retry_allowed


def endpoint(interface, url, region="RegionOne"):
    return {"interface": interface, "url": url, "region_id": region, "region": region}


CATALOG = [
    {
        "type": "compute",
        "name": "nova",
        "endpoints": [
            endpoint("public", "http://192.0.2.10:8774/v2.1"),
            endpoint("internal", "http://10.0.0.10:8774/v2.1/"),
            endpoint("internal", "http://10.1.0.10:8774/v2.1", "RegionTwo"),
        ],
    },
    {"type": "image", "name": "glance", "endpoints": [endpoint("internal", "http://g:9292")]},
    {"type": "network", "name": "neutron", "endpoints": []},
]


@pytest.mark.parametrize(
    ("service_type", "interface", "region", "expected"),
    [
        pytest.param("compute", "internal", "RegionOne", "http://10.0.0.10:8774/v2.1", id="region"),
        pytest.param("compute", "public", None, "http://192.0.2.10:8774/v2.1", id="only-one"),
        pytest.param("image", "internal", None, "http://g:9292", id="image"),
    ],
)
def test_find_endpoint(service_type, interface, region, expected):
    assert find_endpoint(CATALOG, service_type, interface, region) == expected


@pytest.mark.parametrize(
    ("service_type", "interface", "region", "message"),
    [
        pytest.param(
            "volumev3",
            "internal",
            None,
            "no service of type 'volumev3' in the keystone catalog (it has: compute, image, "
            "network)",
            id="no-such-type",
        ),
        pytest.param(
            "compute",
            "admin",
            None,
            "service type 'compute' has no admin endpoint (endpoints: internal@RegionOne, "
            "internal@RegionTwo, public@RegionOne)",
            id="no-such-interface",
        ),
        pytest.param(
            "compute",
            "internal",
            None,
            "service type 'compute' has 2 internal endpoints: http://10.0.0.10:8774/v2.1/, "
            "http://10.1.0.10:8774/v2.1; give the region",
            id="two-regions",
        ),
        pytest.param("network", "internal", None, "has no internal endpoint", id="no-endpoints"),
        pytest.param("compute", "private", None, "interface 'private'", id="bad-interface"),
    ],
)
def test_find_endpoint_errors(service_type, interface, region, message):
    with pytest.raises(CatalogError) as err:
        find_endpoint(CATALOG, service_type, interface, region)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("url", "version", "expected"),
    [
        pytest.param("http://g:9292", "v2", "http://g:9292/v2", id="glance-bare"),
        pytest.param("http://g:9292/", "v2", "http://g:9292/v2", id="trailing-slash"),
        pytest.param("http://g:9292/v2", "v2", "http://g:9292/v2", id="glance-versioned"),
        pytest.param("http://n:8774/v2.1", "v2.1", "http://n:8774/v2.1", id="nova"),
        pytest.param(
            "http://n:8774/v2.1/" + "a" * 32,
            "v2.1",
            "http://n:8774/v2.1/" + "a" * 32,
            id="nova-with-project",
        ),
        pytest.param("http://q:9696", "v2.0", "http://q:9696/v2.0", id="neutron"),
        pytest.param("http://k:5000/v3/", "v3", "http://k:5000/v3", id="keystone"),
        pytest.param("http://k/identity", "v3", "http://k/identity/v3", id="path-prefix"),
    ],
)
def test_versioned(url, version, expected):
    assert versioned(url, version) == expected


@pytest.mark.parametrize(
    ("base", "parts", "expected"),
    [
        pytest.param(
            "http://r:15672/api",
            ("vhosts", "/openstack"),
            "http://r:15672/api/vhosts/%2Fopenstack",
            id="vhost",
        ),
        pytest.param(
            "http://r:15672/api/", ("vhosts", "/"), "http://r:15672/api/vhosts/%2F", id="root-vhost"
        ),
        pytest.param("http://k/v3", ("users", "a b"), "http://k/v3/users/a%20b", id="space"),
    ],
)
def test_join_url(base, parts, expected):
    assert join_url(base, *parts) == expected


@pytest.mark.parametrize(
    ("method", "exc", "expected"),
    [
        pytest.param("GET", requests.ConnectionError("reset"), True, id="get-any-connection"),
        pytest.param("PUT", requests.ConnectionError("reset"), True, id="put-idempotent"),
        pytest.param(
            "POST", requests.ConnectionError("RemoteDisconnected"), False, id="post-mid-way"
        ),
        pytest.param("POST", requests.ConnectTimeout("x"), True, id="post-never-connected"),
        pytest.param(
            "POST",
            requests.ConnectionError("NewConnectionError: [Errno 111] Connection refused"),
            True,
            id="post-refused",
        ),
        pytest.param("GET", requests.ReadTimeout("x"), False, id="read-timeout-not-retried"),
        pytest.param("GET", ValueError("x"), False, id="not-a-connection-error"),
    ],
)
def test_retry_allowed(method, exc, expected):
    assert retry_allowed(method, exc) is expected


def response(status, body):
    resp = requests.Response()
    resp.status_code = status
    resp._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return resp


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {
                "error": {
                    "message": "The request you have made requires authentication.",
                    "code": 401,
                }
            },
            "The request you have made requires authentication.",
            id="keystone",
        ),
        pytest.param(
            {"itemNotFound": {"message": "Flavor 9 could not be found.", "code": 404}},
            "Flavor 9 could not be found.",
            id="nova",
        ),
        pytest.param(
            {
                "NeutronError": {
                    "type": "X",
                    "message": "Network n1 could not be found.",
                    "detail": "",
                }
            },
            "Network n1 could not be found.",
            id="neutron",
        ),
        pytest.param(
            {"error": "not_authorised", "reason": "Login failed"}, "Login failed", id="rabbitmq"
        ),
        pytest.param(
            "<html><body>  502   Bad\nGateway</body></html>",
            "<html><body> 502 Bad Gateway</body></html>",
            id="html",
        ),
    ],
)
def test_error_detail(body, expected):
    assert error_detail(response(400, body)) == expected


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        status = int(self.path.strip("/") or 200)
        body = json.dumps({"error": {"message": f"status {status}"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


class CountingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.sent = 0

    def request(self, *args, **kwargs):
        self.sent += 1
        return super().request(*args, **kwargs)


def test_an_http_error_names_the_api_url_and_status(server):
    session = CountingSession()
    api = ApiClient("nova", server, session, retries=3, backoff=0)
    with pytest.raises(ApiError) as err:
        api.get_json("403", hint="check the admin's role")
    assert (
        str(err.value) == f"nova: GET {server}/403: HTTP 403: status 403 (check the admin's role)"
    )
    assert err.value.status == 403
    assert session.sent == 1  # an HTTP error is never retried


def test_404_allowed_is_none(server):
    assert ApiClient("glance", server).get_json("404", allow_missing=True) is None
    assert ApiClient("glance", server).get_json("200") == {"error": {"message": "status 200"}}


def test_connection_errors_are_retried_a_bounded_number_of_times():
    session = CountingSession()
    api = ApiClient("neutron", "http://127.0.0.1:1/v2.0", session, retries=2, backoff=0)
    with pytest.raises(ApiError) as err:
        api.get_json("networks")
    assert session.sent == 3
    assert str(err.value).startswith("neutron: GET http://127.0.0.1:1/v2.0/networks: no answer: ")
    assert "is neutron running and reachable from here?" in str(err.value)
