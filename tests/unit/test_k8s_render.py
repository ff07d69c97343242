"""Tests for stacksalt.k8s.render: the full sample, secrets, hashes, jobs, waiters, ingress."""

import base64
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from stacksalt.k8s.common import CONFIG_HASH_ANNOTATION
from stacksalt.k8s.dsl import validate_definition
from stacksalt.k8s.naming import image_ref, job_name
from stacksalt.k8s.render import RenderError, RenderOptions, domains_list, render
from stacksalt.k8s.topology import resolve_topology
from stacksalt.k8s.validate import validate_objects
from stacksalt.k8s.waiter import Dependency, wait_script

SAMPLE = Path(__file__).parent / "k8s_corpus" / "sample"
NODES = [f"node{i}" for i in range(1, 6)]
IMAGES = {"registry": "127.0.0.1:31500", "namespace": "ccp", "tag": "newton"}
TLS = {"tls_cert": "-----BEGIN CERTIFICATE-----\nfixture\n", "tls_key": "fixture-key"}


def load(name):
    return yaml.safe_load((SAMPLE / f"{name}.yaml").read_text())


def definitions():
    out = {}
    for path in sorted(SAMPLE.glob("*.yaml")):
        if path.stem not in ("topology", "configs", "secret_configs"):
            out[path.stem] = validate_definition(yaml.safe_load(path.read_text()))
    return out


def sample(namespace="ccp", configs=None, topology_patch=None, **kwargs):
    model = load("topology")
    model["kubernetes"] = {"namespace": namespace}
    model.update(topology_patch or {})
    topo = resolve_topology(model, NODES)
    cfg = configs if configs is not None else load("configs")
    cfg.setdefault("ingress", {}).update(TLS)
    return render(definitions(), topo, cfg, load("secret_configs"), IMAGES, **kwargs)


def find(objects, kind, name):
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def pod(obj):
    return obj["spec"]["template"]["spec"]


def test_full_sample_renders_and_passes_schema_and_semantic_validation():
    result = sample()
    problems = validate_objects(result.objects, result.node_labels)
    assert problems == [], "\n".join(map(str, problems))
    kinds = {(o["kind"], o["metadata"]["name"]) for o in result.objects}
    for expected in [
        ("Namespace", "ccp"),
        ("Deployment", "keystone"),
        ("StatefulSet", "database"),
        ("Deployment", "rpc"),
        ("Deployment", "notifications"),
        ("Deployment", "memcached"),
        ("DaemonSet", "nova-compute"),
        ("Service", "database-headless"),
        ("Job", "keystone-db-sync"),
        ("Ingress", "keystone-identity"),
    ]:
        assert expected in kinds
    assert all(
        o["metadata"]["namespace"] == "ccp" for o in result.objects if o["kind"] != "Namespace"
    )


def test_galera_statefulset_three_replicas_with_local_antiaffinity():
    galera = find(sample().objects, "StatefulSet", "database")
    assert galera["spec"]["replicas"] == 3
    assert galera["spec"]["serviceName"] == "database-headless"
    term = pod(galera)["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ][0]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "database",
        "stacksalt.io/environment": "ccp",
    }
    assert "namespaceSelector" not in term  # local: own namespace only
    assert [c["image"] for c in pod(galera)["containers"]] == [
        "127.0.0.1:31500/ccp/galera:newton"
    ] * 2


