"""The bad-model corpus: each broken model gives its expected, actionable message, and
``stacksalt up`` refuses it before touching any host."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from stacksalt.cli import main
from stacksalt.model.check import check

CORPUS = sorted((Path(__file__).parent / "model_corpus").glob("*.yml"))


def break_model(root: Path, case: dict) -> None:
    for edit in case.get("replace", []):
        path = root / edit["file"]
        text = path.read_text()
        assert edit["old"] in text, f"corpus case out of date: {edit['old']!r} not in {path}"
        path.write_text(text.replace(edit["old"], edit["new"], 1))
    for rel in case.get("delete", []):
        os.unlink(root / rel)


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 12


def test_the_model_as_committed_is_clean(project):
    for cluster in ("local", "production"):
        problems, pillars = check(project, cluster)
        assert problems == []
        assert pillars


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_broken_model_gives_expected_message(project, path):
    case = yaml.safe_load(path.read_text())
    break_model(project, case)
    problems, _ = check(project, case.get("cluster", "local"))
    text = "\n".join(str(p) for p in problems)
    assert problems, f"{path.name}: no problem reported"
    for fragment in case["expect"]:
        assert fragment in text, f"{path.name}: expected {fragment!r} in:\n{text}"


@pytest.mark.parametrize("path", CORPUS[:4], ids=[p.stem for p in CORPUS[:4]])
def test_cli_check_exits_nonzero_and_up_refuses(project, path, capsys, tmp_path):
    case = yaml.safe_load(path.read_text())
    break_model(project, case)
    cluster = case.get("cluster", "local")
    assert main(["--root", str(project), "model", "check", "--cluster", cluster]) == 1
    err = capsys.readouterr().err
    assert "nothing was applied" in err
    state = tmp_path / "state"
    assert main(["--root", str(project), "--state", str(state), "up", "--cluster", cluster]) == 1
    assert "nothing was started" in capsys.readouterr().err
    assert not (state / "clusters").exists()


def test_even_galera_size_is_a_warning_not_an_error(project, capsys):
    path = project / "formulas/galera/metadata/service/server/cluster.yml"
    path.write_text(path.read_text().replace("      cluster_size: 3\n", "      cluster_size: 2\n"))
    problems, pillars = check(project, "local")
    assert problems and all(p.level == "warning" for p in problems)
    assert "cluster_size 2 is even" in "\n".join(str(p) for p in problems)
    assert main(["--root", str(project), "model", "check", "--cluster", "local"]) == 0
    assert "warning: pillar galera:server: cluster_size 2 is even" in capsys.readouterr().err
