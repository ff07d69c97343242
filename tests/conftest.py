"""Shared fixtures: a private copy of the project tree to break or to run against."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stacksalt import secrets
from stacksalt.formulas import link_service_classes

ROOT = Path(__file__).resolve().parent.parent


def copy_project(dest: Path) -> Path:
    """Copy formulas/, reclass_model/ (without generated links) to ``dest``; link and
    generate secrets there, as 'make setup' does on a checkout."""
    ignore = shutil.ignore_patterns("secrets.yml", "__pycache__")
    shutil.copytree(ROOT / "formulas", dest / "formulas", ignore=ignore)
    shutil.copytree(ROOT / "reclass_model", dest / "reclass_model", ignore=ignore, symlinks=True)
    service = dest / "reclass_model" / "classes" / "service"
    if service.exists():
        shutil.rmtree(service)
    link_service_classes(dest)
    for cluster in ("local", "production"):
        secrets.init(dest, cluster)
    return dest


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")
