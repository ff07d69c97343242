"""The galera formula's files as its meta/config.yml lists them: the same paths its states
manage, rendered from its templates, the administrator's password only in the secret one."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from stacksalt.k8s import formula_files

ROOT = Path(__file__).resolve().parents[2]
FORMULA = ROOT / "formulas" / "galera" / "galera"
PASSWORD = "planted-admin-password-7f3a"  # noqa: S105 - a test value, scanned for


def pillar():
    return {
        "cluster_name": "c1",
        "name": "n1",
        "bind": {"address": "10.0.0.11"},
        "members": [{"name": "n1", "address": "10.0.0.11"}, {"name": "n2", "address": "10.0.0.12"}],
        "etcd": {"endpoints": ["http://10.0.0.11:2379"]},
        "admin": {"user": "stacksalt_admin", "password": PASSWORD},
    }


def test_the_listed_files_are_the_ones_the_states_manage():
    defaults = yaml.safe_load((FORMULA / "defaults.yaml").read_text())["server"]
    config_sls = (FORMULA / "server" / "config.sls").read_text()
    sources = set(re.findall(r"salt://\{\{ tplroot \}\}/(files/\S+)", config_sls))
    entries = formula_files.entries(
        formula_files.expand_roots([ROOT / "formulas"]), "galera", "server"
    )
    assert {e.template.split("/", 1)[1] for e in entries} == sources
    paths = {e.path for e in entries}
    assert defaults["config_file"] in paths and defaults["agent_config_file"] in paths
    assert f"/etc/systemd/system/{defaults['agent_service']}.service" in paths


def test_rendered_from_the_templates_with_the_password_only_in_the_secret_file():
    roots = formula_files.expand_roots([ROOT / "formulas"])
    files = {f.name: f for f in formula_files.render_files(roots, "galera", "server", pillar())}
    assert set(files) == {"galera.cnf", "galera.yaml", "stacksalt-galera.service"}
    assert "wsrep_cluster_address = gcomm://10.0.0.11,10.0.0.12" in files["galera.cnf"].content
    agent = yaml.safe_load(files["galera.yaml"].content)
    assert agent["node"] == "n1" and agent["admin"]["password"] == PASSWORD
    for f in files.values():
        assert (PASSWORD in f.content) == f.secret, f.name
