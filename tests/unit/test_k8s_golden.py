"""Golden manifests of the local and production clusters, rendered from the model.

A difference fails with a unified diff. After an intended change regenerate them with::

    STACKSALT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_k8s_golden.py

Secrets are fixed fakes (tests/unit/k8s_model.py) and images use the model's tag, so the
files depend only on the model, the definitions, the formulas' templates and the renderer.
"""

from __future__ import annotations

import base64
import difflib
import os
from pathlib import Path

import pytest
import yaml

from stacksalt.k8s.cli import write_manifests
from stacksalt.k8s.validate import validate_objects
from stacksalt.k8s.workload import build, external_objects

from .k8s_model import golden_project, golden_value, workload

GOLDEN = Path(__file__).parent / "golden" / "manifests"
CLUSTERS = ("local", "production")
UPDATE = bool(os.environ.get("STACKSALT_UPDATE_GOLDEN"))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return golden_project(tmp_path_factory.mktemp("golden") / "project")


@pytest.fixture(scope="module")
def rendered(project):
    out = {}
    for cluster in CLUSTERS:
        control, roots = workload(project, cluster)
        out[cluster] = (control, build(control, roots, image_tags=None))
    return out


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_manifests_match_golden(rendered, tmp_path, cluster):
    _control, result = rendered[cluster]
    assert result.problems == []
    fresh = tmp_path / cluster
    write_manifests(result.objects, fresh)
    golden = GOLDEN / cluster
    if UPDATE:
        write_manifests(result.objects, golden)
    want = {p.name: p.read_text() for p in sorted(golden.glob("*.yaml"))}
    have = {p.name: p.read_text() for p in sorted(fresh.glob("*.yaml"))}
    diff = []
    for name in sorted(set(want) | set(have)):
        diff += difflib.unified_diff(
            want.get(name, "").splitlines(keepends=True),
            have.get(name, "").splitlines(keepends=True),
            fromfile=f"golden/{cluster}/{name}",
            tofile=f"rendered/{cluster}/{name}",
        )
    assert not diff, "manifests differ from the golden files (regenerate with " + (
        "STACKSALT_UPDATE_GOLDEN=1 if intended):\n" + "".join(diff[:400])
    )


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_golden_files_validate(rendered, cluster):
    """Every golden object against the pinned Kubernetes schemas + the semantic checks."""
    control, result = rendered[cluster]
    objects = [yaml.safe_load(p.read_text()) for p in sorted((GOLDEN / cluster).glob("*.yaml"))]
    assert len(objects) == len(result.objects)
    problems = validate_objects(objects, result.node_labels, external=external_objects(control))
    assert problems == []


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_golden_credentials_only_in_secrets(cluster):
    objects = [yaml.safe_load(p.read_text()) for p in (GOLDEN / cluster).glob("*.yaml")]
    plain = "".join(yaml.safe_dump(o) for o in objects if o["kind"] != "Secret")
    decoded = "".join(
        base64.b64decode(v).decode()
        for o in objects
        if o["kind"] == "Secret"
        for v in o["data"].values()
    )
    for name in ("keystone_admin_password", "keystone_database_password", "rabbitmq_rpc_cookie"):
        assert golden_value(name) not in plain
        assert golden_value(name) in decoded


def test_production_shape():
    """What the issue asks of the production rendering, read from its golden files."""
    objects = {
        (o["kind"], o["metadata"]["name"]): o
        for o in (yaml.safe_load(p.read_text()) for p in (GOLDEN / "production").glob("*.yaml"))
    }
    libvirt = objects[("DaemonSet", "nova-libvirt")]["spec"]["template"]["spec"]
    assert libvirt["hostNetwork"] and libvirt["hostPID"]
    assert libvirt["containers"][0]["securityContext"] == {"privileged": True}
    for name in ("rpc", "notifications"):  # two instances of one definition
        labels = objects[("DaemonSet", name)]["metadata"]["labels"]
        assert labels["stacksalt.io/service-def"] == "rabbitmq"
    assert objects[("Service", "etcd")]["spec"]["clusterIP"] == "None"  # headless
    keystone = objects[("Deployment", "keystone")]
    assert keystone["spec"]["replicas"] == 3
    init = keystone["spec"]["template"]["spec"]["initContainers"][0]
    assert "timed out after 600s waiting for Deployment/keystone" in init["command"][2]
    assert ("Job", "keystone-db-sync") in objects
    ingress = objects[("Ingress", "keystone-identity")]["spec"]
    assert ingress["tls"][0]["hosts"] == ["identity.cloud.example.net"]
    assert ("ConfigMap", "memcached-files") in objects
    assert ("Secret", "keystone-files-secret") in objects
    assert objects[("Namespace", "openstack-production")]
