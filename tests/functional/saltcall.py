"""Run the real ``salt-call --local`` against the project's formulas and model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from stacksalt.formulas import discover

BIN = Path(sys.executable).parent


def minion_config(
    tmp: Path, root: Path, pillar_dir: Path | None = None, reclass: bool = False
) -> Path:
    """Write a masterless minion config; return its config dir."""
    conf_dir = tmp / "etc"
    conf_dir.mkdir(parents=True, exist_ok=True)
    file_roots = [str(f.path) for f in discover(root / "formulas")]
    conf = {
        "file_client": "local",
        "file_roots": {"base": file_roots},
        "pillar_roots": {"base": [str(pillar_dir)] if pillar_dir else []},
        "cachedir": str(tmp / "cache"),
        "pki_dir": str(tmp / "pki"),
        "sock_dir": str(tmp / "sock"),
        "log_file": str(tmp / "minion.log"),
        "log_level_logfile": "warning",
        "state_verbose": False,
    }
    if reclass:
        opts = {"storage_type": "yaml_fs", "inventory_base_uri": str(root / "reclass_model")}
        conf["ext_pillar"] = [{"reclass": opts}]
        conf["master_tops"] = {"reclass": opts}
    (conf_dir / "minion").write_text(yaml.safe_dump(conf))
    return conf_dir


def salt_call(conf_dir: Path, *args: str, minion_id: str = "render-test") -> dict:
    res = subprocess.run(
        [
            str(BIN / "salt-call"),
            "--local",
            "--config-dir",
            str(conf_dir),
            "--id",
            minion_id,
            "--out=json",
            "--retcode-passthrough",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if res.returncode != 0:
        raise AssertionError(
            f"salt-call {' '.join(args)} failed ({res.returncode}):\n"
            f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        )
    return json.loads(res.stdout)["local"]


def load_salt(tmp: Path, test: bool, pillar: dict | None = None):
    """Salt's real loader with masterless minion opts: ``(funcs, states)``, with stacksalt's
    modules found through the ``salt.loader`` entry point."""
    import salt.config
    import salt.loader

    opts = salt.config.minion_config(None)
    opts.update(
        file_client="local",
        test=test,
        cachedir=str(tmp / "cache"),
        grains={"id": "functional", "os": "Debian", "os_family": "Debian", "kernel": "Linux"},
        id="functional",
        pillar=pillar or {},
    )
    utils = salt.loader.utils(opts)
    funcs = salt.loader.minion_mods(opts, utils=utils)
    return funcs, salt.loader.states(opts, funcs, utils, salt.loader.serializers(opts))
