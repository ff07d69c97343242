"""Broken workloads in the model's shape (tests/unit/k8s_corpus/workload/*.yaml): each gives
a clear error naming the service (or object) and the key, and renders nothing valid.

A case edits the local cluster's ``ccp:control`` pillar: ``set`` (path -> value; null
deletes) and ``rename`` (a mapping key) and lists the message fragments it ``expect``s.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from stacksalt.k8s.workload import WorkloadError, build

from .k8s_model import golden_project, workload

CASES = sorted((Path(__file__).parent / "k8s_corpus" / "workload").glob("*.yaml"))


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    root = golden_project(tmp_path_factory.mktemp("corpus") / "project")
    return workload(root, "local")


def _edit(control: dict, case: dict) -> dict:
    out = copy.deepcopy(control)
    for item in case.get("set", []):
        *parents, last = item["path"]
        node = out
        for part in parents:
            node = node[part]
        if item["value"] is None:
            del node[last]
        else:
            node[last] = item["value"]
    for item in case.get("rename", []):
        node = out
        for part in item["path"]:
            node = node[part]
        node[item["new"]] = node.pop(item["old"])
    return out


def test_corpus_is_large_enough():
    assert len(CASES) >= 12


def test_the_model_workload_is_clean(local):
    control, roots = local
    assert build(control, roots).problems == []


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_broken_workload_is_named(local, path):
    control, roots = local
    case = yaml.safe_load(path.read_text())
    try:
        result = build(_edit(control, case), roots)
    except WorkloadError as exc:
        text = str(exc)
    else:
        assert result.problems, f"{path.name}: no problem reported"
        text = "\n".join(str(p) for p in result.problems)
    for fragment in case["expect"]:
        assert fragment in text, f"{path.name}: expected {fragment!r} in:\n{text}"