def test_global_antiaffinity_spans_environments():
    doc = load("memcached")
    doc["service"]["antiAffinity"] = "global"
    defs = {**definitions(), "memcached": validate_definition(doc)}
    topo = resolve_topology(load("topology"), NODES)
    cfg = load("configs")
    cfg["ingress"]["enabled"] = False
    result = render(defs, topo, cfg, {}, IMAGES)
    term = pod(find(result.objects, "Deployment", "memcached"))["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ][0]
    assert term["namespaceSelector"] == {}
    assert "stacksalt.io/environment" not in term["labelSelector"]["matchLabels"]


def test_nova_compute_daemonset_privileged_host_network():
    result = sample()
    ds = find(result.objects, "DaemonSet", "nova-compute")
    spec = pod(ds)
    assert "replicas" not in ds["spec"]
    assert spec["hostNetwork"] is True and spec["hostPID"] is True
    assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert spec["containers"][0]["securityContext"] == {"privileged": True}
    assert spec["nodeSelector"] == {"ccp.stacksalt.io/nova-compute": "enabled"}
    mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["lib-modules"] == {
        "name": "lib-modules",
        "mountPath": "/lib/modules",
        "readOnly": True,
    }
    assert {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}} in spec["volumes"]
    assert [
        n for n, labels in result.node_labels.items() if "openstack-compute-node" in labels
    ] == ["node4", "node5"]


def test_daemonset_replicas_are_ignored_with_warning():
    patch = {"replicas": {**load("topology")["replicas"], "nova-compute": 5}}
    result = sample(topology_patch=patch)
    assert any("replicas.nova-compute: ignored for a DaemonSet" in w for w in result.warnings)
    assert "replicas" not in find(result.objects, "DaemonSet", "nova-compute")["spec"]


def test_rabbitmq_instances_rpc_and_notifications():
    objects = sample().objects
    for name, mirroring in (("rpc", "false"), ("notifications", "true")):
        deployment = find(objects, "Deployment", name)
        assert deployment["metadata"]["labels"]["stacksalt.io/service-def"] == "rabbitmq"
        service = find(objects, "Service", name)
        assert service["spec"]["selector"]["app.kubernetes.io/name"] == name
        config = yaml.safe_load(find(objects, "ConfigMap", f"{name}-config")["data"]["config.yaml"])
        assert str(config["rabbitmq"]["queue_mirroring"]).lower() == mirroring
    assert find(objects, "Deployment", "rpc")["spec"]["replicas"] == 3
    assert find(objects, "Deployment", "notifications")["spec"]["replicas"] == 1


def _decoded_secrets(objects):
    return "".join(
        base64.b64decode(v).decode()
        for o in objects
        if o["kind"] == "Secret"
        for v in o.get("data", {}).values()
    )


def test_credentials_only_in_secrets():
    objects = sample().objects
    configmaps = yaml.safe_dump([o for o in objects if o["kind"] == "ConfigMap"])
    secrets = _decoded_secrets(objects)
    for value in ("s3cr3t-root", "s3cr3t-rabbit", "from-configs-must-move", "fixture-key"):
        assert value not in configmaps
        assert value in secrets
    keystone_secret = find(objects, "Secret", "keystone-secret")["data"]["secret-config.yaml"]
    data = yaml.safe_load(base64.b64decode(keystone_secret))
    assert data["keystone"]["admin_password"] == "from-configs-must-move-to-a-secret"
    assert data["db"]["root_password"] == "s3cr3t-root"


def _hashes(objects):
    return {
        o["metadata"]["name"]: o["spec"]["template"]["metadata"]["annotations"][
            CONFIG_HASH_ANNOTATION
        ]
        for o in objects
        if o["kind"] in ("Deployment", "DaemonSet", "StatefulSet")
    }


def test_config_hash_rolls_only_affected_pods():
    base = _hashes(sample().objects)
    assert base == _hashes(sample().objects)  # deterministic
    cfg = load("configs")
    cfg["keystone"]["debug"] = True
    changed = _hashes(sample(configs=cfg).objects)
    assert all(changed[n] != base[n] for n in base)  # global config: every service reads it

    topo = load("topology")
    topo["nodes"]["node[5]$"]["configs"]["nova"]["compute"]["cpu_allocation_ratio"] = 16.0
    node_changed = _hashes(sample(topology_patch={"nodes": topo["nodes"]}).objects)
    assert node_changed["nova-compute"] != base["nova-compute"]
    assert node_changed["keystone"] == base["keystone"]


