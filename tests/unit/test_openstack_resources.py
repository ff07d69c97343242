"""Table tests for the day-1 resources: what differs between the model and nova, glance and
neutron, and what may change in place (action and, for a blocked change, the reason)."""

from __future__ import annotations

import pytest

from stacksalt.openstack.resources import (
    describe_rule,
    flavor_decision,
    flavor_from_api,
    image_decision,
    missing_rules,
    network_decision,
    router_decision,
    rule_body,
    rule_key,
    subnet_decision,
)

TINY = {"id": "1", "ram": 512, "vcpus": 1, "disk": 1}


def nova_flavor(**over):
    base = {
        "id": "1",
        "name": "m1.tiny",
        "ram": 512,
        "vcpus": 1,
        "disk": 1,
        "OS-FLV-EXT-DATA:ephemeral": 0,
        "swap": "",
        "os-flavor-access:is_public": True,
    }
    return base | over


def test_flavor_from_api_reads_novas_empty_swap_as_zero():
    assert flavor_from_api(nova_flavor()) == {
        "id": "1",
        "ram": 512,
        "vcpus": 1,
        "disk": 1,
        "ephemeral": 0,
        "swap": 0,
        "is_public": True,
    }


@pytest.mark.parametrize(
    ("spec", "actual", "specs", "action", "changed", "reason"),
    [
        pytest.param(
            TINY,
            None,
            None,
            "create",
            {"flavor", "id", "ram", "vcpus", "disk", "ephemeral", "swap", "is_public"},
            None,
            id="new",
        ),
        pytest.param(TINY, nova_flavor(), {}, "none", set(), None, id="as-wanted"),
        pytest.param(
            {**TINY, "id": None}, nova_flavor(id="abc"), {}, "none", set(), None, id="auto-id"
        ),
        pytest.param(
            {**TINY, "ram": 1024},
            nova_flavor(),
            {},
            "blocked",
            {"ram"},
            "flavor m1.tiny differs from the model (ram 512 -> 1024); nova cannot change a "
            "flavor in place: set recreate: true",
            id="ram-changed-blocked",
        ),
        pytest.param(
            {**TINY, "ram": 1024, "recreate": True},
            nova_flavor(),
            {},
            "recreate",
            {"ram"},
            None,
            id="ram-changed-recreate",
        ),
        pytest.param(
            {**TINY, "is_public": False},
            nova_flavor(),
            {},
            "blocked",
            {"is_public"},
            "(is_public True -> False)",
            id="visibility-blocked",
        ),
        pytest.param(
            {**TINY, "id": "7"},
            nova_flavor(),
            {},
            "blocked",
            {"id"},
            "(id 1 -> 7)",
            id="other-id-blocked",
        ),
        pytest.param(
            {**TINY, "extra_specs": {"hw:cpu_policy": "dedicated"}},
            nova_flavor(),
            {"quota:cpu_shares": "1024"},
            "update",
            {"extra_specs"},
            None,
            id="extra-spec-in-place",
        ),
        pytest.param(
            {**TINY, "extra_specs": {"hw:numa_nodes": 1}},
            nova_flavor(),
            {"hw:numa_nodes": "1"},
            "none",
            set(),
            None,
            id="extra-spec-number-as-string",
        ),
    ],
)
def test_flavor_decision(spec, actual, specs, action, changed, reason):
    decision = flavor_decision("m1.tiny", spec, actual, specs)
    assert decision.action == action
    assert set(decision.changes) == changed
    if reason:
        assert reason in decision.problem
    else:
        assert decision.problem is None


SUMS = {"md5": "m" * 32, "sha512": "s" * 128}


def glance_image(**over):
    base = {
        "id": "i1",
        "name": "cirros",
        "status": "active",
        "checksum": SUMS["md5"],
        "os_hash_algo": "sha512",
        "os_hash_value": SUMS["sha512"],
        "visibility": "public",
    }
    return base | over


@pytest.mark.parametrize(
    ("spec", "found", "action", "changed", "blocked"),
    [
        pytest.param({}, [], "create", {"image", "checksum", "visibility"}, False, id="new"),
        pytest.param({}, [glance_image()], "none", set(), False, id="same-data"),
        pytest.param(
            {},
            [glance_image(os_hash_algo=None, os_hash_value=None)],
            "none",
            set(),
            False,
            id="same-md5-no-multihash",
        ),
        pytest.param(
            {"visibility": "private", "properties": {"os_distro": "cirros"}},
            [glance_image()],
            "update",
            {"visibility", "os_distro"},
            False,
            id="visibility-and-property-in-place",
        ),
        pytest.param(
            {},
            [glance_image(status="queued", checksum=None, os_hash_value=None)],
            "upload",
            {"data"},
            False,
            id="queued-gets-the-data",
        ),
        pytest.param(
            {},
            [glance_image(checksum="x" * 32, os_hash_value="y" * 128)],
            "blocked",
            {"checksum"},
            True,
            id="other-data-blocked",
        ),
        pytest.param(
            {"recreate": True},
            [glance_image(checksum="x" * 32, os_hash_value="y" * 128)],
            "recreate",
            {"checksum"},
            False,
            id="other-data-recreate",
        ),
        pytest.param(
            {},
            [glance_image(checksum="x" * 32, os_hash_value="y" * 128), glance_image(id="i2")],
            "none",
            set(),
            False,
            id="one-of-two-has-the-data",
        ),
    ],
)
def test_image_decision(spec, found, action, changed, blocked):
    decision = image_decision("cirros", spec, found, SUMS)
    assert decision.action == action
    assert set(decision.changes) == changed
    assert (decision.problem is not None) is blocked


