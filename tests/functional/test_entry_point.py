"""``pip install .`` is enough for a minion to load stacksalt's modules: the wheel carries
_modules/ and _states/ and registers them through the ``salt.loader`` entry point."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
sys.path[:0] = [sys.argv[1]] + sys.argv[2:]
import salt.config, salt.loader, stacksalt.saltext
opts = salt.config.minion_config(None)
opts.update(file_client="local", cachedir=sys.argv[1] + "/.cache", id="probe",
            grains={"id": "probe", "os_family": "Debian", "kernel": "Linux"})
utils = salt.loader.utils(opts)
funcs = salt.loader.minion_mods(opts, utils=utils)
states = salt.loader.states(opts, funcs, utils, salt.loader.serializers(opts))
print(json.dumps({"dirs": stacksalt.saltext.loader_dirs(),
                  "stacksalt": stacksalt.__file__,
                  "module": "etcd_cluster.health" in funcs,
                  "state": "etcd_cluster.healthy" in states}))
"""


def test_wheel_installs_salt_extensions(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = wheels.glob("stacksalt-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        text = zf.read(entry_points).decode()
    assert "stacksalt/saltext_modules/etcd_cluster.py" in names
    assert "stacksalt/saltext_states/etcd_cluster.py" in names
    assert "[salt.loader]" in text and "stacksalt.saltext:loader_dirs" in text

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    # -S: no site processing, so the checkout's editable install is invisible; Salt and the
    # other dependencies come from this venv's site-packages, stacksalt only from the wheel.
    out = subprocess.run(
        [sys.executable, "-S", "-c", PROBE, str(target), *site.getsitepackages()],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["stacksalt"].startswith(str(target))
    assert probe["dirs"]["modules"] == [str(target / "stacksalt" / "saltext_modules")]
    assert probe["module"] is True
    assert probe["state"] is True
