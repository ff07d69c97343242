"""The OpenStack service formulas (glance, placement, nova, neutron, horizon): pillars and
schemas agree, the shared files stay equal, and the config files their templates render
(through the Kubernetes renderer's path: cfg = defaults + pillar, meta/config.yml) say what
the services need. The one-shot states are rendered by
tests/functional/test_openstack_oneshots.py."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from stacksalt.k8s.common import deep_merge
from stacksalt.k8s.formula_files import render_files

ROOT = Path(__file__).resolve().parents[2]
FORMULAS = ROOT / "formulas"
ROLES = [
    ("glance", "server"),
    ("placement", "server"),
    ("nova", "controller"),
    ("nova", "compute"),
    ("neutron", "server"),
    ("neutron", "agent"),
    ("horizon", "server"),
]
# Each formula's image copies only that formula: these files are copied, and kept equal.
SHARED = {
    "libopenstack.jinja": ["glance", "placement", "nova", "neutron"],
    "files/db_current.py": ["placement", "nova", "neutron"],
}
SECRET_KEY = re.compile(r"(^password$|_password$|_key$|_secret$)")


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def validator(formula: str) -> jsonschema.Draft202012Validator:
    schema = load(FORMULAS / formula / "schema.yaml")
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def errors(formula: str, pillar: dict) -> list[str]:
    return sorted(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(formula).iter_errors(pillar)
    )


def case_pillar(formula: str, role: str) -> dict:
    """The role's pillar from the formula's tests/pillar case named after the role."""
    return load(FORMULAS / formula / "tests" / "pillar" / f"{role}.sls")[formula][role]


def role_defaults(formula: str, role: str) -> dict:
    return load(FORMULAS / formula / formula / "defaults.yaml")[role]


def secrets_of(tree, key="") -> list[str]:
    """Every non-empty value under a key named like a secret."""
    if isinstance(tree, dict):
        return [v for k, sub in tree.items() for v in secrets_of(sub, k)]
    if isinstance(tree, list):
        return [v for sub in tree for v in secrets_of(sub, key)]
    return [str(tree)] if SECRET_KEY.search(key) and tree else []


def rendered(formula: str, role: str, pillar: dict | None = None) -> dict:
    pillar = case_pillar(formula, role) if pillar is None else pillar
    return {f.name: f for f in render_files([FORMULAS], formula, role, pillar)}


@pytest.mark.parametrize(("name", "formulas"), sorted(SHARED.items()))
def test_shared_files_are_equal(name, formulas):
    texts = {f: (FORMULAS / f / f / name).read_text(encoding="utf-8") for f in formulas}
    first = texts[formulas[0]]
    assert [f for f, text in texts.items() if text != first] == []


@pytest.mark.parametrize(("formula", "role"), ROLES)
def test_defaults_and_test_pillars_fit_the_schema(formula, role):
    assert errors(formula, {role: role_defaults(formula, role)}) == []
    for path in sorted((FORMULAS / formula / "tests" / "pillar").glob("*.sls")):
        assert errors(formula, load(path)[formula]) == [], path.name


def _resolve(value, params):
    """``${_param:x}`` replaced as reclass does (a whole-value reference keeps its type)."""
    if isinstance(value, dict):
        return {k: _resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params) for v in value]
    if isinstance(value, str):
        whole = re.fullmatch(r"\$\{_param:([a-z0-9_]+)\}", value)
        if whole:
            return params[whole.group(1)]
        return re.sub(r"\$\{_param:([a-z0-9_]+)\}", lambda m: str(params[m.group(1)]), value)
    return value


MEMBERS = [{"host": "10.0.0.11", "port": 5672}, {"host": "10.0.0.12", "port": 5672}]
CACHE = [{"host": "10.0.0.11", "port": 11211}]
PARAMS = {
    "openstack_region": "RegionOne",
    "keystone_internal_url": "http://10.0.0.10:5000/v3",
    "placement_internal_url": "http://10.0.0.10:8778",
    "glance_internal_url": "http://10.0.0.10:9292",
    "neutron_internal_url": "http://10.0.0.10:9696",
    "glance_workers": 1,
    "placement_processes": 2,
    "nova_api_processes": 2,
    "nova_scheduler_workers": 1,
    "nova_conductor_workers": 1,
    "nova_discover_hosts_interval": 60,
    "nova_compute_host": "fake-1",
    "nova_compute_driver": "fake.FakeDriver",
    "neutron_api_workers": 1,
    "neutron_rpc_workers": 1,
    "neutron_type_drivers": ["flat", "vlan"],
    "neutron_tenant_network_types": ["vlan"],
    "neutron_mechanism_drivers": ["linuxbridge"],
    "neutron_flat_networks": ["external"],
    "neutron_network_vlan_ranges": ["physnet1:100:3999"],
    "neutron_physical_interface_mappings": {"physnet1": "vphys1"},
    "neutron_veth_pairs": {"vphys1": "vphys1-p"},
    "horizon_port": 8080,
    "horizon_processes": 2,
    "horizon_allowed_hosts": ["*"],
    "horizon_secret_key": "container-test-secret-key",
}
for _svc in ("glance", "placement", "nova", "neutron", "horizon"):
    PARAMS.update(
        {
            f"{_svc}_database_host": "10.0.0.10",
            f"{_svc}_database_port": 13306,
            f"{_svc}_database_password": f"{_svc}-container-test-password",
            f"{_svc}_message_queue_members": MEMBERS,
            f"{_svc}_message_queue_password": f"{_svc}-mq-container-test-password",
            f"{_svc}_keystone_password": f"{_svc}-keystone-container-test-password",
            f"{_svc}_memcached_members": CACHE,
        }
    )


@pytest.mark.parametrize(("formula", "role"), ROLES)
def test_container_class_resolves_to_a_valid_pillar_that_renders(formula, role):
    """The container class holds only references for what varies; resolved, the schema
    accepts it and the formula's files render from it."""
    path = FORMULAS / formula / "metadata" / "service" / role / "container.yml"
    cls = load(path)
    assert cls["applications"] == [formula]
    pillar = _resolve(cls["parameters"][formula][role], PARAMS)
    assert errors(formula, {role: pillar}) == []
    for value in secrets_of(pillar):
        assert value not in path.read_text(encoding="utf-8")  # references only
    assert rendered(formula, role, pillar)


