"""Table tests for the keystone objects: project, user and service diffs, missing roles, the
endpoint plan, the password-authentication body."""

from __future__ import annotations

import pytest

from stacksalt.openstack.identity import (
    endpoint_plan,
    missing_roles,
    project_changes,
    service_changes,
    user_changes,
)
from stacksalt.openstack.keystone import password_auth


@pytest.mark.parametrize(
    ("desired", "actual", "expected"),
    [
        pytest.param(
            {"description": "Service project"},
            None,
            {
                "project": {"old": None, "new": "service"},
                "description": {"old": None, "new": "Service project"},
                "enabled": {"old": None, "new": True},
            },
            id="new",
        ),
        pytest.param(
            {"description": "Service project"},
            {"description": "Service project", "enabled": True, "id": "p1"},
            {},
            id="as-wanted",
        ),
        pytest.param(
            {"description": "Services"},
            {"description": "Service project", "enabled": True},
            {"description": {"old": "Service project", "new": "Services"}},
            id="description",
        ),
        pytest.param(
            {},
            {"description": "anything", "enabled": False},
            {"enabled": {"old": False, "new": True}},
            id="disabled-no-description-wanted",
        ),
    ],
)
def test_project_changes(desired, actual, expected):
    assert project_changes("service", desired, actual) == expected


@pytest.mark.parametrize(
    ("desired", "actual", "password_ok", "expected"),
    [
        pytest.param(
            {"default_project_id": "p1"},
            None,
            None,
            {
                "user": {"old": None, "new": "nova"},
                "default_project_id": {"old": None, "new": "p1"},
                "enabled": {"old": None, "new": True},
                "password": "set",
            },
            id="new",
        ),
        pytest.param(
            {"default_project_id": "p1"},
            {"default_project_id": "p1", "enabled": True},
            True,
            {},
            id="as-wanted",
        ),
        pytest.param(
            {"default_project_id": "p1"},
            {"default_project_id": "p1", "enabled": True},
            False,
            {"password": "changed"},
            id="password-changed",
        ),
        pytest.param(
            {"default_project_id": "p2", "email": "n@example.org"},
            {"default_project_id": "p1", "enabled": True},
            True,
            {
                "default_project_id": {"old": "p1", "new": "p2"},
                "email": {"old": None, "new": "n@example.org"},
            },
            id="project-and-email",
        ),
    ],
)
def test_user_changes(desired, actual, password_ok, expected):
    assert user_changes("nova", desired, actual, password_ok) == expected


@pytest.mark.parametrize(
    ("wanted", "assigned", "role_ids", "expected"),
    [
        pytest.param(
            ["admin", "service"], {"r1", "r2"}, {"admin": "r1", "service": "r2"}, [], id="all"
        ),
        pytest.param(
            ["admin", "service"], {"r1"}, {"admin": "r1", "service": "r2"}, ["service"], id="one"
        ),
        pytest.param(
            ["admin", "service"],
            set(),
            {"admin": "r1"},
            ["admin", "service"],
            id="role-not-created-yet",
        ),
        pytest.param(["admin", "admin"], set(), {"admin": "r1"}, ["admin"], id="duplicates"),
    ],
)
def test_missing_roles(wanted, assigned, role_ids, expected):
    assert missing_roles(wanted, assigned, role_ids) == expected


@pytest.mark.parametrize(
    ("desired", "actual", "expected"),
    [
        pytest.param(
            {"type": "compute", "description": "Compute"},
            None,
            {
                "service": {"old": None, "new": "nova"},
                "type": {"old": None, "new": "compute"},
                "description": {"old": None, "new": "Compute"},
                "enabled": {"old": None, "new": True},
            },
            id="new",
        ),
        pytest.param(
            {"type": "compute", "description": "Compute"},
            {"type": "compute", "description": "Compute", "enabled": True},
            {},
            id="as-wanted",
        ),
        pytest.param(
            {"type": "compute", "description": "OpenStack Compute"},
            {"type": "compute", "description": "Compute", "enabled": True},
            {"description": {"old": "Compute", "new": "OpenStack Compute"}},
            id="description",
        ),
    ],
)
def test_service_changes(desired, actual, expected):
    assert service_changes("nova", desired, actual) == expected


URLS = {
    "public": "http://192.0.2.10:8774/v2.1",
    "internal": "http://10.0.0.10:8774/v2.1",
    "admin": "http://10.0.0.10:8774/v2.1",
}


def ep(eid, interface, url, region="RegionOne", enabled=True):
    return {"id": eid, "interface": interface, "url": url, "region_id": region, "enabled": enabled}


@pytest.mark.parametrize(
    ("urls", "actual", "create", "update", "problems"),
    [
        pytest.param(URLS, [], ["public", "internal", "admin"], [], 0, id="none-yet"),
        pytest.param(
            URLS, [ep(i, k, v) for i, (k, v) in enumerate(URLS.items())], [], [], 0, id="as-wanted"
        ),
        pytest.param(
            URLS,
            [ep("a", "public", URLS["public"]), ep("b", "internal", "http://old:8774/v2.1")],
            ["admin"],
            [("b", "internal", URLS["internal"])],
            0,
            id="url-changed-and-one-missing",
        ),
        pytest.param(
            {"public": URLS["public"]},
            [ep("a", "public", URLS["public"], region="RegionTwo")],
            ["public"],
            [],
            0,
            id="other-region-does-not-count",
        ),
        pytest.param(
            {"public": URLS["public"]},
            [ep("a", "public", URLS["public"], enabled=False)],
            [],
            [("a", "public", URLS["public"])],
            0,
            id="disabled-is-enabled-again",
        ),
        pytest.param(
            {"public": URLS["public"]},
            [ep("a", "public", URLS["public"]), ep("b", "public", "http://x")],
            [],
            [],
            1,
            id="two-for-one-interface",
        ),
        pytest.param({"private": "http://x"}, [], [], [], 1, id="unknown-interface"),
    ],
)
def test_endpoint_plan(urls, actual, create, update, problems):
    plan = endpoint_plan("nova", "RegionOne", urls, actual)
    assert [iface for iface, _ in plan.create] == create
    assert plan.update == update
    assert len(plan.problems) == problems
    if not problems:
        assert set(plan.changes) == set(create) | {u[1] for u in update}


def test_endpoint_plan_problem_says_what_to_do():
    plan = endpoint_plan(
        "nova",
        "RegionOne",
        {"public": "http://a"},
        [ep("x1", "public", "http://a"), ep("x2", "public", "http://b")],
    )
    assert plan.problems == [
        "nova has 2 public endpoints in RegionOne (x1, x2): delete all but one with "
        "'openstack endpoint delete ID', then apply again"
    ]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            {"user": "admin", "project": "admin"},
            {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {
                                "password": "pw",
                                "name": "admin",
                                "domain": {"name": "Default"},
                            }
                        },
                    },
                    "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
                }
            },
            id="scoped-by-name",
        ),
        pytest.param(
            {"user_id": "u1"},
            {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {"user": {"password": "pw", "id": "u1"}},
                    }
                }
            },
            id="unscoped-by-id",
        ),
    ],
)
def test_password_auth(kwargs, expected):
    assert password_auth("pw", **kwargs) == expected
