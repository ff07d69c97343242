"""Table tests for the openstack pillar checks: each broken model and the exact problem, with
its key path, that names it; a valid model has none; every problem is found at once."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacksalt.openstack.validate import effective_flavors, find_problems, formula_defaults

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = formula_defaults(ROOT / "formulas")
FULL = yaml.safe_load((ROOT / "formulas/openstack/tests/pillar/full.sls").read_text())["openstack"]


def pillar() -> dict[str, Any]:
    return copy.deepcopy(FULL)


def setting(path: str, value: Any):
    """A mutator setting ``a:b:c`` (list indexes as numbers); ``DELETE`` removes the key."""

    def apply(data: dict) -> None:
        *parents, last = path.split(":")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
        if value is DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return apply


DELETE = object()
P = "openstack"


def test_the_test_pillars_and_the_defaults_are_valid():
    assert find_problems(pillar(), defaults=DEFAULTS) == []
    keystone = yaml.safe_load((ROOT / "formulas/openstack/tests/pillar/keystone.sls").read_text())
    assert find_problems(keystone["openstack"], defaults=DEFAULTS) == []
    assert find_problems({}) == []
    assert find_problems(None) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        # ---------------------------------------------------------------- flavors
        pytest.param(
            setting("resources:flavors:m1.bad", {"ram": 0, "vcpus": 1, "disk": 1}),
            f"{P}:resources:flavors:m1.bad:ram: must be a positive integer, got 0",
            id="flavor-zero-ram",
        ),
        pytest.param(
            setting("resources:flavors:m1.bad", {"ram": 512, "vcpus": -2, "disk": 1}),
            f"{P}:resources:flavors:m1.bad:vcpus: must be a positive integer, got -2",
            id="flavor-negative-vcpus",
        ),
        pytest.param(
            setting("resources:flavors:m1.bad", {"ram": 512, "vcpus": 1, "disk": 0}),
            f"{P}:resources:flavors:m1.bad:disk: must be a positive integer, got 0",
            id="flavor-zero-disk",
        ),
        pytest.param(
            setting("resources:flavors:m1.bad", {"ram": "512", "vcpus": 1, "disk": 1}),
            f"{P}:resources:flavors:m1.bad:ram: must be a positive integer, got '512'",
            id="flavor-ram-as-text",
        ),
        pytest.param(
            setting("resources:flavors:m1.bad", {"vcpus": 1, "disk": 1}),
            f"{P}:resources:flavors:m1.bad:ram: missing",
            id="flavor-without-ram",
        ),
        pytest.param(
            setting("resources:flavors:m1.tiny:swap", -1),
            f"{P}:resources:flavors:m1.tiny:swap: must be an integer >= 0, got -1",
            id="default-flavor-negative-swap",
        ),
        pytest.param(
            setting(
                "resources:flavors:m1.mine", {"name": "m1.small", "ram": 1, "vcpus": 1, "disk": 1}
            ),
            f"{P}:resources:flavors: duplicate flavor name 'm1.small' (entries m1.mine, m1.small)",
            id="flavor-duplicate-name-with-a-default",
        ),
        pytest.param(
            setting("resources:flavors:m1.mine", {"id": "3", "ram": 1, "vcpus": 1, "disk": 1}),
            f"{P}:resources:flavors: 2 flavors with id 3",
            id="flavor-duplicate-id",
        ),
        pytest.param(
            setting("resources:flavors", ["m1.tiny"]),
            f"{P}:resources:flavors: must be a mapping of name to settings",
            id="flavors-as-list",
        ),
        # ---------------------------------------------------------------- images
        pytest.param(
            setting("resources:images:cirros:file", "cirros.img"),
            f"{P}:resources:images:cirros:file: give the absolute path of the image file in "
            "the Job",
            id="image-relative-file",
        ),
        pytest.param(
            setting("resources:images:cirros:disk_format", "qcow3"),
            f"{P}:resources:images:cirros:disk_format: 'qcow3' is not one of qcow2, raw, vmdk, "
            "vdi, iso, ami, ari, aki, vhd, vhdx, ploop",
            id="image-disk-format",
        ),
        # ---------------------------------------------------------------- networks
        pytest.param(
            setting("resources:networks:int-net:segmentation_id", 5000),
            f"{P}:resources:networks:int-net:segmentation_id: must be 1-4094 for vlan",
            id="vlan-id-out-of-range",
        ),
        pytest.param(
            setting("resources:networks:ext-net:physical_network", DELETE),
            f"{P}:resources:networks:ext-net:physical_network: a flat network needs one",
            id="flat-without-physnet",
        ),
        pytest.param(
            setting("resources:networks:ext-net:segmentation_id", 7),
            f"{P}:resources:networks:ext-net:segmentation_id: a flat network has none",
            id="flat-with-segment",
        ),
        pytest.param(
            setting("resources:networks:int-net:network_type", "token-ring"),
            f"{P}:resources:networks:int-net:network_type: 'token-ring' is not one of flat, "
            "vlan, vxlan, gre, geneve, local",
            id="unknown-network-type",
        ),
        pytest.param(
            setting("resources:networks:other", {"name": "int-net", "network_type": "vxlan"}),
            f"{P}:resources:networks: duplicate network name 'int-net' (entries int-net, other)",
            id="network-duplicate-name",
        ),
        # ---------------------------------------------------------------- subnets
        pytest.param(
            setting("resources:subnets:int-subnet:gateway_ip", "10.0.2.1"),
            f"{P}:resources:subnets:int-subnet:gateway_ip: 10.0.2.1 is outside the subnet's "
            "cidr 10.0.1.0/24",
            id="gateway-outside-cidr",
        ),
        pytest.param(
            setting("resources:subnets:int-subnet:gateway_ip", "10.0.1.255"),
            f"{P}:resources:subnets:int-subnet:gateway_ip: 10.0.1.255 is the network or "
            "broadcast address",
            id="gateway-broadcast",
        ),
        pytest.param(
            setting(
                "resources:subnets:int-subnet", {"network": "int-net", "cidr": "10.90.2.128/25"}
            ),
            f"{P}:resources:subnets:int-subnet:cidr: 10.90.2.128/25 overlaps 10.90.2.0/24 of "
            f"{P}:resources:subnets:ext-subnet",
            id="overlapping-cidrs",
        ),
        pytest.param(
            setting("resources:subnets:int-subnet:cidr", "10.0.1.1/24"),
            f"{P}:resources:subnets:int-subnet:cidr: 10.0.1.1/24 has host bits set",
            id="cidr-host-bits",
        ),
        pytest.param(
            setting("resources:subnets:int-subnet:network", "nowhere"),
            f"{P}:resources:subnets:int-subnet:network: 'nowhere' is not a network of the model "
            "(ext-net, int-net)",
            id="subnet-unknown-network",
        ),
        pytest.param(
            setting("resources:subnets:ext-subnet:allocation_pools:0:end", "10.90.3.5"),
            f"{P}:resources:subnets:ext-subnet:allocation_pools:0: 10.90.2.10-10.90.3.5 is "
            "outside 10.90.2.0/24",
            id="pool-outside-cidr",
        ),
        pytest.param(
            setting("resources:subnets:ext-subnet:allocation_pools:0:start", "10.90.2.1"),
            f"{P}:resources:subnets:ext-subnet:allocation_pools:0: contains the gateway 10.90.2.1",
            id="pool-contains-gateway",
        ),
        pytest.param(
            setting("resources:subnets:ext-subnet:ip_version", 6),
            f"{P}:resources:subnets:ext-subnet:ip_version: 6 but the cidr is IPv4",
            id="ip-version-mismatch",
        ),
        # ---------------------------------------------------------------- routers
        pytest.param(
            setting("resources:routers:ext-router:external_network", "public"),
            f"{P}:resources:routers:ext-router:external_network: 'public' is not a network of "
            "the model",
            id="router-unknown-network",
        ),
        pytest.param(
            setting("resources:routers:ext-router:external_network", "int-net"),
            f"{P}:resources:routers:ext-router:external_network: 'int-net' is not external "
            "(external: true)",
            id="router-gateway-not-external",
        ),
        pytest.param(
            setting("resources:routers:ext-router:interfaces", ["int-subnet", "dmz"]),
            f"{P}:resources:routers:ext-router:interfaces:1: 'dmz' is not a subnet of the model",
            id="router-unknown-subnet",
        ),
        # ---------------------------------------------------------------- security groups
        pytest.param(
            setting("resources:security_groups:basic:rules:1:port", 70000),
            f"{P}:resources:security_groups:basic:rules:1:port: 70000 is not a port (0-65535)",
            id="rule-port-out-of-range",
        ),
        pytest.param(
            setting("resources:security_groups:basic:rules:0", {"protocol": "icmpx"}),
            f"{P}:resources:security_groups:basic:rules:0:protocol: 'icmpx' is not one of icmp, "
            "tcp, udp, ipv6-icmp, icmpv6, any or 0-255",
            id="rule-protocol",
        ),
        pytest.param(
            setting("resources:security_groups:basic:rules:0", {"port": 80}),
            f"{P}:resources:security_groups:basic:rules:0: ports need a protocol (tcp or udp)",
            id="rule-port-without-protocol",
        ),
        pytest.param(
            setting("resources:security_groups:basic:rules:0:remote_ip_prefix", "10.0.0.0/33"),
            f"{P}:resources:security_groups:basic:rules:0:remote_ip_prefix: "
            "'10.0.0.0/33' does not appear to be an IPv4 or IPv6 network",
            id="rule-bad-prefix",
        ),
        # ---------------------------------------------------------------- database
        pytest.param(
            setting("database:users:nova:password", DELETE),
            f"{P}:database:users:nova:password: missing (give password, or password_pillar "
            "naming the pillar key of it)",
            id="db-user-without-password",
        ),
        pytest.param(
            setting("database:users:nova:databases", ["nova", "nova-api"]),
            f"{P}:database:users:nova:databases:1: 'nova-api' must be letters, digits, _ "
            "(at most 64)",
            id="db-name",
        ),
        pytest.param(
            setting("database:users:nova:databases", ["nova", "nova"]),
            f"{P}:database:users:nova:databases: nova listed 2 times",
            id="db-listed-twice",
        ),
        pytest.param(
            setting("database:port", 0),
            f"{P}:database:port: 0 is not a port number",
            id="db-port",
        ),
        pytest.param(
            setting("database:host", ""),
            f"{P}:database:host: missing (the Galera writer's address)",
            id="db-host",
        ),
        # ---------------------------------------------------------------- messaging
        pytest.param(
            setting("messaging:api_url", "10.0.0.10:15672"),
            f"{P}:messaging:api_url: '10.0.0.10:15672' is not an http(s) URL",
            id="mq-url",
        ),
        pytest.param(
            setting("messaging:users:neutron:permissions:configure", "(neutron"),
            f"{P}:messaging:users:neutron:permissions:configure: invalid regex '(neutron': "
            "missing ), unterminated subpattern at position 0",
            id="mq-permission-regex",
        ),
        pytest.param(
            setting("messaging:admin:password", DELETE),
            f"{P}:messaging:admin:password: missing (give password, or password_pillar naming "
            "the pillar key of it)",
            id="mq-admin-password",
        ),
        # ---------------------------------------------------------------- identity
        pytest.param(
            setting("identity:users:nova:project", "services"),
            f"{P}:identity:users:nova:project: 'services' is neither in {P}:identity:projects "
            "nor the admin's project",
            id="user-unknown-project",
        ),
        pytest.param(
            setting("identity:services:nova:endpoints:private", "http://x"),
            f"{P}:identity:services:nova:endpoints:private: not one of public, internal, admin",
            id="endpoint-interface",
        ),
        pytest.param(
            setting("identity:services:nova:endpoints:public", "nova:8774"),
            f"{P}:identity:services:nova:endpoints:public: 'nova:8774' is not an http(s) URL",
            id="endpoint-url",
        ),
        pytest.param(
            setting("identity:services:placement", {"type": "compute"}),
            f"{P}:identity:services: 2 services of type compute",
            id="two-services-one-type",
        ),
        pytest.param(
            setting("identity:services:nova:type", DELETE),
            f"{P}:identity:services:nova:type: missing (the catalog type: compute, image, ...)",
            id="service-without-type",
        ),
    ],
)
def test_one_problem(mutate, expected):
    data = pillar()
    mutate(data)
    assert find_problems(data, defaults=DEFAULTS) == [expected]


def test_every_problem_at_once():
    data = pillar()
    setting("resources:flavors:m1.bad", {"ram": 0, "vcpus": 1, "disk": 1})(data)
    setting("resources:subnets:int-subnet:gateway_ip", "10.0.2.1")(data)
    setting("database:users:nova:password", DELETE)(data)
    problems = find_problems(data, defaults=DEFAULTS)
    assert len(problems) == 3, problems


def test_no_problem_prints_a_secret():
    data = pillar()
    setting("database:users:nova:databases", ["bad-name"])(data)
    setting("identity:users:nova:project", "nowhere")(data)
    text = "\n".join(find_problems(data, defaults=DEFAULTS))
    assert "nova-db-test-password" not in text and "nova-keystone-test-password" not in text


@pytest.mark.parametrize(
    ("resources", "names"),
    [
        pytest.param(
            {"default_flavors": True, "builtin_flavors": DEFAULTS["resources"]["builtin_flavors"]},
            ["m1.large", "m1.medium", "m1.small", "m1.test", "m1.tiny", "m1.xlarge"],
            id="defaults",
        ),
        pytest.param(
            {"default_flavors": False, "builtin_flavors": {"m1.tiny": {}}, "flavors": {"x": {}}},
            ["x"],
            id="defaults-off",
        ),
    ],
)
def test_effective_flavors(resources, names):
    assert sorted(effective_flavors(resources)) == names


def test_a_flavor_of_the_model_merges_over_its_default():
    res = {**DEFAULTS["resources"], "flavors": {"m1.tiny": {"recreate": True}}}
    assert effective_flavors(res)["m1.tiny"] == {
        "id": "1",
        "ram": 512,
        "disk": 1,
        "vcpus": 1,
        "recreate": True,
    }
