"""Desired vs actual, field by field: the shared part of every object kind's diff."""

from __future__ import annotations

from collections.abc import Mapping


def field_changes(desired: Mapping, actual: Mapping | None, fields=None) -> dict:
    """``{field: {"old": actual, "new": desired}}`` for each field of ``desired`` (or of
    ``fields``) whose wanted value is not ``None`` and differs from ``actual``'s. A missing
    object (``actual`` None) changes every wanted field from ``None``."""
    out = {}
    for field in fields or desired:
        want = desired.get(field)
        if want is None:
            continue
        have = None if actual is None else actual.get(field)
        if have != want:
            out[field] = {"old": have, "new": want}
    return out


def created(kind: str, name: str, fields: Mapping | None = None) -> dict:
    """The ``changes`` of an object about to be created: ``{kind: {"old": None, "new": name}}``
    plus its wanted fields."""
    out = {kind: {"old": None, "new": name}}
    for key, value in (fields or {}).items():
        if value is not None:
            out[key] = {"old": None, "new": value}
    return out