def test_per_node_configs_are_published_per_node():
    nodes_cm = find(sample().objects, "ConfigMap", "stacksalt-nodes-config")
    assert yaml.safe_load(nodes_cm["data"]["node5.yaml"]) == {
        "nova": {"compute": {"cpu_allocation_ratio": 8.0}}
    }
    assert yaml.safe_load(nodes_cm["data"]["node4.yaml"])["nova"]["compute"] == {
        "cpu_allocation_ratio": 4.0
    }
    assert yaml.safe_load(nodes_cm["data"]["node1.yaml"]) == {}


@pytest.mark.parametrize(
    ("name", "images", "expected"),
    [
        ("keystone", {"registry": "127.0.0.1:31500"}, "127.0.0.1:31500/ccp/keystone:latest"),
        (
            "keystone",
            {"registry": "reg:5000/", "namespace": "os", "tag": "t"},
            "reg:5000/os/keystone:t",
        ),
        ("keystone", {}, "ccp/keystone:latest"),
        ("galera", {"tag": "a", "tags": {"galera": "b"}}, "ccp/galera:b"),
    ],
)
def test_image_ref(name, images, expected):
    assert image_ref(name, images) == expected


@pytest.mark.parametrize(
    ("instance", "definition", "command", "expected"),
    [
        ("keystone", "keystone", "keystone-db-sync", "keystone-db-sync"),
        ("keystone", "keystone", "db-sync", "db-sync"),
        ("rpc", "rabbitmq", "rabbitmq-bootstrap", "rpc-bootstrap"),
        ("rpc", "rabbitmq", "cluster-check", "rpc-cluster-check"),
        ("rpc", "rabbitmq", "rpc-init", "rpc-init"),
    ],
)
def test_job_name(instance, definition, command, expected):
    assert job_name(instance, definition, command) == expected


def test_single_commands_become_jobs_with_dependencies():
    objects = sample().objects
    create = find(objects, "Job", "keystone-db-create")
    sync = find(objects, "Job", "keystone-db-sync")
    boot = find(objects, "Job", "keystone-bootstrap")
    ann = "stacksalt.io/dependencies"
    assert create["spec"]["template"]["metadata"]["annotations"][ann] == "service/database"
    assert sync["spec"]["template"]["metadata"]["annotations"][ann] == "job/keystone-db-create"
    assert boot["spec"]["template"]["metadata"]["annotations"][ann] == "service/keystone"
    keystone = find(objects, "Deployment", "keystone")
    assert keystone["spec"]["template"]["metadata"]["annotations"][ann] == (
        "job/keystone-db-create,job/keystone-db-sync,service/memcached"
    )
    assert pod(create)["restartPolicy"] == "OnFailure"
    assert pod(create)["containers"][0]["command"] == [
        "/bin/sh",
        "-c",
        "/opt/ccp/bin/create-db.sh keystone",
    ]
    # Job pods must not be selected by the keystone Service or counted as keystone pods
    labels = create["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "keystone-db-create"


def test_services_ports_nodeport_headless():
    objects = sample().objects
    keystone = find(objects, "Service", "keystone")
    assert keystone["spec"]["type"] == "NodePort"
    assert [(p["port"], p.get("nodePort")) for p in keystone["spec"]["ports"]] == [
        (35357, None),
        (5000, 30500),
    ]
    assert find(objects, "Service", "etcd")["spec"]["clusterIP"] == "None"
    assert find(objects, "Service", "memcached")["spec"]["type"] == "ClusterIP"
    headless = find(objects, "Service", "database-headless")["spec"]
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
    assert not any(
        o["kind"] == "Service" and o["metadata"]["name"] == "nova-compute" for o in objects
    )


def test_probes_become_exec_or_http():
    keystone = pod(find(sample().objects, "Deployment", "keystone"))["containers"][0]
    assert keystone["readinessProbe"]["httpGet"] == {"path": "/v3", "port": 5000, "scheme": "HTTP"}
    assert keystone["livenessProbe"]["exec"]["command"] == [
        "/bin/sh",
        "-c",
        "curl -sf http://127.0.0.1:5000/v3",
    ]


def test_ingress_tls_per_port_and_domains():
    result = sample()
    ingress = find(result.objects, "Ingress", "keystone-identity")
    assert ingress["spec"]["tls"] == [
        {"hosts": ["identity.external"], "secretName": "stacksalt-ingress-tls"}
    ]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"service": {"name": "keystone", "port": {"number": 5000}}}
    assert find(result.objects, "Secret", "stacksalt-ingress-tls")["type"] == "kubernetes.io/tls"
    assert domains_list(load("configs")) == ["identity-admin.external", "identity.external"]


