"""RabbitMQ objects (vhosts, users, permissions) as the management API shows them: what
differs from the model, as plain data.

A user's password is checked against the ``password_hash`` the API returns, with the hash
RabbitMQ itself computes (``rabbit_password``): base64 of a 4-byte salt followed by
``H(salt + UTF-8 password)``, H given by ``hashing_algorithm`` (SHA-256 by default since
3.6). The hash is compared in constant time and never shown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from stacksalt.openstack.diff import created

ALGORITHMS = {
    "rabbit_password_hashing_sha256": hashlib.sha256,
    "rabbit_password_hashing_sha512": hashlib.sha512,
    "rabbit_password_hashing_md5": hashlib.md5,
}
SALT_BYTES = 4


class HashError(ValueError):
    pass


def password_hash(password: str, salt: bytes, algorithm="rabbit_password_hashing_sha256") -> str:
    """RabbitMQ's ``password_hash`` of ``password`` with this ``salt`` (for tests and for
    creating users with a hash)."""
    digest = ALGORITHMS[algorithm](salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def password_matches(
    password: str, stored: str | None, algorithm: str | None = "rabbit_password_hashing_sha256"
) -> bool:
    """Whether ``password`` is the one behind ``stored`` (the API's ``password_hash``). An
    empty hash (a user without a password) matches nothing. Raises :class:`HashError` for an
    algorithm RabbitMQ does not ship or a hash that is not base64 of salt + digest."""
    if not stored:
        return False
    algorithm = algorithm or "rabbit_password_hashing_sha256"
    if algorithm not in ALGORITHMS:
        raise HashError(
            f"unknown hashing_algorithm {algorithm!r} (known: {', '.join(sorted(ALGORITHMS))})"
        )
    try:
        raw = base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HashError("password_hash is not base64") from exc
    size = ALGORITHMS[algorithm]().digest_size
    if len(raw) != SALT_BYTES + size:
        raise HashError(f"password_hash has {len(raw)} bytes, not {SALT_BYTES} + {size}")
    salt = raw[:SALT_BYTES]
    return hmac.compare_digest(password_hash(password, salt, algorithm), stored)


def normalize_tags(tags) -> list[str]:
    """The API gives tags as a list (3.9+) or a comma-separated string: a sorted list."""
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    return sorted({t.strip() for t in tags if t and t.strip()})


def user_changes(name: str, tags, actual: dict | None, password_ok: bool | None) -> dict:
    """Changes for a user: created (``password: set``), the password changed, the tags."""
    want_tags = normalize_tags(tags)
    if actual is None:
        out = created("user", name)
        out["password"] = "set"  # noqa: S105 - what happens, never the value
        if want_tags:
            out["tags"] = {"old": None, "new": want_tags}
        return out
    out = {}
    if not password_ok:
        out["password"] = "changed"  # noqa: S105 - what happens, never the value
    have = normalize_tags(actual.get("tags"))
    if have != want_tags:
        out["tags"] = {"old": have, "new": want_tags}
    return out


PERMISSION_KEYS = ("configure", "write", "read")


def permission_changes(wanted: dict, actual: dict | None) -> dict:
    """``{"configure"|"write"|"read": {"old", "new"}}`` for the patterns that differ."""
    out = {}
    for key in PERMISSION_KEYS:
        have = None if actual is None else actual.get(key)
        if have != wanted[key]:
            out[key] = {"old": have, "new": wanted[key]}
    return out