FLAT = {"network_type": "flat", "physical_network": "physnet1", "external": True}


def neutron_net(**over):
    base = {
        "id": "n1",
        "name": "ext-net",
        "provider:network_type": "flat",
        "provider:physical_network": "physnet1",
        "provider:segmentation_id": None,
        "router:external": True,
        "shared": False,
        "mtu": 1500,
    }
    return base | over


@pytest.mark.parametrize(
    ("spec", "actual", "action", "changed"),
    [
        pytest.param(FLAT, None, "create", None, id="new"),
        pytest.param(FLAT, neutron_net(), "none", set(), id="as-wanted"),
        pytest.param(
            {**FLAT, "shared": True}, neutron_net(), "update", {"shared"}, id="shared-in-place"
        ),
        pytest.param(
            {**FLAT, "external": False},
            neutron_net(),
            "update",
            {"router:external"},
            id="external-in-place",
        ),
        pytest.param(
            {**FLAT, "physical_network": "physnet2"},
            neutron_net(),
            "blocked",
            {"provider:physical_network"},
            id="physnet-blocked",
        ),
        pytest.param(
            {"network_type": "vlan", "physical_network": "physnet2", "segmentation_id": 1001},
            neutron_net(
                **{
                    "provider:network_type": "vlan",
                    "provider:physical_network": "physnet2",
                    "provider:segmentation_id": 1002,
                    "router:external": False,
                }
            ),
            "blocked",
            {"provider:segmentation_id"},
            id="vlan-id-blocked",
        ),
    ],
)
def test_network_decision(spec, actual, action, changed):
    decision = network_decision("ext-net", spec, actual)
    assert decision.action == action
    if changed is not None:
        assert set(decision.changes) == changed
    if action == "blocked":
        assert "delete it by hand" in decision.problem


SUBNET = {"network": "int-net", "cidr": "10.0.1.0/24", "gateway_ip": "10.0.1.1"}


def neutron_subnet(**over):
    base = {
        "id": "s1",
        "name": "int-subnet",
        "network_id": "n1",
        "cidr": "10.0.1.0/24",
        "ip_version": 4,
        "gateway_ip": "10.0.1.1",
        "enable_dhcp": True,
        "dns_nameservers": [],
        "allocation_pools": [{"start": "10.0.1.2", "end": "10.0.1.254"}],
    }
    return base | over


@pytest.mark.parametrize(
    ("spec", "actual", "action", "changed"),
    [
        pytest.param(SUBNET, None, "create", None, id="new"),
        pytest.param(SUBNET, neutron_subnet(), "none", set(), id="as-wanted"),
        pytest.param(
            {**SUBNET, "dns_nameservers": ["8.8.8.8"]},
            neutron_subnet(),
            "update",
            {"dns_nameservers"},
            id="dns-in-place",
        ),
        pytest.param(
            {**SUBNET, "allocation_pools": [{"start": "10.0.1.10", "end": "10.0.1.20"}]},
            neutron_subnet(),
            "update",
            {"allocation_pools"},
            id="pool-in-place",
        ),
        pytest.param(
            {**SUBNET, "enable_dhcp": False},
            neutron_subnet(),
            "update",
            {"enable_dhcp"},
            id="dhcp-in-place",
        ),
        pytest.param(
            {**SUBNET, "cidr": "10.0.2.0/24", "gateway_ip": "10.0.2.1"},
            neutron_subnet(),
            "blocked",
            {"cidr", "gateway_ip"},
            id="cidr-blocked",
        ),
        pytest.param(
            SUBNET, neutron_subnet(network_id="n2"), "blocked", {"network_id"}, id="other-network"
        ),
    ],
)
def test_subnet_decision(spec, actual, action, changed):
    decision = subnet_decision("int-subnet", spec, "n1", actual)
    assert decision.action == action
    if changed is not None:
        assert set(decision.changes) == changed