@pytest.mark.parametrize(("formula", "role"), ROLES)
def test_meta_config_lists_the_files_the_states_manage_and_marks_secrets(formula, role):
    """Each listed path is a path of the role's defaults (the states manage exactly those
    paths), and every file holding a pillar secret is a secret entry."""
    meta = load(FORMULAS / formula / formula / "meta" / "config.yml")[role]
    paths = {v for v in role_defaults(formula, role).values() if isinstance(v, str)}
    assert [e["path"] for e in meta if e["path"] not in paths] == []
    pillar = case_pillar(formula, role)
    values = secrets_of(pillar)
    assert values, "the test pillar carries secrets"
    files = rendered(formula, role)
    leaked = [n for n, f in files.items() if not f.secret and any(v in f.content for v in values)]
    assert leaked == []
    assert any(f.secret for f in files.values())


def section(text: str, name: str) -> dict[str, str]:
    """The options of one INI section (the last assignment wins)."""
    out, inside = {}, False
    for line in text.splitlines():
        if line.startswith("["):
            inside = line.strip() == f"[{name}]"
        elif inside and " = " in line and not line.startswith("#"):
            key, _, value = line.partition(" = ")
            out[key.strip()] = value.strip()
    return out


FACTS = [
    pytest.param(
        "glance",
        "server",
        "glance-api.conf",
        "DEFAULT",
        {
            "transport_url": "rabbit://glance:glance-mq-test-password@10.0.0.11:5672,"
            "glance:glance-mq-test-password@10.0.0.12:5672,"
            "glance:glance-mq-test-password@10.0.0.13:5672/%2Fopenstack",
            "enabled_backends": "file:file",
            "workers": "1",
        },
        id="glance-every-rabbitmq-member-vhost-encoded",
    ),
    pytest.param(
        "glance",
        "server",
        "glance-api.conf",
        "database",
        {
            "connection": "mysql+pymysql://glance:glance-db-test%2Fpassword%40@10.0.0.10:13306"
            "/glance?charset=utf8"
        },
        id="glance-database-password-percent-encoded",
    ),
    pytest.param(
        "glance",
        "server",
        "glance-api.conf",
        "keystone_authtoken",
        {"memcached_servers": "10.0.0.11:11211,10.0.0.12:11211", "auth_type": "password"},
        id="glance-token-cache-in-memcached",
    ),
    pytest.param(
        "glance",
        "server",
        "glance-api.conf",
        "file",
        {"filesystem_store_datadir": "/var/lib/glance/images"},
        id="glance-file-store",
    ),
    pytest.param(
        "placement",
        "server",
        "placement-uwsgi.ini",
        "uwsgi",
        {"processes": "2", "threads": "1", "http-socket": "0.0.0.0:8778"},
        id="placement-uwsgi-sized-from-pillar",
    ),
    pytest.param(
        "nova",
        "controller",
        "nova.conf",
        "service_user",
        {"send_service_user_token": "true", "username": "nova"},
        id="nova-service-user-token",
    ),
    pytest.param(
        "nova",
        "controller",
        "nova.conf",
        "scheduler",
        {"discover_hosts_in_cells_interval": "60", "workers": "1"},
        id="nova-scheduler-from-pillar",
    ),
    pytest.param(
        "nova",
        "controller",
        "nova.conf",
        "placement",
        {"endpoint_override": "http://10.0.0.10:8778", "region_name": "RegionOne"},
        id="nova-placement-url-from-pillar",
    ),
    pytest.param(
        "nova",
        "controller",
        "nova.conf",
        "api_database",
        {
            "connection": "mysql+pymysql://nova:nova-db-test-password@10.0.0.10:13306"
            "/nova_api?charset=utf8"
        },
        id="nova-api-database",
    ),
    pytest.param(
        "nova",
        "compute",
        "nova-compute.conf",
        "DEFAULT",
        {
            "host": "fake-1",
            "compute_driver": "fake.FakeDriver",
            "vif_plugging_is_fatal": "false",
            "vif_plugging_timeout": "0",
        },
        id="nova-compute-fake-host",
    ),
    pytest.param(
        "nova",
        "compute",
        "nova-compute.conf",
        "database",
        {},
        id="nova-compute-has-no-database",
    ),
    pytest.param(
        "nova",
        "compute",
        "nova-compute.conf",
        "api_database",
        {},
        id="nova-compute-has-no-api-database",
    ),
    pytest.param(
        "neutron",
        "server",
        "neutron.conf",
        "DEFAULT",
        {"service_plugins": "router", "core_plugin": "ml2", "api_workers": "1"},
        id="neutron-router-plugin-and-workers",
    ),
    pytest.param(
        "neutron",
        "server",
        "neutron.conf",
        "experimental",
        {"linuxbridge": "true"},
        id="neutron-linuxbridge-experimental",
    ),
    pytest.param(
        "neutron",
        "server",
        "ml2_conf.ini",
        "ml2_type_vlan",
        {"network_vlan_ranges": "physnet1:100:3999"},
        id="neutron-vlan-ranges",
    ),
    pytest.param(
        "neutron",
        "agent",
        "linuxbridge_agent.ini",
        "linux_bridge",
        {"physical_interface_mappings": "external:vext1,physnet1:vphys1"},
        id="neutron-agent-mappings",
    ),
    pytest.param(
        "neutron",
        "agent",
        "linuxbridge_agent.ini",
        "securitygroup",
        {"firewall_driver": "neutron.agent.firewall.NoopFirewallDriver"},
        id="neutron-agent-noop-firewall",
    ),
    pytest.param(
        "neutron",
        "agent",
        "linuxbridge_agent.ini",
        "DEFAULT",
        {
            "host": "fake-1",
            "transport_url": "rabbit://neutron:neutron-mq-test-password@10.0.0.11:5672/%2Fopenstack",
        },
        id="neutron-agent-host-and-queue-in-its-one-file",
    ),
    pytest.param(
        "horizon",
        "server",
        "horizon-uwsgi.ini",
        "uwsgi",
        {
            "http-socket": "0.0.0.0:8080",
            "static-map": "/static=/var/lib/openstack-dashboard/static",
        },
        id="horizon-port-and-static-files",
    ),
]


