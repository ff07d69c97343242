"""The k8s execution and state modules through Salt's real loader, in both test modes.

No cluster is needed here: rendering and validation run for real; applying without a
kubeconfig must fail with a clear message and apply nothing. tests/integration/test_k8s_live.py
covers the cluster calls when KUBECONFIG is set.
"""

from __future__ import annotations

import base64
import copy

import pytest

from stacksalt import secrets
from stacksalt.k8s.source import formula_roots, load_control


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    from tests.conftest import copy_project

    root = copy_project(tmp_path_factory.mktemp("k8s") / "project")
    _node, control = load_control(root, "local")
    values = secrets.load(secrets.secrets_file(root, "local"))
    return control, [str(r) for r in formula_roots(root)], values


def test_modules_come_from_the_installed_package(loaded):
    _test, funcs, states = loaded
    assert "k8s.render" in funcs
    assert "k8s.applied" in states
    assert "k8s.validated" in states


def test_validated_renders_the_model_workload(loaded, workload):
    _test, _funcs, states = loaded
    control, roots, _values = workload
    ret = states["k8s.validated"]("openstack-local", workload=control, formula_roots=roots)
    assert ret["result"] is True, ret["comment"]
    assert ret["changes"] == {}
    assert "objects of openstack-local render and validate" in ret["comment"]


def test_credentials_only_in_secrets(loaded, workload):
    _test, funcs, _states = loaded
    control, roots, values = workload
    out = funcs["k8s.render"](control, roots)
    assert out["problems"] == []
    configmaps = [o for o in out["objects"] if o["kind"] == "ConfigMap"]
    secret_text = "".join(
        base64.b64decode(v).decode()
        for o in out["objects"]
        if o["kind"] == "Secret"
        for v in o["data"].values()
    )
    assert configmaps
    for name, value in values.items():
        for cm in configmaps:
            assert str(value) not in str(cm["data"]), f"{name} leaked into {cm['metadata']}"
    assert str(values["keystone_admin_password"]) in secret_text
    assert str(values["keystone_database_password"]) in secret_text  # keystone.conf


def test_broken_description_names_file_service_and_key(loaded, workload, tmp_path):
    """A service description with a bad kind: the error names the formula's file, the service
    and the key, and nothing is applied."""
    import shutil
    from pathlib import Path

    import yaml

    _test, _funcs, states = loaded
    control, roots, _values = workload
    project = Path(roots[0]).parents[1]
    shutil.copytree(project / "formulas", tmp_path / "formulas", symlinks=True)
    shutil.copytree(project / "docker-salt", tmp_path / "docker-salt", symlinks=True)
    path = tmp_path / "formulas/rabbitmq/rabbitmq/meta/service.yml"
    doc = yaml.safe_load(path.read_text())
    doc["services"]["rabbitmq"]["service"]["kind"] = "Daemonset"
    path.write_text(yaml.safe_dump(doc))
    ret = states["k8s.validated"](
        "openstack-local", workload=control, formula_roots=[str(tmp_path / "formulas")]
    )
    assert ret["result"] is False
    assert "rabbitmq/meta/service.yml" in ret["comment"]
    assert "services.rabbitmq: kind: must be one of" in ret["comment"]
    assert "nothing applied" in ret["comment"]


def test_semantic_problem_is_reported_before_apply(loaded, workload, monkeypatch):
    _test, _funcs, states = loaded
    control, roots, _values = workload
    broken = copy.deepcopy(control)
    broken["replicas"]["keystone"] = 5  # antiAffinity local, three controllers
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
    ret = states["k8s.applied"]("openstack-local", workload=broken, formula_roots=roots)
    assert ret["result"] is False
    assert "Deployment/keystone: spec.replicas: 5 replicas with required hostname" in ret["comment"]
    assert ret["changes"] == {}


def test_applied_without_cluster_fails_clearly(loaded, workload, monkeypatch):
    _test, _funcs, states = loaded
    control, roots, _values = workload
    monkeypatch.delenv("KUBECONFIG", raising=False)
    ret = states["k8s.applied"]("openstack-local", workload=control, formula_roots=roots)
    assert ret["result"] is False
    assert "no Kubernetes cluster configured: set KUBECONFIG" in ret["comment"]
    assert ret["changes"] == {}


def test_wrong_environment_name_is_refused(loaded, workload):
    _test, _funcs, states = loaded
    control, roots, _values = workload
    ret = states["k8s.validated"]("openstack-prod", workload=control, formula_roots=roots)
    assert ret["result"] is False
    assert "renders namespace 'openstack-local'" in ret["comment"]


def test_salt_call_applies_the_ccp_formula_without_a_cluster(tmp_path):
    """The formula's SLS passes the pillar as state arguments; the module reads the formula
    templates from the minion's file_roots. Without a kubeconfig it validates only."""
    import shutil
    from pathlib import Path

    from .saltcall import minion_config, salt_call

    root = Path(__file__).resolve().parents[2]
    pillar = tmp_path / "pillar"
    pillar.mkdir()
    shutil.copy(root / "formulas/ccp/tests/pillar/validate.sls", pillar / "case.sls")
    (pillar / "top.sls").write_text("base:\n  '*':\n    - case\n")
    conf = minion_config(tmp_path, root, pillar_dir=pillar)
    out = salt_call(conf, "state.apply", "ccp")
    (ret,) = out.values()
    assert ret["result"] is True, ret["comment"]
    assert "objects of openstack-test render and validate" in ret["comment"]
