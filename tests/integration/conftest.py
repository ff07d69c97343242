"""One local cluster for the whole integration session: brought up from scratch through
``stacksalt up`` (the README's main job), removed at the end."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stacksalt.cli import main
from stacksalt.cluster import runtime
from tests.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "local"


@pytest.fixture(scope="session")
def cluster():
    require_tool("docker")
    if os.environ.get("STACKSALT_REUSE_CLUSTER"):
        # development: run against a cluster already up (make demo), leave it running
        yield runtime.topology(ROOT, CLUSTER)
        return
    main(["down", "--cluster", CLUSTER])
    try:
        code = main(["up", "--cluster", CLUSTER])
        assert code == 0, "stacksalt up failed: see the output above"
        yield runtime.topology(ROOT, CLUSTER)
    finally:
        # also when 'up' failed or timed out: no cluster is left behind
        main(["down", "--cluster", CLUSTER])
