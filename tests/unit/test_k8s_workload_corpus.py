"""Broken workloads (tests/unit/k8s_corpus/workload/*.yaml): each gives a clear error naming
the file or service (or object) and the key, and renders nothing valid.

A case edits the local cluster's ``ccp:control`` pillar (the model: topology and values) with
``set`` (path -> value; null deletes) and ``rename`` (a mapping key), and/or a service's
description (``formulas/<formula>/<formula>/meta/service.yml`` in a copy of the formulas) with
``describe`` (formula, path, value); it lists the message fragments it ``expect``s. A broken
description is refused when the catalog is read; the rest when the workload is parsed,
rendered or validated.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from stacksalt.k8s.workload import WorkloadError, build
from stacksalt.service.catalog import CatalogError, description_path, load

from .k8s_model import golden_project, workload

CASES = sorted((Path(__file__).parent / "k8s_corpus" / "workload").glob("*.yaml"))


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    root = golden_project(tmp_path_factory.mktemp("corpus") / "project")
    control, roots = workload(root, "local")
    return root, control, roots


def _set(tree, path, value):
    *parents, last = path
    node = tree
    for part in parents:
        node = node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value


def _edit(control: dict, case: dict) -> dict:
    out = copy.deepcopy(control)
    for item in case.get("set", []):
        _set(out, item["path"], item["value"])
    for item in case.get("rename", []):
        node = out
        for part in item["path"]:
            node = node[part]
        node[item["new"]] = node.pop(item["old"])
    return out


def _describe(root: Path, dest: Path, edits: list[dict]) -> Path:
    """A copy of the formulas (and the base images) with the descriptions edited."""
    for tree in ("formulas", "docker-salt"):
        shutil.copytree(root / tree, dest / tree, symlinks=True)
    for item in edits:
        path = description_path(dest / "formulas", item["formula"])
        doc = yaml.safe_load(path.read_text())
        _set(doc, item["path"], item["value"])
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return dest


def test_corpus_is_large_enough():
    assert len(CASES) >= 12


def test_the_model_workload_is_clean(local):
    _root, control, roots = local
    assert build(control, roots).problems == []


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_broken_workload_is_named(local, path, tmp_path):
    root, control, roots = local
    case = yaml.safe_load(path.read_text())
    try:
        edited = _describe(root, tmp_path, case["describe"]) if "describe" in case else None
        catalog = load(edited) if edited else None
        result = build(_edit(control, case), roots, catalog=catalog)
    except (WorkloadError, CatalogError) as exc:
        text = "\n".join(exc.problems)
    else:
        assert result.problems, f"{path.name}: no problem reported"
        text = "\n".join(str(p) for p in result.problems)
    for fragment in case["expect"]:
        assert fragment in text, f"{path.name}: expected {fragment!r} in:\n{text}"