@pytest.mark.parametrize(("formula", "role", "name", "group", "expected"), FACTS)
def test_rendered_config_says(formula, role, name, group, expected):
    options = section(rendered(formula, role)[name].content, group)
    if expected:
        assert {k: options.get(k) for k in expected} == expected
    else:
        assert options == {}, f"[{group}] must not be in {name}"


def test_nova_compute_config_has_no_connection_at_all():
    text = rendered("nova", "compute")["nova-compute.conf"].content
    assert "connection" not in text


def test_horizon_settings_from_pillar():
    text = rendered("horizon", "server")["local_settings.py"].content
    namespace: dict = {"__file__": "/etc/openstack-dashboard/local_settings.py"}
    exec(compile(text, "local_settings.py", "exec"), namespace)  # noqa: S102 - our own file
    assert namespace["ALLOWED_HOSTS"] == ["dashboard.example.test", "10.0.0.10"]
    assert namespace["SECRET_KEY"] == "horizon-test-secret-key"
    assert namespace["OPENSTACK_KEYSTONE_URL"] == "http://10.0.0.10:5000/v3"
    assert namespace["SESSION_ENGINE"] == "django.contrib.sessions.backends.cache"
    assert namespace["CACHES"]["default"]["LOCATION"] == ["10.0.0.11:11211", "10.0.0.12:11211"]


