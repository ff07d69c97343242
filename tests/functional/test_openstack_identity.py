"""openstack_identity states (keystone's v3 REST API) through Salt's real loader against a
real keystone: Debian's python3-keystone started by the fixture, or the keystone named by
STACKSALT_KEYSTONE_URL / STACKSALT_KEYSTONE_ADMIN_PASSWORD. Each case runs in test mode
first (predicts, touches nothing: checked through the API), then applied, then again in both
modes (no changes). No password appears in any return."""

from __future__ import annotations

import uuid

import pytest
import requests

from stacksalt.openstack.keystone import KeystoneClient, password_auth

from .saltcall import load_salt
from .test_openstack_servers import keystone  # noqa: F401 - the fixture

RUN = uuid.uuid4().hex[:6]
PROJECT = f"ostest-service-{RUN}"
USER = f"ostest-nova-{RUN}"
ROLE = f"ostest-service-{RUN}"
SERVICE = f"ostest-nova-{RUN}"
STYPE = f"ostest-compute-{RUN}"
PASSWORD = "nova-ks-Functional-2f6d"
ROTATED = "nova-ks-Rotated-aa31"
ADMIN_KEY = "openstack:identity:admin:password"
USER_KEY = f"openstack:identity:users:{USER}:password"


def pillar(server, password=PASSWORD, admin=None) -> dict:
    return {
        "openstack": {
            "identity": {
                "admin": {"password": admin or server.admin_password},
                "users": {USER: {"password": password}},
            }
        }
    }


def loaders(tmp_path, data):
    return (
        load_salt(tmp_path / "test", True, pillar=data)[1],
        load_salt(tmp_path / "apply", False, pillar=data)[1],
    )


def conn(server) -> dict:
    return {"auth_url": server.url, "admin_user": "admin", "admin_pillar": ADMIN_KEY}


def admin(server) -> KeystoneClient:
    return KeystoneClient(server.url).login("admin", server.admin_password)


def can_login(server, user, password) -> bool:
    body = password_auth(password, user, "Default")
    resp = requests.post(f"{server.url}/auth/tokens", json=body, timeout=30)
    return resp.status_code == 201


def converge(test_mode, apply, state, *args, **kwargs):
    predicted = test_mode[state](*args, **kwargs)
    assert predicted["result"] is None and predicted["changes"], predicted
    done = apply[state](*args, **kwargs)
    assert done["result"] is True, done
    assert done["changes"] == predicted["changes"]
    for states in (apply, test_mode):
        again = states[state](*args, **kwargs)
        assert again["result"] is True and again["changes"] == {}, again
    return predicted, done


def no_secret(ret, *secrets):
    for secret in secrets:
        assert secret not in repr(ret), f"a secret leaked into {ret}"


def test_project_role_user_roles(keystone, tmp_path):  # noqa: F811
    test_mode, apply = loaders(tmp_path, pillar(keystone))
    kc = admin(keystone)

    predicted = test_mode["openstack_identity.project_present"](
        PROJECT, description="Service project", **conn(keystone)
    )
    assert predicted["changes"]["project"] == {"old": None, "new": PROJECT}
    assert not kc.list("projects", name=PROJECT)
    converge(
        test_mode,
        apply,
        "openstack_identity.project_present",
        PROJECT,
        description="Service project",
        **conn(keystone),
    )
    # A changed description is updated in place.
    predicted, _ = converge(
        test_mode,
        apply,
        "openstack_identity.project_present",
        PROJECT,
        description="Services",
        **conn(keystone),
    )
    assert predicted["changes"] == {"description": {"old": "Service project", "new": "Services"}}

    converge(test_mode, apply, "openstack_identity.role_present", ROLE, **conn(keystone))
    assert kc.list("roles", name=ROLE)

    # The user, in the project: test mode touches nothing, apply creates it.
    predicted = test_mode["openstack_identity.user_present"](
        USER, password_pillar=USER_KEY, project=PROJECT, **conn(keystone)
    )
    assert predicted["changes"]["password"] == "set"
    assert not can_login(keystone, USER, PASSWORD)
    predicted, done = converge(
        test_mode,
        apply,
        "openstack_identity.user_present",
        USER,
        password_pillar=USER_KEY,
        project=PROJECT,
        **conn(keystone),
    )
    assert can_login(keystone, USER, PASSWORD)
    no_secret([predicted, done], PASSWORD, keystone.admin_password)

    predicted, _ = converge(
        test_mode,
        apply,
        "openstack_identity.role_assignment_present",
        USER,
        project=PROJECT,
        roles=["admin", ROLE],
        **conn(keystone),
    )
    assert predicted["changes"] == {"roles": {"old": [], "new": sorted(["admin", ROLE])}}

    # The password in the pillar changed: found by logging in as the user, never shown.
    test_mode, apply = loaders(tmp_path / "rotated", pillar(keystone, ROTATED))
    predicted, done = converge(
        test_mode,
        apply,
        "openstack_identity.user_present",
        USER,
        password_pillar=USER_KEY,
        project=PROJECT,
        **conn(keystone),
    )
    assert predicted["changes"] == {"password": "changed"}
    assert can_login(keystone, USER, ROTATED) and not can_login(keystone, USER, PASSWORD)
    no_secret([predicted, done], PASSWORD, ROTATED, keystone.admin_password)


