"""A new service is described in one place and reaches the three renderers (issue 11, "Done
when"): in a copy of the project, a new formula ``acme`` with its one description
(``formulas/acme/acme/meta/service.yml``: its image and its workload) and one word added to a
role of the production cluster; nothing else is edited. The image build plan builds it (with
its generated Dockerfile), the Kubernetes objects run it (its workload, its Job, its pillar),
the local run projects it, and the model check is clean."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from stacksalt.compose import project
from stacksalt.images.context import Project
from stacksalt.k8s.source import formula_roots, load_control
from stacksalt.k8s.workload import build
from stacksalt.model.check import check

from ..conftest import copy_project

DESCRIPTION = """\
# acme, described once: its image and its workload.
images:
  acme:
    parent: salt-base
    role: server
    pillar:
      acme:
        server: {enabled: true, bind: {address: 0.0.0.0, port: 8042}}
    user: acme
    command: [/usr/bin/acme-server, --config, /etc/acme/acme.conf]
    ports: [8042]
services:
  acme:
    dsl_version: 1.2.0
    service:
      name: acme
      antiAffinity: local
      ports:
        - {cont: 8042, name: api}
      containers:
        - name: acme
          image: acme
          probes:
            readiness: {type: httpGet, port: 8042, path: /healthz}
          pillar:
            acme:
              server:
                enabled: true
                bind: {address: $(POD_IP), port: 8042}
                cache: "{{ address('memcached', 11211) }}"
                replicas: "{{ replicas }}"
          pre:
            - name: acme-db-sync
              type: single
              dependencies: [database]
              command: [--apply, acme.server.db_sync]
          daemon:
            dependencies: [memcached]
"""
FILES = {
    "schema.yaml": """\
        $schema: https://json-schema.org/draft/2020-12/schema
        type: object
        additionalProperties: false
        properties:
          server:
            type: object
            additionalProperties: false
            properties:
              enabled: {type: boolean}
              bind:
                type: object
                properties:
                  address: {type: string}
                  port: {type: integer}
              cache: {type: string}
              replicas: {type: integer}
              pkgs: {type: array, items: {type: string}}
        """,
    "acme/defaults.yaml": """\
        server:
          pkgs: [acme-server, acme-client]
        """,
    "acme/init.sls": """\
        include:
          - acme.server
        """,
    "acme/server/init.sls": """\
        acme-server-config-file-managed:
          file.managed:
            - name: /etc/acme/acme.conf
            - contents: "# Managed by Salt — changes will be overwritten."
            - makedirs: true
        """,
    "acme/server/db_sync.sls": """\
        acme-server-db-sync-run:
          test.succeed_without_changes: []
        """,
    "acme/meta/service.yml": DESCRIPTION,
}


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("new-service") / "project")
    base = root / "formulas" / "acme"
    for rel, text in FILES.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if rel != "acme/meta/service.yml" else text)
    workloads = root / "reclass_model/classes/cluster/production/kubernetes/workloads.yml"
    text = workloads.read_text()
    old = "controller: [etcd, database,"
    assert old in text
    workloads.write_text(text.replace(old, "controller: [acme, etcd, database,"))
    return root


@pytest.fixture(scope="module")
def rendered(root):
    _node, control = load_control(root, "production")
    control = {**control, "registry": {}}
    return build(control, formula_roots(root))


def test_the_image_build_plan_builds_it(root, tmp_path):
    images = Project.load(root, tmp_path / "state")
    acme = images.images.by_name()["acme"]
    assert acme.source == "formulas/acme/acme/meta/service.yml"
    assert acme.parent == "salt-base" and acme.entrypoint
    assert acme.formulas == ("acme",)
    assert acme.packages == ("acme-server", "acme-client")  # the role's pkgs
    dockerfile = images.dockerfile(acme)
    for line in (
        "ARG PARENT_IMAGE=stacksalt/salt-base",
        "acme-server acme-client",
        "COPY formulas/acme /srv/salt/acme",
        "state.apply acme",
        "STACKSALT_USER=acme",
        "EXPOSE 8042",
        'CMD ["/usr/bin/acme-server", "--config", "/etc/acme/acme.conf"]',
    ):
        assert line in dockerfile, f"{line!r} not in:\n{dockerfile}"


def test_the_kubernetes_objects_run_it(rendered):
    assert [str(p) for p in rendered.problems] == []  # schemas, images, the pods' pillars
    objects = {(o["kind"], o["metadata"]["name"]): o for o in rendered.objects}
    deployment = objects[("Deployment", "acme")]
    assert deployment["spec"]["replicas"] == 1
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "stacksalt/acme:latest"
    assert "command" not in container and "args" not in container  # the image's CMD
    assert container["readinessProbe"]["httpGet"] == {
        "path": "/healthz",
        "port": 8042,
        "scheme": "HTTP",
    }
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["stacksalt.io/dependencies"] == "job/acme-db-sync,service/memcached"
    job = objects[("Job", "acme-db-sync")]["spec"]["template"]["spec"]["containers"][0]
    assert job["args"] == ["--apply", "acme.server.db_sync"]
    pillar = yaml.safe_load(objects[("ConfigMap", "acme-pillar")]["data"]["acme.yaml"])
    assert pillar == {
        "acme": {
            "server": {
                "enabled": True,
                "bind": {"address": "$(POD_IP)", "port": 8042},
                "cache": "memcached.openstack-production.svc.cluster.local:11211",
                "replicas": 1,
            }
        }
    }
    assert objects[("Service", "acme")]["spec"]["ports"][0]["port"] == 8042
    labels = rendered.node_labels["ctl01"]
    assert labels["openstack-production.stacksalt.io/acme"] == "enabled"


def test_the_local_run_projects_it(root, rendered):
    from stacksalt.cluster import runtime

    hosts = {n.hostname: n.address for n in runtime.topology(root, "production").nodes}
    nodes = [
        project.LocalNode(name, hosts[name], labels)
        for name, labels in rendered.node_labels.items()
    ]
    settings = project.Settings(
        cluster="production",
        namespace=rendered.namespace,
        cluster_domain="cluster.local",
        subnet="10.20.0.0/24",
        network="stacksalt-compose-production",
        external_network=False,
        holder_image="stacksalt/salt-base:latest",
        files_dir="/state/files",
    )
    projection = project.project(rendered.objects, nodes, settings)
    services = projection.compose["services"]
    acme = services["acme-0-acme"]
    assert acme["image"] == "stacksalt/acme:latest"
    assert acme["network_mode"] == "service:pod-acme-0"
    assert (
        "acme.openstack-production.svc.cluster.local"
        in (services["pod-acme-0"]["networks"]["cluster"]["aliases"])
    )
    assert services["acme-db-sync"]["command"] == ["--apply", "acme.server.db_sync"]
    assert "acme/acme/stacksalt-pillar/10-pillar.yaml" in projection.files
    assert projection.pod("acme-0").dependencies == ("job/acme-db-sync", "service/memcached")


@pytest.mark.timeout(180)  # renders every production node through reclass (about 10 s idle)
def test_the_model_check_is_clean(root):
    problems, _pillars = check(root, "production")
    assert [str(p) for p in problems if p.level == "error"] == []
