"""Bad input is a clear error before anything changes: the rabbitmq_cluster states through
Salt's real loader, in both test modes, with no RabbitMQ needed (nothing is ever called)."""

from __future__ import annotations

import copy

import pytest

from .saltcall import load_salt

GOOD = {
    "rpc": {
        "members": ["rabbit-rpc@ctl01", "rabbit-rpc@ctl02", "rabbit-rpc@ctl03"],
        "port": 5672,
        "dist_port": 25672,
        "cookie": "RPCCOOKIEABCDEFGHIJ",
        "data_dir": "/var/lib/rabbitmq/rpc",
    },
    "notifications": {
        "members": ["rabbit-notif@ctl01", "rabbit-notif@ctl02", "rabbit-notif@ctl03"],
        "port": 5673,
        "dist_port": 25673,
        "cookie": "NOTIFCOOKIEABCDEFGH",
        "data_dir": "/var/lib/rabbitmq/notifications",
        "policies": [{"name": "ha", "pattern": r"^notifications\.", "definition": {}}],
    },
}


def _bad(mutate):
    data = copy.deepcopy(GOOD)
    mutate(data)
    return data


BAD = {
    "duplicate node name": (
        _bad(lambda d: d["rpc"]["members"].__setitem__(2, "rabbit-rpc@ctl02")),
        "duplicate node name rabbit-rpc@ctl02",
    ),
    "missing cookie": (_bad(lambda d: d["rpc"].pop("cookie")), "rpc.cookie: missing cookie"),
    "invalid policy regex": (
        _bad(lambda d: d["notifications"]["policies"][0].update(pattern="^(notif")),
        "invalid regular expression '^(notif'",
    ),
    "instance port clash": (
        _bad(lambda d: d["notifications"].update(port=5672)),
        "port 5672 on host ctl01 is used by rabbit-notif@ctl01 (port) and by rabbit-rpc@ctl01",
    ),
    "no member on this host": (
        _bad(lambda d: d["rpc"].update(members=["rabbit-rpc@ctl02", "rabbit-rpc@ctl03"])),
        "rpc.members: no single member runs on this host (ctl01)",
    ),
}


@pytest.fixture(params=(False, True), ids=("apply", "test-mode"))
def states(request, tmp_path):
    pillar = {
        "rabbitmq": {
            "server": {
                "hostname": "ctl01",
                "instances": BAD["missing cookie"][0],
                "services": {"nova": {"password": "x"}, "glance": {"password": ""}},
            }
        }
    }
    return load_salt(tmp_path, request.param, pillar)[1]


def test_valid_pillar_passes(states):
    ret = states["rabbitmq_cluster.config_valid"]("v", instances=GOOD, hostname="ctl01")
    assert ret["result"] is True and ret["changes"] == {}, ret


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_pillar_is_a_clear_error(states, case):
    instances, message = BAD[case]
    ret = states["rabbitmq_cluster.config_valid"]("v", instances=instances, hostname="ctl01")
    assert ret["result"] is False and ret["changes"] == {}
    assert message in ret["comment"], ret["comment"]
    assert "nothing changed" in ret["comment"]


def test_pillar_is_read_without_passing_secrets(states):
    ret = states["rabbitmq_cluster.config_valid"]("v", pillar_key="rabbitmq:server")
    assert ret["result"] is False
    assert "rpc.cookie: missing cookie" in ret["comment"]


def test_disabled_instance_is_not_checked(states):
    instances = {**GOOD, "main": {"enabled": False, "port": 5672}}
    ret = states["rabbitmq_cluster.config_valid"]("v", instances=instances, hostname="ctl01")
    assert ret["result"] is True, ret


def test_service_without_password(states):
    ret = states["rabbitmq_cluster.config_valid"](
        "v", instances=GOOD, hostname="ctl01", services={"nova": {"enabled": True}}
    )
    assert ret["result"] is False and "services.nova.password: missing" in ret["comment"]


def test_policy_and_user_states_refuse_bad_input(states):
    ret = states["rabbitmq_cluster.policy_present"]("p", pattern="[", definition={})
    assert ret["result"] is False and "invalid regular expression" in ret["comment"]
    ret = states["rabbitmq_cluster.policies_present"](
        "d", services={"nova": {"enabled": True}}, policy_options={"bogus": 1}
    )
    assert ret["result"] is False and "unknown policy options: bogus" in ret["comment"]
    ret = states["rabbitmq_cluster.user_present"](
        "glance", password_pillar="rabbitmq:server:services:glance:password"
    )
    assert ret["result"] is False
    assert "the pillar rabbitmq:server:services:glance:password is empty" in ret["comment"]
    ret = states["rabbitmq_cluster.user_present"](
        "nova", password_pillar="rabbitmq:server:services:nova:password", perms={"/": ["(", "", ""]}
    )
    assert ret["result"] is False and "invalid regular expression" in ret["comment"]
