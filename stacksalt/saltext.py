"""Hands stacksalt's Salt extensions to Salt's loader (the ``salt.loader`` entry point).

With ``pip install stacksalt`` a minion loads ``_modules/`` and ``_states/`` without
``saltutil.sync_all``; the classic sync from the master's file_roots works as well.
"""

from __future__ import annotations

import importlib.util
import os


def _package_dir(name: str, checkout_dir: str) -> list[str]:
    """The installed package's folder; in an editable install from a checkout, the
    checkout's own ``_modules``/``_states`` folder."""
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return [os.path.abspath(p) for p in spec.submodule_search_locations]
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), checkout_dir)
    return [here] if os.path.isdir(here) else []


def loader_dirs() -> dict[str, list[str]]:
    """Return the extension folders by Salt loader type (new-style entry point)."""
    return {
        "modules": _package_dir("stacksalt.saltext_modules", "_modules"),
        "states": _package_dir("stacksalt.saltext_states", "_states"),
    }
