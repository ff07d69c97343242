"""The bad-model corpus: each broken model (or service description) gives its expected,
actionable message, and ``stacksalt up`` refuses it before touching any host; a broken
description is refused by ``stacksalt compose up`` before anything starts and, when the
description alone is wrong (``catalog: true``), by ``stacksalt images build`` before anything
builds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from stacksalt.cli import main
from stacksalt.model.check import check

CORPUS = sorted((Path(__file__).parent / "model_corpus").glob("*.yml"))
DESCRIPTIONS = [
    p
    for p in CORPUS
    if any(
        e["file"].startswith("formulas/") and e["file"].endswith("/meta/service.yml")
        for e in yaml.safe_load(p.read_text()).get("replace", [])
    )
]


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


def test_the_description_cases_name_the_file():
    assert len(DESCRIPTIONS) >= 8
    for path in DESCRIPTIONS:
        case = yaml.safe_load(path.read_text())
        files = {e["file"] for e in case["replace"]}
        assert any(f in fragment for f in files for fragment in case["expect"]), path.name


@pytest.mark.parametrize("path", DESCRIPTIONS, ids=[p.stem for p in DESCRIPTIONS])
def test_a_broken_description_starts_and_builds_nothing(
    project, path, capsys, tmp_path, monkeypatch
):
    """'compose up' checks the model (descriptions included) before it plans anything;
    'images build' reads the descriptions before it looks for Docker."""
    from stacksalt.compose import cli as compose_cli
    from stacksalt.images import build as images_build

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("reached past the check")

    monkeypatch.setattr(compose_cli, "Plan", must_not_run)
    monkeypatch.setattr(images_build, "docker_available", must_not_run)
    case = yaml.safe_load(path.read_text())
    break_model(project, case)
    state = tmp_path / "state"
    cluster = case.get("cluster", "local")
    assert main(["--root", str(project), "model", "check", "--cluster", cluster]) == 1
    err = capsys.readouterr().err
    for fragment in case["expect"]:
        assert fragment in err
    code = main(
        ["--root", str(project), "--state", str(state), "compose", "up", "--cluster", cluster]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert case["expect"][0] in err
    assert "the model check failed; nothing was started" in err
    assert not (state / "compose").exists()
    if case.get("catalog"):
        code = main(["--root", str(project), "--state", str(state), "images", "build"])
        err = capsys.readouterr().err
        assert code == 1
        assert "stacksalt images build: the images' descriptions:" in err
        assert case["expect"][0].split("pillar ccp:control: ")[-1] in err
    assert not (state / "images").exists()


def test_even_galera_size_is_a_warning_not_an_error(project, capsys):
    path = project / "formulas/galera/metadata/service/server/cluster.yml"
    path.write_text(path.read_text().replace("      cluster_size: 3\n", "      cluster_size: 2\n"))
    problems, pillars = check(project, "local")
    assert problems and all(p.level == "warning" for p in problems)
    assert "cluster_size 2 is even" in "\n".join(str(p) for p in problems)
    assert main(["--root", str(project), "model", "check", "--cluster", "local"]) == 0
    assert "warning: pillar galera:server: cluster_size 2 is even" in capsys.readouterr().err
