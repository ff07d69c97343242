"""Table tests for the RabbitMQ objects: the salted password hash RabbitMQ computes, tags,
user and permission diffs."""

from __future__ import annotations

import re

import pytest

from stacksalt.openstack.messaging import (
    HashError,
    normalize_tags,
    password_hash,
    password_matches,
    permission_changes,
    user_changes,
)

# Hashes made by a real RabbitMQ 3.10.8 (management API, password_hash of users added with
# rabbitmqctl add_user).
REAL = "kZY2m7JF8ca3J8IvLH5pp6BK5jP/6qzMaDC3rQEnxzqbMMgX"  # unit-test-password
REAL_UNICODE = "kLfP+gvC2k/wx1zeTi1aTYX/4usdmV26iNne+lT3ijLBFzy8"  # pässwörd ünicode
SHA512 = password_hash("s3", b"\x01\x02\x03\x04", "rabbit_password_hashing_sha512")
MD5 = password_hash("m5", b"\xff\x00\xff\x00", "rabbit_password_hashing_md5")


@pytest.mark.parametrize(
    ("password", "stored", "algorithm", "expected"),
    [
        pytest.param("unit-test-password", REAL, None, True, id="real-sha256-default-algo"),
        pytest.param(
            "unit-test-password", REAL, "rabbit_password_hashing_sha256", True, id="real-sha256"
        ),
        pytest.param("unit-test-passwore", REAL, None, False, id="one-char-off"),
        pytest.param("", REAL, None, False, id="empty-password"),
        pytest.param("pässwörd ünicode", REAL_UNICODE, None, True, id="utf8-password"),
        pytest.param("s3", SHA512, "rabbit_password_hashing_sha512", True, id="sha512"),
        pytest.param("s4", SHA512, "rabbit_password_hashing_sha512", False, id="sha512-wrong"),
        pytest.param("m5", MD5, "rabbit_password_hashing_md5", True, id="md5"),
        pytest.param("anything", "", None, False, id="user-without-password"),
        pytest.param("anything", None, None, False, id="no-hash-field"),
    ],
)
def test_password_matches(password, stored, algorithm, expected):
    assert password_matches(password, stored, algorithm) is expected


@pytest.mark.parametrize(
    ("stored", "algorithm", "message"),
    [
        pytest.param(
            REAL, "rabbit_password_hashing_bcrypt", "unknown hashing_algorithm", id="algo"
        ),
        pytest.param("not base64!!", None, "not base64", id="not-base64"),
        pytest.param(REAL, "rabbit_password_hashing_sha512", "36 bytes, not 4 + 64", id="size"),
    ],
)
def test_password_hash_errors(stored, algorithm, message):
    with pytest.raises(HashError, match=re.escape(message)):
        password_matches("x", stored, algorithm)


def test_a_new_salt_gives_a_new_hash_that_still_matches():
    a = password_hash("pw", b"\x00\x00\x00\x01")
    b = password_hash("pw", b"\x00\x00\x00\x02")
    assert a != b and password_matches("pw", a) and password_matches("pw", b)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        pytest.param(None, [], id="none"),
        pytest.param("", [], id="empty-string"),
        pytest.param("administrator,monitoring", ["administrator", "monitoring"], id="csv"),
        pytest.param(["monitoring", "administrator"], ["administrator", "monitoring"], id="list"),
        pytest.param(" a , ,a", ["a"], id="blanks-and-duplicates"),
    ],
)
def test_normalize_tags(tags, expected):
    assert normalize_tags(tags) == expected


@pytest.mark.parametrize(
    ("tags", "actual", "password_ok", "expected"),
    [
        pytest.param(
            [], None, None, {"user": {"old": None, "new": "nova"}, "password": "set"}, id="new"
        ),
        pytest.param(
            ["monitoring"],
            None,
            None,
            {
                "user": {"old": None, "new": "nova"},
                "password": "set",
                "tags": {"old": None, "new": ["monitoring"]},
            },
            id="new-with-tags",
        ),
        pytest.param([], {"tags": []}, True, {}, id="as-wanted"),
        pytest.param([], {"tags": ""}, True, {}, id="as-wanted-csv-tags"),
        pytest.param([], {"tags": []}, False, {"password": "changed"}, id="password-changed"),
        pytest.param(
            [],
            {"tags": ["administrator"]},
            True,
            {"tags": {"old": ["administrator"], "new": []}},
            id="tag-removed",
        ),
    ],
)
def test_user_changes(tags, actual, password_ok, expected):
    assert user_changes("nova", tags, actual, password_ok) == expected


ALL = {"configure": ".*", "write": ".*", "read": ".*"}


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        pytest.param(
            None, {k: {"old": None, "new": ".*"} for k in ("configure", "write", "read")}, id="none"
        ),
        pytest.param(dict(ALL, user="nova", vhost="/openstack"), {}, id="same"),
        pytest.param(
            dict(ALL, configure="^nova"),
            {"configure": {"old": "^nova", "new": ".*"}},
            id="one-pattern",
        ),
    ],
)
def test_permission_changes(actual, expected):
    assert permission_changes(ALL, actual) == expected