def test_ingress_disabled_renders_none_and_tls_is_mandatory():
    cfg = load("configs")
    cfg["ingress"]["enabled"] = False
    assert not [o for o in sample(configs=cfg).objects if o["kind"] == "Ingress"]
    topo = resolve_topology(load("topology"), NODES)
    with pytest.raises(RenderError, match="TLS is mandatory"):
        render(definitions(), topo, load("configs"), {}, IMAGES)
    existing = render(
        definitions(),
        topo,
        load("configs"),
        {},
        IMAGES,
        ingress={"enabled": True, "tls_secret": "wildcard"},
    )
    assert not [o for o in existing.objects if o["metadata"]["name"] == "stacksalt-ingress-tls"]
    problems = validate_objects(
        existing.objects, existing.node_labels, external=[("Secret", "wildcard")]
    )
    assert problems == [], "\n".join(map(str, problems))


def test_domains_list_matches_ccp_default_catalog():
    subs = [
        "application-catalog",
        "identity",
        "orchestration",
        "image",
        "object-store",
        "network",
        "ironic",
        "volume",
        "console",
        "data-processing",
        "horizon",
        "compute",
        "search",
    ]
    cfg = {f"svc{i}": {"public_port": {"cont": 1000 + i, "ingress": s}} for i, s in enumerate(subs)}
    assert domains_list(cfg) == sorted(f"{s}.external" for s in subs)
    cfg["ingress"] = {"domain": "ccp-2.example"}
    assert "identity.ccp-2.example" in domains_list(cfg)


def test_parallel_environments_are_isolated():
    one, two = sample("ccp-1"), sample("ccp-2")
    assert {o["metadata"].get("namespace") for o in two.objects} == {None, "ccp-2"}
    assert set(one.node_labels["node1"]).isdisjoint(
        k for k in two.node_labels["node1"] if ".stacksalt.io/" in k
    )
    assert any("parallel environments need their own domain" in w for w in two.warnings)
    # both environments ask for nodePort 30500: validating them together shows the clash
    clashes = [p for p in validate_objects(one.objects + two.objects) if p.key.endswith("nodePort")]
    assert [str(p) for p in clashes] == [
        "Service/keystone: spec.ports[1].nodePort: 30500 is already used by Service/keystone"
    ]


def test_components_subset_and_missing_definition():
    result = sample(options=RenderOptions(components=["memcached"]))
    workloads = [
        o for o in result.objects if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")
    ]
    assert [o["metadata"]["name"] for o in workloads] == ["memcached"]
    with pytest.raises(RenderError, match="components not in the topology: horizon"):
        sample(options=RenderOptions(components=["horizon"]))
    topo = resolve_topology(load("topology"), NODES)
    defs = definitions()
    del defs["galera"]
    with pytest.raises(RenderError, match="no service definition for: galera"):
        render(defs, topo, {}, {}, IMAGES)


def test_port_reference_must_resolve():
    topo = resolve_topology(load("topology"), NODES)
    cfg = load("configs")
    del cfg["keystone"]["public_port"]
    cfg["ingress"]["enabled"] = False
    with pytest.raises(RenderError, match=r"'keystone\.public_port' does not exist"):
        render(definitions(), topo, cfg, {}, IMAGES)


