"""Checks of the kubernetes pillar that a schema cannot express (table)."""

from __future__ import annotations

import copy

import pytest

from stacksalt.k8shost.validate import find_problems

MEMBERS = [
    {"name": "ctl01", "host": "10.0.0.11"},
    {"name": "ctl02", "host": "10.0.0.12"},
    {"name": "ctl03", "host": "10.0.0.13"},
]
GOOD = {
    "common": {
        "enabled": True,
        "hostname": "ctl01",
        "address": "10.0.0.11",
        "apiserver": {"host": "10.0.0.100", "port": 443},
        "calico": {"etcd_endpoints": ["https://10.0.0.11:12379", "https://10.0.0.12:12379"]},
    },
    "master": {
        "enabled": True,
        "members": MEMBERS,
        "etcd": {"servers": [f"http://{m['host']}:2379" for m in MEMBERS]},
        "vip": {"address": "10.0.0.100", "network": "10.0.0.0/24"},
        "calico_etcd": {"members": MEMBERS},
    },
    "pool": {"enabled": True},
}


def _bad(mutate):
    data = copy.deepcopy(GOOD)
    mutate(data)
    return data


CASES = {
    "VIP outside the network": (
        _bad(lambda d: d["master"]["vip"].update(address="10.0.1.100")),
        "kubernetes:master:vip:address: 10.0.1.100 is outside kubernetes:master:vip:network",
    ),
    "VIP is a master's address": (
        _bad(lambda d: d["master"]["vip"].update(address="10.0.0.12")),
        "10.0.0.12 is the address of master ctl02",
    ),
    "VIP is the broadcast address": (
        _bad(lambda d: d["master"]["vip"].update(address="10.0.0.255")),
        "10.0.0.255 is not a host address",
    ),
    "apiserver host is not the VIP": (
        _bad(lambda d: d["common"]["apiserver"].update(host="10.0.0.11")),
        "kubernetes:common:apiserver:host: 10.0.0.11 is not the VIP",
    ),
    "even etcd servers": (
        _bad(lambda d: d["master"]["etcd"]["servers"].pop()),
        "kubernetes:master:etcd:servers: 2 etcd members",
    ),
    "duplicate etcd servers": (
        _bad(lambda d: d["master"]["etcd"]["servers"].__setitem__(2, "http://10.0.0.11:2379")),
        "kubernetes:master:etcd:servers: duplicate http://10.0.0.11:2379",
    ),
    "this master is no member": (
        _bad(lambda d: d["common"].update(address="10.0.0.14")),
        "kubernetes:common:address: 10.0.0.14 is not one of kubernetes:master:members",
    ),
    "duplicate master host": (
        _bad(
            lambda d: d["master"].update(members=[*MEMBERS[:2], dict(MEMBERS[2], host="10.0.0.12")])
        ),
        "kubernetes:master:members: duplicate host 10.0.0.12",
    ),
    "calico etcd without this node": (
        _bad(lambda d: d["master"]["calico_etcd"].update(members=MEMBERS[1:2])),
        "kubernetes:common:hostname: 'ctl01' is not one of kubernetes:master:calico_etcd",
    ),
    "calico etcd on the kubernetes etcd port": (
        _bad(lambda d: d["master"]["calico_etcd"].update(client_port=2379)),
        "kubernetes:master:calico_etcd:client_port: port 2379 is also etcd:server:client_port",
    ),
    "duplicate calico endpoint": (
        _bad(lambda d: d["common"]["calico"]["etcd_endpoints"].append("https://10.0.0.11:12379")),
        "kubernetes:common:calico:etcd_endpoints: duplicate https://10.0.0.11:12379",
    ),
    "binaries present without source": (
        _bad(lambda d: d["common"].update(binaries={"present": True, "hashes": {}})),
        "kubernetes:common:binaries:source: required",
    ),
    "binaries present without hashes": (
        _bad(
            lambda d: d["common"].update(
                binaries={"present": True, "source": "/srv/k8s", "hashes": {"kubelet": "0" * 64}}
            )
        ),
        "kubernetes:common:binaries:hashes: no sha256 for kube-apiserver, "
        "kube-controller-manager, kube-scheduler, kubectl, kube-proxy",
    ),
}


def test_good_pillar_has_no_problem():
    assert find_problems(GOOD, {"enabled": True}) == []


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_pillar_names_the_key(case):
    pillar, message = CASES[case]
    problems = find_problems(pillar, {"enabled": True})
    assert problems, case
    text = "\n".join(msg for _level, msg in problems)
    assert message in text
    assert all(level == "error" for level, _ in problems)


def test_a_pool_node_is_checked_without_master_keys():
    pool = {"common": GOOD["common"], "pool": {"enabled": True}}
    assert find_problems(pool) == []
