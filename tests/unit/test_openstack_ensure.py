"""The look / predict / act / look-again every openstack_* state shares, the secrets kept
out of messages, and the connection arguments."""

from __future__ import annotations

import pytest
from salt.exceptions import CommandExecutionError

from stacksalt.openstack.http import ApiError
from stacksalt.openstack.plan import Plan, PlanError
from stacksalt.openstack.saltadapter import MASK, Secrets, call, ensure, split_kwargs

CHANGES = {"user": {"old": None, "new": "nova"}, "password": "set"}


class World:
    """An object whose look says what differs until apply is called ``fixes`` times."""

    def __init__(self, changes, problems=(), fixes=1, fail_apply=None):
        self.changes, self.problems, self.fixes = dict(changes), list(problems), fixes
        self.applied, self.fail_apply = 0, fail_apply

    def look(self):
        return {"what": "user nova", "changes": self.changes, "problems": self.problems}

    def apply(self):
        if self.fail_apply:
            raise CommandExecutionError(self.fail_apply)
        self.applied += 1
        if self.applied >= self.fixes:
            self.changes = {}


@pytest.mark.parametrize(
    ("world", "test", "result", "changes", "applied", "comment"),
    [
        pytest.param(World({}), False, True, {}, 0, "user nova is as wanted", id="nothing-to-do"),
        pytest.param(World({}), True, True, {}, 0, "user nova is as wanted", id="nothing-test"),
        pytest.param(
            World(CHANGES),
            True,
            None,
            CHANGES,
            0,
            "user nova would change: password, user",
            id="predicts",
        ),
        pytest.param(
            World(CHANGES),
            False,
            True,
            CHANGES,
            1,
            "user nova updated: password, user",
            id="acts",
        ),
        pytest.param(
            World(CHANGES, fixes=2),
            False,
            False,
            CHANGES,
            1,
            "user nova still differs after applying: password, user",
            id="still-differs",
        ),
        pytest.param(
            World(CHANGES, problems=["flavor m1.tiny differs"]),
            False,
            False,
            {},
            0,
            "user nova: nothing changed: flavor m1.tiny differs",
            id="blocked",
        ),
        pytest.param(
            World(CHANGES, fail_apply="keystone: POST http://k/v3/users: HTTP 409: conflict"),
            False,
            False,
            {},
            0,
            "user nova: keystone: POST http://k/v3/users: HTTP 409: conflict (wanted: password, "
            "user; look again with test=True)",
            id="apply-fails",
        ),
    ],
)
def test_ensure(world, test, result, changes, applied, comment):
    ret = ensure("nova", world.look, world.apply, test)
    assert (ret["result"], ret["changes"], world.applied) == (result, changes, applied)
    assert ret["comment"] == comment
    assert ret["name"] == "nova"


def test_a_look_that_fails_is_a_failed_state():
    def look():
        raise CommandExecutionError("keystone: GET http://k/v3/users: no answer")

    ret = ensure("nova", look, lambda: None, False)
    assert ret == {
        "name": "nova",
        "changes": {},
        "result": False,
        "comment": "nova: keystone: GET http://k/v3/users: no answer",
    }


def pillar_get(data):
    def get(key, default=None, unmask=False):
        assert unmask is True  # Salt 3008 masks pillar values read by modules otherwise
        value = data
        for part in key.split(":"):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value

    return get


def test_secrets_are_read_by_key_and_kept_out_of_errors():
    secrets = Secrets(pillar_get({"openstack": {"identity": {"admin": {"password": "s3cr3t-A"}}}}))
    assert secrets("openstack:identity:admin:password") == "s3cr3t-A"

    def leaky():
        raise ApiError("keystone", "POST", "http://k/v3/users", 400, "bad value s3cr3t-A")

    with pytest.raises(CommandExecutionError) as err:
        call(secrets, leaky)
    assert "s3cr3t-A" not in str(err.value) and MASK in str(err.value)
    assert err.value.__cause__ is None  # the original (with the secret) is not chained


@pytest.mark.parametrize(
    ("key", "message"),
    [
        pytest.param(
            "openstack:identity:users:nova:password",
            "pillar openstack:identity:users:nova:password is empty or missing",
            id="missing",
        ),
        pytest.param(None, "no pillar key given for the password", id="no-key"),
        pytest.param("openstack:identity", "pillar openstack:identity is not a string", id="tree"),
    ],
)
def test_secret_errors_name_the_key(key, message):
    secrets = Secrets(pillar_get({"openstack": {"identity": {"admin": {}}}}))
    with pytest.raises(CommandExecutionError, match=message):
        secrets(key)


def test_expected_errors_become_command_errors():
    secrets = Secrets(pillar_get({}))

    def fails():
        raise PlanError("project service does not exist")

    with pytest.raises(CommandExecutionError, match="project service does not exist"):
        call(secrets, fails)

    def bug():
        raise KeyError("a bug stays a bug")

    with pytest.raises(KeyError):
        call(secrets, bug)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            {"auth_url": "http://k/v3", "__pub_fun": "x", "__id__": "y"},
            {"auth_url": "http://k/v3"},
            id="salt-internals-dropped",
        ),
        pytest.param({}, {}, id="none"),
    ],
)
def test_split_kwargs(kwargs, expected):
    assert split_kwargs(kwargs, ("auth_url", "admin_pillar"), "openstack_identity") == expected


def test_split_kwargs_refuses_an_unknown_argument():
    with pytest.raises(CommandExecutionError, match="unknown argument 'password'"):
        split_kwargs({"password": "x"}, ("auth_url",), "openstack_identity")


def test_a_plan_with_problems_refuses_to_run():
    ran = []
    plan = Plan("flavor m1.tiny", {"ram": {}}, ["differs"], [lambda: ran.append(1)])
    with pytest.raises(PlanError, match="flavor m1.tiny: differs"):
        plan.run()
    assert ran == []
    assert plan.public() == {
        "what": "flavor m1.tiny",
        "changes": {"ram": {}},
        "problems": ["differs"],
    }
