"""The OpenStack formulas' one-shot tasks (applied by Jobs, never included by init.sls)
render through the real salt-call with each role's test pillar: every command runs as the
service's user, looks first (unless), and carries no password on its command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from .saltcall import minion_config, salt_call

ROOT = Path(__file__).resolve().parents[2]
ONESHOTS = [
    ("glance", "server", "glance.server.db_sync", "glance", 1),
    ("placement", "server", "placement.server.db_sync", "placement", 1),
    ("nova", "controller", "nova.controller.db_sync", "nova", 4),
    ("nova", "controller", "nova.controller.discover_hosts", "nova", 1),
    ("neutron", "server", "neutron.server.db_sync", "neutron", 1),
]


def _secrets(tree, key=""):
    if isinstance(tree, dict):
        return [v for k, sub in tree.items() for v in _secrets(sub, k)]
    if isinstance(tree, list):
        return [v for sub in tree for v in _secrets(sub, key)]
    return [str(tree)] if key.endswith(("password", "_key", "_secret")) and tree else []


@pytest.mark.parametrize(
    ("formula", "role", "sls", "user", "commands"), ONESHOTS, ids=[o[2] for o in ONESHOTS]
)
def test_oneshot_runs_as_the_service_user_and_looks_first(
    tmp_path, formula, role, sls, user, commands
):
    case = ROOT / "formulas" / formula / "tests" / "pillar" / f"{role}.sls"
    pillar = tmp_path / "pillar"
    pillar.mkdir()
    shutil.copy(case, pillar / "case.sls")
    (pillar / "top.sls").write_text("base:\n  '*':\n    - case\n")
    low = salt_call(minion_config(tmp_path, ROOT, pillar_dir=pillar), "state.show_sls", sls)
    runs = {
        sid: dict(kv for arg in body["cmd"] if isinstance(arg, dict) for kv in arg.items())
        for sid, body in low.items()
        if "cmd" in body
    }
    assert len(runs) == commands, sorted(runs)
    secrets = _secrets(yaml.safe_load(case.read_text()))
    for sid, args in runs.items():
        assert sid.startswith(f"{formula}-{role}-"), sid
        assert args["runas"] == user, sid
        assert args.get("unless"), f"{sid} does not look first"
        argv = " ".join([args["name"], str(args["unless"])])
        assert not [s for s in secrets if s in argv], f"{sid}: a password on a command line"


def test_init_does_not_include_the_oneshots(tmp_path):
    roles = sorted({(formula, role) for formula, role, *_ in ONESHOTS})
    oneshots = {sls for _f, _r, sls, *_ in ONESHOTS}
    for formula, role in roles:
        case = ROOT / "formulas" / formula / "tests" / "pillar" / f"{role}.sls"
        pillar = tmp_path / formula / role / "pillar"
        pillar.mkdir(parents=True)
        shutil.copy(case, pillar / "case.sls")
        (pillar / "top.sls").write_text("base:\n  '*':\n    - case\n")
        conf = minion_config(tmp_path / formula / role, ROOT, pillar_dir=pillar)
        low = salt_call(conf, "state.show_sls", formula)
        assert low, f"{formula}: rendered no state"
        assert not [sid for sid, body in low.items() if body.get("__sls__") in oneshots]
