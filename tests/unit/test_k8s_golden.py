"""Golden manifests of the local and production clusters, rendered from the model.

A difference fails with a unified diff. After an intended change regenerate them with::

    STACKSALT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_k8s_golden.py

Secrets are fixed fakes (tests/unit/k8s_model.py) and images use the model's tag, so the
files depend only on the model, the services' descriptions and the renderer.
"""

from __future__ import annotations

import base64
import difflib
import os
from pathlib import Path

import pytest
import yaml

from stacksalt import secrets
from stacksalt.k8s.cli import write_manifests
from stacksalt.k8s.render import PILLAR_DIR
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
def test_golden_credentials_only_in_secrets(rendered, cluster):
    """Every value of the cluster's secret_configs (and the registry password) is in a Secret
    and in no other object: the ConfigMaps hold no secret value."""
    control, _result = rendered[cluster]
    objects = [yaml.safe_load(p.read_text()) for p in (GOLDEN / cluster).glob("*.yaml")]
    plain = "".join(yaml.safe_dump(o) for o in objects if o["kind"] != "Secret")
    decoded = "".join(
        base64.b64decode(v).decode()
        for o in objects
        if o["kind"] == "Secret"
        for v in o["data"].values()
    )
    values = secrets.leaf_strings(control["secret_configs"])
    values.add(golden_value("docker_registry_password"))
    assert golden_value("keystone_admin_password") in values
    for value in sorted(values):
        assert value not in plain
        assert value in decoded


def _golden(cluster):
    return {
        (o["kind"], o["metadata"]["name"]): o
        for o in (yaml.safe_load(p.read_text()) for p in (GOLDEN / cluster).glob("*.yaml"))
    }


def _containers(objects):
    for (kind, name), obj in sorted(objects.items()):
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            for c in obj["spec"]["template"]["spec"]["containers"]:
                yield kind, name, c


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_golden_pods_run_their_image_entrypoint_with_their_pillar(cluster):
    """No container sets command; every one mounts its pillar (a projected ConfigMap key) at
    the entrypoint's pillar folder; every Job applies states."""
    objects = _golden(cluster)
    for kind, name, c in _containers(objects):
        assert "command" not in c, f"{kind}/{name} {c['name']}"
        mount = c["volumeMounts"][0]
        assert mount["mountPath"] == PILLAR_DIR and mount["readOnly"] is True
        volumes = {
            v["name"]: v for v in objects[(kind, name)]["spec"]["template"]["spec"]["volumes"]
        }
        sources = volumes[mount["name"]]["projected"]["sources"]
        config = sources[0]["configMap"]
        key = config["items"][0]["key"]
        assert key in objects[("ConfigMap", config["name"])]["data"], f"{kind}/{name}"
        if kind == "Job":
            assert c["args"][0] == "--apply" and len(c["args"]) == 2


def test_production_shape():
    """What the issue asks of the production rendering, read from its golden files."""
    objects = _golden("production")
    for name in ("etcd", "database", "rpc", "notifications", "memcached"):
        assert objects[("StatefulSet", name)]["spec"]["replicas"] == 3
    for name in ("rpc", "notifications"):  # two instances of one description
        sts = objects[("StatefulSet", name)]
        assert sts["metadata"]["labels"]["stacksalt.io/service-def"] == "rabbitmq"
        assert sts["spec"]["podManagementPolicy"] == "OrderedReady"
        assert sts["spec"]["template"]["spec"]["subdomain"] == f"{name}-headless"
    etcd = objects[("Service", "etcd")]["spec"]
    assert etcd["clusterIP"] == "None" and etcd["publishNotReadyAddresses"] is True
    haproxy = objects[("DaemonSet", "haproxy")]["spec"]["template"]["spec"]
    assert haproxy["hostNetwork"] is True
    keystone = objects[("Deployment", "keystone")]
    assert keystone["spec"]["replicas"] == 3
    init = keystone["spec"]["template"]["spec"]["initContainers"][0]
    assert "timed out after 600s waiting for Deployment/keystone" in init["command"][2]
    jobs = {
        name: o["spec"]["template"]["spec"]["containers"][0]["args"]
        for (kind, name), o in objects.items()
        if kind == "Job"
    }
    expected = {
        "keystone-db-create": ["--apply", "openstack.database"],
        "keystone-mq-user": ["--apply", "openstack.messaging"],
        "keystone-db-sync": ["--apply", "keystone.server.db_sync"],
        "keystone-bootstrap": ["--apply", "keystone.server.bootstrap"],
        "nova-api-db-sync": ["--apply", "nova.controller.db_sync"],
        "nova-compute-discover-hosts": ["--apply", "nova.controller.discover_hosts"],
        "openstack-resources": ["--apply", "openstack.resources"],
    }
    assert {k: jobs[k] for k in expected} == expected
    for service in ("glance", "placement", "nova-api", "neutron-server"):
        assert jobs[f"{service}-db-create"] == ["--apply", "openstack.database"]
        assert jobs[f"{service}-ks-register"] == ["--apply", "openstack.identity"]
    ingress = objects[("Ingress", "keystone-identity")]["spec"]
    assert ingress["tls"][0]["hosts"] == ["identity.cloud.example.net"]
    assert ("ConfigMap", "keystone-pillar") in objects
    assert ("Secret", "keystone-pillar-secret") in objects
    assert objects[("Namespace", "openstack-production")]


def test_local_runs_on_the_hosts_what_they_provide():
    """The local cluster's etcd, Galera and RabbitMQ are its hosts' (external): no workload
    for them, and keystone's pillar names the hosts."""
    objects = _golden("local")
    workloads = {n for (k, n) in objects if k in ("Deployment", "StatefulSet", "DaemonSet")}
    assert {"haproxy", "keystone", "memcached"} <= workloads
    assert not workloads & {"etcd", "database", "rpc", "notifications"}
    pillar = yaml.safe_load(objects[("ConfigMap", "keystone-pillar")]["data"]["keystone.yaml"])
    server = pillar["keystone"]["server"]
    assert server["database"] == {"host": "10.77.1.100", "port": 13306}
    assert [m["host"] for m in server["message_queue"]["members"]] == [
        "10.77.1.11",
        "10.77.1.12",
        "10.77.1.13",
    ]
    create = objects[("Job", "keystone-db-create")]["spec"]["template"]
    assert "stacksalt.io/dependencies" not in create["metadata"]["annotations"]
