"""Render tests: every formula's tests/pillar/*.sls and every node of every cluster render
through the real Salt renderer (``state.show_sls`` / ``state.show_highstate``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stacksalt.formulas import discover
from stacksalt.model.loader import Model

from .saltcall import minion_config, salt_call

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    (formula.name, sls)
    for formula in discover(ROOT / "formulas")
    for sls in sorted((formula.path / "tests" / "pillar").glob("*.sls"))
]


def test_every_formula_has_pillar_cases():
    names = {f.name for f in discover(ROOT / "formulas")}
    assert names <= {name for name, _ in CASES}


@pytest.mark.parametrize(("formula", "sls"), CASES, ids=[f"{f}-{s.stem}" for f, s in CASES])
def test_formula_pillar_renders(tmp_path, formula, sls):
    pillar = tmp_path / "pillar"
    pillar.mkdir()
    shutil.copy(sls, pillar / "case.sls")
    (pillar / "top.sls").write_text("base:\n  '*':\n    - case\n")
    conf = minion_config(tmp_path, ROOT, pillar_dir=pillar)
    low = salt_call(conf, "state.show_sls", formula)
    assert isinstance(low, dict) and low, f"{formula}/{sls.name}: rendered no state"
    for state_id, body in low.items():
        assert isinstance(body, dict), f"{formula}/{sls.name}: {state_id}: {body}"


NODES = [
    node
    for cluster in ("local", "production")
    for node in Model(ROOT / "reclass_model").nodes(cluster)
]


@pytest.mark.parametrize("node", NODES)
def test_model_node_highstate_renders(project, tmp_path, node):
    """Reclass as ext_pillar and master_tops, exactly as the master is configured."""
    conf = minion_config(tmp_path, project, reclass=True)
    high = salt_call(conf, "state.show_highstate", minion_id=node)
    assert isinstance(high, dict), high
    ids = set(high)
    assert "linux-system-hostname-file-managed" in ids
    assert "salt-minion-config-file-managed" in ids
    if node.startswith("ctl"):
        assert "etcd-server-cluster-healthy" in ids
    if node.startswith("cfg"):
        assert "salt-master-service-running" in ids