@pytest.mark.parametrize(
    ("ext", "ext_id", "subnets", "actual", "attached", "action", "changes"),
    [
        pytest.param(
            "ext-net",
            "n1",
            {"int-subnet": "s1"},
            None,
            set(),
            "create",
            {
                "router": {"old": None, "new": "r"},
                "external_gateway": {"old": None, "new": "ext-net"},
                "interfaces": {"old": None, "new": ["int-subnet"]},
            },
            id="new",
        ),
        pytest.param(
            "ext-net",
            "n1",
            {"int-subnet": "s1"},
            {"external_gateway_info": {"network_id": "n1"}},
            {"s1"},
            "none",
            {},
            id="as-wanted",
        ),
        pytest.param(
            "ext-net",
            "n1",
            {"int-subnet": "s1"},
            {"external_gateway_info": None},
            {"s1", "s9"},
            "update",
            {"external_gateway": {"old": None, "new": "ext-net"}},
            id="gateway-missing-extra-interface-kept",
        ),
        pytest.param(
            None,
            None,
            {"int-subnet": None},
            {"external_gateway_info": None},
            set(),
            "update",
            {"interfaces": {"old": None, "new": ["int-subnet"]}},
            id="subnet-not-created-yet",
        ),
    ],
)
def test_router_decision(ext, ext_id, subnets, actual, attached, action, changes):
    decision = router_decision("r", ext, ext_id, subnets, actual, attached)
    assert (decision.action, decision.changes) == (action, changes)


@pytest.mark.parametrize(
    ("model", "neutron", "same"),
    [
        pytest.param(
            {"protocol": "icmp"},
            {
                "direction": "ingress",
                "ethertype": "IPv4",
                "protocol": "icmp",
                "port_range_min": None,
                "port_range_max": None,
                "remote_ip_prefix": "0.0.0.0/0",
                "remote_group_id": None,
            },
            True,
            id="icmp-defaults",
        ),
        pytest.param(
            {"protocol": "tcp", "port": 22},
            {
                "direction": "ingress",
                "ethertype": "IPv4",
                "protocol": "6",
                "port_range_min": 22,
                "port_range_max": 22,
                "remote_ip_prefix": None,
            },
            True,
            id="tcp-by-number-any-prefix",
        ),
        pytest.param(
            {"protocol": "tcp", "port": 22},
            {
                "direction": "ingress",
                "ethertype": "IPv4",
                "protocol": "tcp",
                "port_range_min": 2222,
                "port_range_max": 2222,
            },
            False,
            id="other-port",
        ),
        pytest.param(
            {"protocol": "tcp", "port": 22, "remote_ip_prefix": "10.0.0.0/8"},
            {
                "direction": "ingress",
                "ethertype": "IPv4",
                "protocol": "tcp",
                "port_range_min": 22,
                "port_range_max": 22,
            },
            False,
            id="narrower-prefix",
        ),
        pytest.param(
            {"protocol": "icmp", "direction": "egress"},
            {"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp"},
            False,
            id="direction",
        ),
        pytest.param(
            {"protocol": "ipv6-icmp", "remote_ip_prefix": "::/0"},
            {"direction": "ingress", "ethertype": "IPv6", "protocol": "58"},
            True,
            id="ipv6-from-prefix",
        ),
    ],
)
def test_rule_key(model, neutron, same):
    assert (rule_key(model) == rule_key(neutron)) is same


def test_missing_rules_leaves_extras_and_deduplicates():
    have = [
        {"direction": "egress", "ethertype": "IPv4", "protocol": None},
        {"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp"},
    ]
    wanted = [
        {"protocol": "icmp"},
        {"protocol": "tcp", "port": 22},
        {"protocol": "tcp", "port": 22},
    ]
    assert missing_rules(wanted, have) == [{"protocol": "tcp", "port": 22}]


@pytest.mark.parametrize(
    ("rule", "body", "text"),
    [
        pytest.param(
            {"protocol": "tcp", "port": 22},
            {
                "security_group_id": "g",
                "direction": "ingress",
                "ethertype": "IPv4",
                "protocol": "tcp",
                "port_range_min": 22,
                "port_range_max": 22,
            },
            "ingress tcp 22 from 0.0.0.0/0",
            id="ssh",
        ),
        pytest.param(
            {"protocol": "icmp"},
            {
                "security_group_id": "g",
                "direction": "ingress",
                "ethertype": "IPv4",
                "protocol": "icmp",
            },
            "ingress icmp from 0.0.0.0/0",
            id="icmp",
        ),
        pytest.param(
            {
                "protocol": "udp",
                "port_range_min": 1000,
                "port_range_max": 2000,
                "direction": "egress",
                "remote_ip_prefix": "10.0.0.0/8",
            },
            {
                "security_group_id": "g",
                "direction": "egress",
                "ethertype": "IPv4",
                "protocol": "udp",
                "port_range_min": 1000,
                "port_range_max": 2000,
                "remote_ip_prefix": "10.0.0.0/8",
            },
            "egress udp 1000-2000 to 10.0.0.0/8",
            id="range",
        ),
    ],
)
def test_rule_body_and_description(rule, body, text):
    assert rule_body(rule, "g") == body
    assert describe_rule(rule) == text
