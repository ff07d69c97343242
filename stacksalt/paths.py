"""Where the project's trees live: the repository root and the folders the design fixes."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Return the stacksalt tree: ``$STACKSALT_HOME``, else the checkout holding this package.

    Falls back to the current directory when the package is installed outside a checkout.
    """
    env = os.environ.get("STACKSALT_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "reclass_model").is_dir() and (here / "formulas").is_dir():
        return here
    return Path.cwd().resolve()


def state_dir() -> Path:
    """Runtime state (keys, caches, logs): ``$STACKSALT_STATE`` or /var/lib/stacksalt."""
    return Path(os.environ.get("STACKSALT_STATE", "/var/lib/stacksalt"))
