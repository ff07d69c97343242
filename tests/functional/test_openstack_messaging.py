"""openstack_messaging states (RabbitMQ's management HTTP API) through Salt's real loader
against a real RabbitMQ node with the management plugin (the formula's templates). Each case
runs in test mode first (predicts, touches nothing: checked with rabbitmqctl), then applied,
then again in both modes (no changes). No password appears in any return."""

from __future__ import annotations

import json

import pytest

from .saltcall import load_salt
from .test_openstack_servers import RabbitManagement, rabbitmq_api  # noqa: F401 - fixture

NOVA = "nova-rmq-Functional-0c9e"
ROTATED = "nova-rmq-Rotated-71aa"
ADMIN_KEY = "openstack:messaging:admin:password"
NOVA_KEY = "openstack:messaging:users:nova:password"


def pillar(server, nova=NOVA, admin=None) -> dict:
    return {
        "openstack": {
            "messaging": {
                "admin": {"password": admin or server.admin_password},
                "users": {"nova": {"password": nova}},
            }
        }
    }


def loaders(tmp_path, data):
    return (
        load_salt(tmp_path / "test", True, pillar=data)[1],
        load_salt(tmp_path / "apply", False, pillar=data)[1],
    )


def conn(server) -> dict:
    return {
        "api_url": server.api_url,
        "admin_user": RabbitManagement.ADMIN,
        "admin_pillar": ADMIN_KEY,
    }


def vhosts(server) -> set[str]:
    return {row["name"] for row in json.loads(server.ctl_ok("list_vhosts", "--formatter", "json"))}


def permissions(server, user) -> dict:
    out = server.ctl_ok("list_user_permissions", user, "--formatter", "json")
    return {r["vhost"]: [r["configure"], r["write"], r["read"]] for r in json.loads(out)}


def no_secret(ret, *secrets):
    for secret in secrets:
        assert secret not in repr(ret), f"a secret leaked into {ret}"


def converge(test_mode, apply, state, *args, **kwargs):
    """Test mode predicts; apply acts; both modes then report nothing to do."""
    predicted = test_mode[state](*args, **kwargs)
    assert predicted["result"] is None and predicted["changes"], predicted
    done = apply[state](*args, **kwargs)
    assert done["result"] is True, done
    assert done["changes"] == predicted["changes"]
    for states in (apply, test_mode):
        again = states[state](*args, **kwargs)
        assert again["result"] is True and again["changes"] == {}, again
    return predicted, done


def test_vhost_user_and_permissions(rabbitmq_api, tmp_path):  # noqa: F811
    server = rabbitmq_api
    test_mode, apply = loaders(tmp_path, pillar(server))

    ret = test_mode["openstack_messaging.vhost_present"]("/openstack", **conn(server))
    assert "/openstack" not in vhosts(server)
    converge(test_mode, apply, "openstack_messaging.vhost_present", "/openstack", **conn(server))
    assert "/openstack" in vhosts(server)

    predicted = test_mode["openstack_messaging.user_present"](
        "nova", password_pillar=NOVA_KEY, **conn(server)
    )
    assert predicted["changes"]["password"] == "set"
    assert not server.authenticates("nova", NOVA)
    predicted, done = converge(
        test_mode,
        apply,
        "openstack_messaging.user_present",
        "nova",
        password_pillar=NOVA_KEY,
        **conn(server),
    )
    assert server.authenticates("nova", NOVA)
    no_secret([ret, predicted, done], NOVA, server.admin_password)

    converge(
        test_mode,
        apply,
        "openstack_messaging.permissions_present",
        "nova",
        vhost="/openstack",
        **conn(server),
    )
    assert permissions(server, "nova") == {"/openstack": [".*", ".*", ".*"]}
    # A narrower pattern is an update of the same permissions.
    predicted, _ = converge(
        test_mode,
        apply,
        "openstack_messaging.permissions_present",
        "nova",
        vhost="/openstack",
        configure="^nova",
        **conn(server),
    )
    assert predicted["changes"] == {"configure": {"old": ".*", "new": "^nova"}}
    assert permissions(server, "nova") == {"/openstack": ["^nova", ".*", ".*"]}


def test_a_changed_password_and_tags(rabbitmq_api, tmp_path):  # noqa: F811
    server = rabbitmq_api
    _, apply = loaders(tmp_path / "before", pillar(server))
    assert apply["openstack_messaging.user_present"](
        "nova", password_pillar=NOVA_KEY, **conn(server)
    )["result"]
    test_mode, apply = loaders(tmp_path / "after", pillar(server, nova=ROTATED))
    predicted = test_mode["openstack_messaging.user_present"](
        "nova", password_pillar=NOVA_KEY, **conn(server)
    )
    assert predicted["result"] is None
    assert predicted["changes"] == {"password": "changed"}
    assert server.authenticates("nova", NOVA)  # untouched
    converge(
        test_mode,
        apply,
        "openstack_messaging.user_present",
        "nova",
        password_pillar=NOVA_KEY,
        **conn(server),
    )
    assert server.authenticates("nova", ROTATED) and not server.authenticates("nova", NOVA)

    # Tags only: the stored hash is kept (the password still works).
    predicted, _ = converge(
        test_mode,
        apply,
        "openstack_messaging.user_present",
        "nova",
        password_pillar=NOVA_KEY,
        tags=["monitoring"],
        **conn(server),
    )
    assert predicted["changes"] == {"tags": {"old": [], "new": ["monitoring"]}}
    assert server.authenticates("nova", ROTATED)
    no_secret(predicted, NOVA, ROTATED)


@pytest.mark.parametrize("test", [True, False], ids=["test-mode", "apply"])
def test_a_wrong_admin_password_is_a_clear_failure(rabbitmq_api, tmp_path, test):  # noqa: F811
    server = rabbitmq_api
    states = load_salt(tmp_path, test, pillar=pillar(server, admin="wrong-Admin-pw-5"))[1]
    ret = states["openstack_messaging.vhost_present"]("/glance", **conn(server))
    assert ret["result"] is False
    assert f"{server.api_url}/api/vhosts/%2Fglance: HTTP 401" in ret["comment"], ret
    assert "administrator tag" in ret["comment"]
    no_secret(ret, "wrong-Admin-pw-5", server.admin_password)
    assert "/glance" not in vhosts(server)


@pytest.mark.parametrize("test", [True, False], ids=["test-mode", "apply"])
def test_nothing_listening_is_a_clear_failure(rabbitmq_api, tmp_path, test):  # noqa: F811
    states = load_salt(tmp_path, test, pillar=pillar(rabbitmq_api))[1]
    args = {**conn(rabbitmq_api), "api_url": "http://127.0.0.1:1"}
    ret = states["openstack_messaging.vhost_present"]("/glance", **args)
    assert ret["result"] is False
    assert (
        "rabbitmq management: GET http://127.0.0.1:1/api/vhosts/%2Fglance: no answer"
        in (ret["comment"])
    ), ret