def test_service_and_endpoints(keystone, tmp_path):  # noqa: F811
    test_mode, apply = loaders(tmp_path, pillar(keystone))
    urls = {
        "public": "http://192.0.2.10:8774/v2.1",
        "internal": "http://10.0.0.10:8774/v2.1",
        "admin": "http://10.0.0.10:8774/v2.1",
    }
    converge(
        test_mode,
        apply,
        "openstack_identity.service_present",
        SERVICE,
        service_type=STYPE,
        description="OpenStack Compute",
        **conn(keystone),
    )
    # Endpoints of a service that test mode has not created yet are predicted, not an error.
    predicted, _ = converge(
        test_mode,
        apply,
        "openstack_identity.endpoints_present",
        SERVICE,
        service_type=STYPE,
        urls=urls,
        **conn(keystone),
    )
    assert set(predicted["changes"]) == {"public", "internal", "admin"}
    kc = admin(keystone)  # a new token: its catalog has the new endpoints
    assert kc.endpoint(STYPE, "internal", "RegionOne") == urls["internal"]
    assert kc.endpoint(STYPE, "public") == urls["public"]

    # The internal URL changed in the model: updated in place, the others untouched.
    moved = dict(urls, internal="http://10.0.0.20:8774/v2.1")
    predicted, _ = converge(
        test_mode,
        apply,
        "openstack_identity.endpoints_present",
        SERVICE,
        service_type=STYPE,
        urls=moved,
        **conn(keystone),
    )
    assert predicted["changes"] == {"internal": {"old": urls["internal"], "new": moved["internal"]}}
    assert admin(keystone).endpoint(STYPE, "internal") == moved["internal"]

    # Another region (created on the way).
    region = f"ostest-{RUN}"
    converge(
        test_mode,
        apply,
        "openstack_identity.endpoints_present",
        SERVICE,
        service_type=STYPE,
        urls={"public": urls["public"]},
        region=region,
        **conn(keystone),
    )
    assert admin(keystone).endpoint(STYPE, "public", region) == urls["public"]


def test_predicting_a_user_whose_project_is_not_there_yet(keystone, tmp_path):  # noqa: F811
    test_mode, _ = loaders(tmp_path, pillar(keystone))
    ret = test_mode["openstack_identity.user_present"](
        f"ostest-new-{RUN}", password_pillar=USER_KEY, project=f"ostest-new-{RUN}", **conn(keystone)
    )
    assert ret["result"] is None, ret
    assert ret["changes"]["default_project_id"]["new"] == f"ostest-new-{RUN} (to be created)"
    ret = test_mode["openstack_identity.role_assignment_present"](
        f"ostest-new-{RUN}", project=f"ostest-new-{RUN}", roles=["admin"], **conn(keystone)
    )
    assert ret["result"] is None and ret["changes"]["roles"]["new"] == ["admin"], ret


@pytest.mark.parametrize("test", [True, False], ids=["test-mode", "apply"])
def test_a_wrong_admin_password_is_a_clear_failure(keystone, tmp_path, test):  # noqa: F811
    states = load_salt(tmp_path, test, pillar=pillar(keystone, admin="wrong-Admin-pw-9"))[1]
    ret = states["openstack_identity.role_present"](f"ostest-never-{RUN}", **conn(keystone))
    assert ret["result"] is False
    assert f"keystone: POST {keystone.url}/auth/tokens: HTTP 401" in ret["comment"], ret
    assert "check the admin user 'admin'" in ret["comment"]
    no_secret(ret, "wrong-Admin-pw-9", keystone.admin_password)
    assert not admin(keystone).list("roles", name=f"ostest-never-{RUN}")