def test_registry_credentials_become_pull_secret():
    topo = resolve_topology(load("topology"), NODES)
    cfg = load("configs")
    cfg["ingress"]["enabled"] = False
    images = {**IMAGES, "username": "ci", "password": "registry-pass"}
    result = render(definitions(), topo, cfg, {}, images)
    secret = find(result.objects, "Secret", "stacksalt-registry")
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    assert "registry-pass" in _decoded_secrets([secret])
    assert pod(find(result.objects, "Deployment", "keystone"))["imagePullSecrets"] == [
        {"name": "stacksalt-registry"}
    ]
    assert validate_objects(result.objects, result.node_labels) == []


def test_objects_do_not_share_dicts():
    objects = sample().objects
    job = find(objects, "Job", "keystone-bootstrap")
    job["metadata"]["labels"]["x"] = "y"
    assert "x" not in job["spec"]["template"]["metadata"]["labels"]


# ----------------------------------------------------------------- the waiter script


def _run_waiter(tmp_path, ready, deps, timeout):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    # fake kubectl: `get pods ... -l name=X,...` prints True if X ready; `get job X` prints 1
    kubectl.write_text(
        "#!/bin/sh\n"
        f"READY='{' '.join(ready)}'\n"
        'case "$2" in\n'
        '  pods) sel="$6"; name="${sel#*=}"; name="${name%%,*}";;\n'
        '  job) name="$5";;\n'
        "esac\n"
        "for r in $READY; do\n"
        '  if [ "$r" = "$name" ]; then\n'
        '    if [ "$2" = job ]; then echo 1; else echo True; fi; exit 0\n'
        "  fi\n"
        "done\n"
        'if [ "$2" = job ]; then echo ""; else echo False; fi\n'
    )
    kubectl.chmod(0o755)
    log = tmp_path / "termination-log"
    script = wait_script(deps, "ccp", "Deployment/keystone", timeout, 1, str(log))
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    proc = subprocess.run(
        ["/bin/sh", "-c", script], check=False, env=env, capture_output=True, text=True, timeout=30
    )
    return proc, log


def test_waiter_succeeds_when_everything_is_ready(tmp_path):
    deps = [Dependency("service", "memcached"), Dependency("job", "keystone-db-sync")]
    proc, log = _run_waiter(tmp_path, ["memcached", "keystone-db-sync"], deps, timeout=5)
    assert proc.returncode == 0, proc.stderr
    assert not log.exists()


def test_waiter_times_out_naming_what_is_missing(tmp_path):
    deps = [
        Dependency("service", "memcached"),
        Dependency("job", "keystone-db-sync"),
        Dependency("service", "database"),
    ]
    proc, log = _run_waiter(tmp_path, ["memcached"], deps, timeout=0)
    assert proc.returncode == 1
    expected = (
        "timed out after 0s waiting for Deployment/keystone: job/keystone-db-sync service/database"
    )
    assert expected in proc.stderr
    assert log.read_text().strip() == expected


def test_service_metadata_lists_files_without_secret_looking_keys():
    doc = load("nova-compute")
    doc["files"]["nova-ssh-key"] = {"path": "/var/lib/nova/.ssh/id_rsa", "content": "key.j2"}
    doc["service"]["containers"][0]["daemon"]["files"].append("nova-ssh-key")
    defs = {**definitions(), "nova-compute": validate_definition(doc)}
    cfg = load("configs")
    cfg["ingress"]["enabled"] = False
    result = render(defs, resolve_topology(load("topology"), NODES), cfg, {}, IMAGES)
    meta = yaml.safe_load(
        find(result.objects, "ConfigMap", "nova-compute-config")["data"]["service.yaml"]
    )
    assert [f["name"] for f in meta["files"]] == ["nova-ssh-key", "nova.conf"]
    assert validate_objects(result.objects, result.node_labels) == []
