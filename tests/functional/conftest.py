"""Fixtures shared by the functional tests of the Salt modules."""

from __future__ import annotations

import pytest

from .saltcall import load_salt


@pytest.fixture(params=(False, True), ids=("apply", "test-mode"))
def loaded(request, tmp_path):
    """``(test, funcs, states)`` from Salt's real loader, once normally, once with test=True."""
    funcs, states = load_salt(tmp_path, request.param)
    return request.param, funcs, states
