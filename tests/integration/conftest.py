"""One local cluster for the whole integration session: brought up from scratch through
``stacksalt up`` (the README's main job), removed at the end."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from stacksalt.cli import main
from stacksalt.cluster import runtime

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "local"


@pytest.fixture(scope="session")
def cluster():
    if not shutil.which("docker"):
        pytest.skip("docker not installed")
    if os.environ.get("STACKSALT_REUSE_CLUSTER"):
        # development: run against a cluster already up (make demo), leave it running
        yield runtime.topology(ROOT, CLUSTER)
        return
    main(["down", "--cluster", CLUSTER])
    code = main(["up", "--cluster", CLUSTER])
    assert code == 0, "stacksalt up failed: see the output above"
    yield runtime.topology(ROOT, CLUSTER)
    main(["down", "--cluster", CLUSTER])