def test_horizon_without_memcached_keeps_sessions_in_signed_cookies():
    pillar = deep_merge(case_pillar("horizon", "server"), {"cache": {"members": []}})
    namespace: dict = {"__file__": "/etc/openstack-dashboard/local_settings.py"}
    text = rendered("horizon", "server", pillar)["local_settings.py"].content
    exec(compile(text, "local_settings.py", "exec"), namespace)  # noqa: S102 - our own file
    assert namespace["SESSION_ENGINE"] == "django.contrib.sessions.backends.signed_cookies"


def test_without_message_queue_notifications_are_off():
    pillar = deep_merge(case_pillar("glance", "server"), {"message_queue": {"members": []}})
    text = rendered("glance", "server", pillar)["glance-api.conf"].content
    assert "transport_url" not in section(text, "DEFAULT")
    assert section(text, "oslo_messaging_notifications") == {"driver": "noop"}


REFUSED = [
    pytest.param(
        "glance",
        {"server": {"enabled": True, "message_queue": {"password": "a/b"}}},
        "server/message_queue/password: 'a/b' does not match",
        id="rabbitmq-password-with-slash",
    ),
    pytest.param(
        "nova",
        {"controller": {"enabled": True, "database": {"password": "p@ss"}}},
        "controller/database/password: 'p@ss' does not match",
        id="nova-database-password-map-cell0-would-decode",
    ),
    pytest.param(
        "nova",
        {"controller": {"enabled": True, "cell_name": "cell0"}},
        "controller/cell_name: 'cell0' should not be valid",
        id="nova-cell-named-cell0",
    ),
    pytest.param(
        "nova",
        {"compute": {"enabled": True, "databse": {}}},
        "Additional properties are not allowed ('databse' was unexpected)",
        id="unknown-key",
    ),
    pytest.param(
        "neutron",
        {"agent": {"enabled": True, "veth_pairs": {"averyverylongname0": "p"}}},
        "agent/veth_pairs: 'averyverylongname0' does not match",
        id="interface-name-too-long",
    ),
    pytest.param(
        "neutron",
        {"server": {"enabled": True, "ml2": {"network_vlan_ranges": ["physnet1:100"]}}},
        "server/ml2/network_vlan_ranges/0: 'physnet1:100' does not match",
        id="vlan-range-without-max",
    ),
    pytest.param(
        "placement",
        {"server": {"enabled": True, "identity": {"auth_url": "keystone:5000"}}},
        "server/identity/auth_url: 'keystone:5000' does not match",
        id="auth-url-not-a-url",
    ),
    pytest.param(
        "horizon",
        {"server": {"enabled": True, "allowed_hosts": []}},
        "server/allowed_hosts: [] should be non-empty",
        id="horizon-no-allowed-host",
    ),
]


@pytest.mark.parametrize(("formula", "pillar", "message"), REFUSED)
def test_schema_refuses(formula, pillar, message):
    found = errors(formula, pillar)
    assert any(message in e for e in found), found


@pytest.mark.parametrize("formula", ["nova", "neutron"])
def test_roles_of_one_formula_manage_different_files(formula):
    """One image (or host) may apply both roles: no file is rendered by both."""
    meta = load(FORMULAS / formula / formula / "meta" / "config.yml")
    paths = [{e["path"] for e in entries} for entries in meta.values()]
    assert len(paths) == 2 and not paths[0] & paths[1]
