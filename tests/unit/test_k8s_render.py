"""stacksalt.k8s.render on the sample (DSL 1.2.0 descriptions): workloads and Jobs running
their image's entrypoint, the pods' pillars (ConfigMap + Secret, projected), secrets, hashes,
dependencies and waiters, Services, Ingress, volumes, environments."""

import base64
import os
import subprocess

import pytest
import yaml

from stacksalt.k8s.common import CONFIG_HASH_ANNOTATION
from stacksalt.k8s.dsl import validate_definition
from stacksalt.k8s.naming import image_ref, job_name
from stacksalt.k8s.render import PILLAR_DIR, RenderError, RenderOptions, domains_list, render
from stacksalt.k8s.topology import resolve_topology
from stacksalt.k8s.validate import validate_objects
from stacksalt.k8s.waiter import Dependency, wait_script

from .k8s_sample import (
    IMAGES,
    NODES,
    definitions,
    documents,
    find,
    load,
    options,
    pod,
    render_sample,
)

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
DEPENDENCIES = "stacksalt.io/dependencies"


def sample(namespace="ccp", **kwargs):
    return render_sample(namespace, **kwargs)


def pillar_of(objects, instance, unit):
    """A unit's pillar as its pod reads it: the ConfigMap key, then the Secret key."""
    data = yaml.safe_load(find(objects, "ConfigMap", f"{instance}-pillar")["data"][f"{unit}.yaml"])
    secret = [o for o in objects if o["metadata"]["name"] == f"{instance}-pillar-secret"]
    raw = secret[0]["data"].get(f"{unit}.yaml") if secret else None
    return data, yaml.safe_load(base64.b64decode(raw)) if raw else {}


def containers(objects):
    for obj in objects:
        if obj["kind"] in WORKLOADS:
            for c in pod(obj)["containers"]:
                yield obj, c


def test_full_sample_renders_and_passes_schema_and_semantic_validation():
    result = sample()
    problems = validate_objects(result.objects, result.node_labels)
    assert problems == [], "\n".join(map(str, problems))
    kinds = {(o["kind"], o["metadata"]["name"]) for o in result.objects}
    for expected in [
        ("Namespace", "ccp"),
        ("Deployment", "keystone"),
        ("Deployment", "memcached"),
        ("StatefulSet", "database"),
        ("StatefulSet", "etcd"),
        ("StatefulSet", "rpc"),
        ("StatefulSet", "notifications"),
        ("DaemonSet", "nova-compute"),
        ("Service", "database-headless"),
        ("Job", "keystone-db-create"),
        ("Job", "keystone-db-sync"),
        ("Job", "keystone-bootstrap"),
        ("Ingress", "keystone-identity"),
        ("ConfigMap", "keystone-pillar"),
        ("Secret", "keystone-pillar-secret"),
        ("PersistentVolumeClaim", "keystone-fernet-keys"),
    ]:
        assert expected in kinds
    assert all(
        o["metadata"]["namespace"] == "ccp" for o in result.objects if o["kind"] != "Namespace"
    )


def test_every_container_runs_its_image_entrypoint():
    """No container sets ``command`` (it would replace stacksalt-entrypoint): a daemon of the
    image's CMD has no args, a daemon with an argv or a Job has them as ``args``."""
    objects = sample().objects
    args = {(o["metadata"]["name"], c["name"]): c.get("args") for o, c in containers(objects)}
    assert not [c for _o, c in containers(objects) if "command" in c]
    assert args[("database", "galera")] is None
    assert args[("database", "galera-haproxy")] == [
        "/usr/sbin/haproxy",
        "-f",
        "/etc/haproxy/haproxy.cfg",
        "-db",
    ]
    assert args[("keystone-db-create", "keystone-db-create")] == ["--apply", "openstack.database"]
    assert args[("keystone-db-sync", "keystone-db-sync")] == ["--apply", "keystone.server.db_sync"]
    assert args[("keystone-bootstrap", "keystone-bootstrap")] == [
        "--apply",
        "keystone.server.bootstrap",
    ]
    # only the dependency waiters (the kubectl image, no entrypoint) run a command
    inits = [c for o in objects if o["kind"] in WORKLOADS for c in pod(o).get("initContainers", [])]
    assert inits and all(c["image"].endswith("/kubectl:newton") for c in inits)


def test_each_container_reads_its_own_pillar_keys():
    objects = sample().objects
    database = pod(find(objects, "StatefulSet", "database"))
    mounts = {c["name"]: c["volumeMounts"][0] for c in database["containers"]}
    assert mounts == {
        "galera": {"name": "stacksalt-pillar", "mountPath": PILLAR_DIR, "readOnly": True},
        "galera-haproxy": {
            "name": "stacksalt-pillar-galera-haproxy",
            "mountPath": PILLAR_DIR,
            "readOnly": True,
        },
    }
    volumes = {v["name"]: v for v in database["volumes"]}
    assert volumes["stacksalt-pillar"]["projected"] == {
        "sources": [
            {
                "configMap": {
                    "name": "database-pillar",
                    "items": [{"key": "galera.yaml", "path": "10-pillar.yaml"}],
                }
            }
        ],
        "defaultMode": 0o444,
    }
    assert volumes["stacksalt-pillar-galera-haproxy"]["projected"]["sources"] == [
        {
            "configMap": {
                "name": "database-pillar",
                "items": [{"key": "galera-haproxy.yaml", "path": "10-pillar.yaml"}],
            }
        }
    ]
    # a unit with secrets also reads its Secret key, owner-read only
    keystone = pod(find(objects, "Deployment", "keystone"))["volumes"][0]["projected"]["sources"]
    assert keystone[1] == {
        "secret": {
            "name": "keystone-pillar-secret",
            "items": [{"key": "keystone.yaml", "path": "20-secret.yaml", "mode": 0o400}],
        }
    }


def test_the_pillar_template_is_rendered_with_the_topology():
    objects = sample().objects
    galera, _ = pillar_of(objects, "database", "galera")
    server = galera["galera"]["server"]
    assert server["cluster_name"] == "database"  # {{ name }}: the instance
    assert server["cluster_size"] == 3  # {{ replicas }}, an integer
    assert server["name"] == "$(POD_NAME)"  # left for the entrypoint
    assert server["bind"] == {"address": "$(POD_IP)"}
    assert server["members"] == [
        {
            "name": f"database-{i}",
            "address": f"database-{i}.database-headless.ccp.svc.cluster.local",
        }
        for i in range(3)
    ]
    assert server["etcd"]["endpoints"] == ["http://etcd.ccp.svc.cluster.local:2379"]
    etcd, _ = pillar_of(objects, "etcd", "etcd")
    assert etcd["etcd"]["server"]["members"] == [
        {"name": "etcd-0", "host": "etcd-0.etcd.ccp.svc.cluster.local"}  # headless itself
    ]
    keystone, _ = pillar_of(objects, "keystone", "keystone")
    assert keystone["keystone"]["server"]["message_queue"]["members"] == [
        {"host": f"rpc-{i}.rpc-headless.ccp.svc.cluster.local", "port": 5672} for i in range(3)
    ]
    assert keystone["keystone"]["server"]["debug"] is False  # the model's configs merged in


def test_galera_statefulset_three_replicas_with_local_antiaffinity():
    galera = find(sample().objects, "StatefulSet", "database")
    assert galera["spec"]["replicas"] == 3
    assert galera["spec"]["serviceName"] == "database-headless"
    assert galera["spec"]["podManagementPolicy"] == "Parallel"
    assert pod(galera)["subdomain"] == "database-headless"  # <pod>.<subdomain> resolves
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
    cfg = load("configs")
    cfg["ingress"]["enabled"] = False
    result = sample(configs=cfg, defs=defs)
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


def test_capabilities_are_added():
    memcached = pod(find(sample().objects, "Deployment", "memcached"))["containers"][0]
    assert memcached["securityContext"] == {"capabilities": {"add": ["IPC_LOCK"]}}


def test_daemonset_replicas_are_ignored_with_warning():
    patch = {"replicas": {**load("topology")["replicas"], "nova-compute": 5}}
    result = sample(topology_patch=patch)
    assert any("replicas.nova-compute: ignored for a DaemonSet" in w for w in result.warnings)
    assert "replicas" not in find(result.objects, "DaemonSet", "nova-compute")["spec"]


def test_rabbitmq_instances_rpc_and_notifications():
    objects = sample().objects
    for name, mirroring, replicas in (("rpc", False, 3), ("notifications", True, 1)):
        sts = find(objects, "StatefulSet", name)
        assert sts["metadata"]["labels"]["stacksalt.io/service-def"] == "rabbitmq"
        assert sts["spec"]["replicas"] == replicas
        assert sts["spec"]["podManagementPolicy"] == "OrderedReady"
        assert find(objects, "Service", name)["spec"]["selector"]["app.kubernetes.io/name"] == name
        headless = find(objects, "Service", f"{name}-headless")["spec"]
        assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
        public, secret = pillar_of(objects, name, "rabbitmq")
        server = public["rabbitmq"]["server"]
        main = server["instances"]["main"]
        assert main["cluster_name"] == name
        assert main["queue_mirroring"] is mirroring  # the instance's own configs
        assert main["members"] == [
            f"rabbit@{name}-{i}.{name}-headless.ccp.svc.cluster.local" for i in range(replicas)
        ]
        assert server["hostname"] == f"$(POD_NAME).{name}-headless.ccp.svc.cluster.local"
        assert secret == {
            "rabbitmq": {"server": {"instances": {"main": {"cookie": "S3CR3TRABBITCOOKIE"}}}}
        }


def test_env_is_the_downward_api_then_the_description():
    objects = sample().objects
    rabbit = pod(find(objects, "StatefulSet", "rpc"))["containers"][0]["env"]
    assert [e["name"] for e in rabbit] == [
        "NODE_NAME",
        "POD_NAME",
        "POD_NAMESPACE",
        "POD_IP",
        "RABBITMQ_LOGS",
    ]
    assert rabbit[3] == {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
    assert rabbit[4] == {"name": "RABBITMQ_LOGS", "value": "-"}
    doc = load("memcached")
    doc["service"]["containers"][0]["env"] = [{"name": "POD_IP", "value": "0.0.0.0"}]
    defs = {**definitions(), "memcached": validate_definition(doc)}
    env = pod(find(sample(defs=defs).objects, "Deployment", "memcached"))["containers"][0]["env"]
    assert [e["name"] for e in env] == ["NODE_NAME", "POD_NAME", "POD_NAMESPACE", "POD_IP"]
    assert env[-1] == {"name": "POD_IP", "value": "0.0.0.0"}  # the description's wins


def _decoded_secrets(objects):
    return "".join(
        base64.b64decode(v).decode()
        for o in objects
        if o["kind"] == "Secret"
        for v in o.get("data", {}).values()
    )


def test_credentials_only_in_secrets():
    objects = sample().objects
    plain = yaml.safe_dump([o for o in objects if o["kind"] != "Secret"])
    secrets = _decoded_secrets(objects)
    for value in (
        "s3cr3t-keystone-db",
        "s3cr3t-root",
        "S3CR3TRABBITCOOKIE",
        "from-configs-must-move",
        "fixture-key",
    ):
        assert value not in plain
        assert value in secrets
    public, secret = pillar_of(objects, "keystone", "keystone")
    # a secret-named key of the configs, and a plain key whose value holds a secret value
    assert secret["keystone"]["server"]["admin_token"] == "from-configs-must-move-to-a-secret"
    assert secret["keystone"]["server"]["database"] == {
        "password": "s3cr3t-keystone-db",
        "connection": "mysql+pymysql://keystone:s3cr3t-keystone-db@database/keystone",
    }
    assert public["keystone"]["server"]["database"] == {
        "host": "database.ccp.svc.cluster.local",
        "port": 3306,
    }
    # the database Job's own template: its formulas only, the model's values for them
    job, job_secret = pillar_of(objects, "keystone", "keystone-db-create")
    assert sorted(job) == ["keystone", "openstack"] and sorted(job_secret) == sorted(job)
    assert job_secret["openstack"]["database"]["admin"] == {"password": "s3cr3t-root"}
    # a pillar without a secret has no Secret key and its pods project none
    assert not [o for o in objects if o["metadata"]["name"] == "memcached-pillar-secret"]


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
    cfg["keystone"]["server"]["debug"] = True
    changed = _hashes(sample(configs=cfg).objects)
    # only keystone's pillar holds keystone's configs
    assert [n for n in base if changed[n] != base[n]] == ["keystone"]

    secrets = load("secret_configs")
    secrets["rabbitmq"]["server"]["instances"]["main"]["cookie"] = "ANOTHERCOOKIEVALUE"
    rotated = _hashes(sample(secret_configs=secrets).objects)
    assert sorted(n for n in base if rotated[n] != base[n]) == ["notifications", "rpc"]

    topo = load("topology")
    topo["nodes"]["node[5]$"]["configs"]["nova"]["compute"]["cpu_allocation_ratio"] = 16.0
    node_changed = _hashes(sample(topology_patch={"nodes": topo["nodes"]}).objects)
    assert [n for n in base if node_changed[n] != base[n]] == ["nova-compute"]


def test_per_node_configs_are_each_nodes_own_pillar_file():
    objects = sample().objects
    data = find(objects, "ConfigMap", "nova-compute-pillar")["data"]
    assert sorted(data) == [
        "nova-compute.node.node4.yaml",
        "nova-compute.node.node5.yaml",
        "nova-compute.yaml",
    ]
    assert yaml.safe_load(data["nova-compute.node.node5.yaml"]) == {
        "nova": {"compute": {"cpu_allocation_ratio": 8.0}}
    }
    assert yaml.safe_load(data["nova-compute.node.node4.yaml"]) == {
        "nova": {"compute": {"cpu_allocation_ratio": 4.0}}
    }
    # every pod projects every node's file; the entrypoint merges only its own node's
    sources = pod(find(objects, "DaemonSet", "nova-compute"))["volumes"][0]["projected"]["sources"]
    assert [s["configMap"]["items"][0]["path"] for s in sources] == [
        "10-pillar.yaml",
        "node.node4.yaml",
        "node.node5.yaml",
    ]
    # the global value reaches the common file (the nodes' own values win at start)
    common = yaml.safe_load(data["nova-compute.yaml"])["nova"]["compute"]
    assert common["cpu_allocation_ratio"] == 1.0 and common["host"] == "$(NODE_NAME)"


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
    assert create["spec"]["template"]["metadata"]["annotations"][DEPENDENCIES] == "service/database"
    assert sync["spec"]["template"]["metadata"]["annotations"][DEPENDENCIES] == (
        "job/keystone-db-create"
    )
    assert boot["spec"]["template"]["metadata"]["annotations"][DEPENDENCIES] == "service/keystone"
    keystone = find(objects, "Deployment", "keystone")
    assert keystone["spec"]["template"]["metadata"]["annotations"][DEPENDENCIES] == (
        "job/keystone-db-create,job/keystone-db-sync,service/memcached"
    )
    assert pod(create)["restartPolicy"] == "OnFailure"
    job = pod(create)["containers"][0]
    assert job["image"] == "127.0.0.1:31500/ccp/keystone:newton"
    assert job["args"] == ["--apply", "openstack.database"] and "command" not in job
    assert "readinessProbe" not in job and "livenessProbe" not in job
    # the Job reads its own pillar key; a Job without a template reads its container's
    projected = pod(create)["volumes"][0]["projected"]["sources"]
    assert projected[0]["configMap"]["items"] == [
        {"key": "keystone-db-create.yaml", "path": "10-pillar.yaml"}
    ]
    assert pillar_of(objects, "keystone", "keystone-db-sync") == pillar_of(
        objects, "keystone", "keystone"
    )
    # only the container's own volumes: no pillar volume of another container
    assert [v["name"] for v in pod(create)["volumes"]] == [
        "stacksalt-pillar",
        "keystone-logs",
        "fernet-keys",
    ]
    # Job pods must not be selected by the keystone Service or counted as keystone pods
    labels = create["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "keystone-db-create"


def test_external_instances_satisfy_dependencies_and_the_model_gives_their_addresses():
    """An instance run by the hosts (ccp:control:external) is awaited by no waiter; the
    model's value replaces the template's expression (there are no pods to ask for)."""
    cfg = load("configs")
    hosts = [{"host": f"10.0.0.{i}", "port": 5672} for i in (11, 12, 13)]
    cfg["keystone"]["server"]["message_queue"] = {"members": hosts}
    result = sample(
        configs=cfg,
        topology_patch={"roles": {"controller": ["memcached", "keystone"], "compute": []}},
        options=options(external=("database", "etcd", "rpc")),
        defs={k: v for k, v in definitions().items() if k in ("memcached", "keystone")},
    )
    create = find(result.objects, "Job", "keystone-db-create")["spec"]["template"]
    assert DEPENDENCIES not in create["metadata"]["annotations"]
    assert "initContainers" not in create["spec"]
    deployment = find(result.objects, "Deployment", "keystone")["spec"]["template"]
    assert deployment["metadata"]["annotations"][DEPENDENCIES] == (
        "job/keystone-db-create,job/keystone-db-sync,service/memcached"
    )
    public, _ = pillar_of(result.objects, "keystone", "keystone")
    assert public["keystone"]["server"]["message_queue"]["members"] == hosts


def test_shared_volume_is_one_claim_for_every_replica():
    objects = sample().objects
    claim = find(objects, "PersistentVolumeClaim", "keystone-fernet-keys")["spec"]
    assert claim == {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": "1Gi"}},
    }
    volumes = pod(find(objects, "Deployment", "keystone"))["volumes"]
    assert {
        "name": "fernet-keys",
        "persistentVolumeClaim": {"claimName": "keystone-fernet-keys"},
    } in (volumes)
    rabbit = pod(find(objects, "StatefulSet", "rpc"))["volumes"]
    assert {"name": "rabbitmq-logs", "emptyDir": {}} in rabbit


def test_services_ports_nodeport_headless():
    objects = sample().objects
    keystone = find(objects, "Service", "keystone")
    assert keystone["spec"]["type"] == "NodePort"
    assert [(p["port"], p.get("nodePort")) for p in keystone["spec"]["ports"]] == [
        (35357, None),
        (5000, 30500),
    ]
    etcd = find(objects, "Service", "etcd")["spec"]
    assert etcd["clusterIP"] == "None" and etcd["publishNotReadyAddresses"] is True
    assert [p["name"] for p in etcd["ports"]] == ["client", "peer"]
    assert find(objects, "Service", "memcached")["spec"]["type"] == "ClusterIP"
    headless = find(objects, "Service", "database-headless")["spec"]
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
    assert not any(
        o["kind"] == "Service" and o["metadata"]["name"] == "nova-compute" for o in objects
    )


def test_probes_become_http_tcp_or_exec():
    keystone = pod(find(sample().objects, "Deployment", "keystone"))["containers"][0]
    assert keystone["readinessProbe"] == {
        "httpGet": {"path": "/v3", "port": 5000, "scheme": "HTTP"},
        "initialDelaySeconds": 10,
        "timeoutSeconds": 5,
        "periodSeconds": 5,
    }
    assert keystone["livenessProbe"]["tcpSocket"] == {"port": 5000}
    assert keystone["livenessProbe"]["initialDelaySeconds"] == 60
    doc = load("etcd")
    doc["service"]["containers"][0]["probes"]["readiness"] = "etcdctl endpoint health"
    defs = {**definitions(), "etcd": validate_definition(doc)}
    etcd = pod(find(sample(defs=defs).objects, "StatefulSet", "etcd"))["containers"][0]
    assert etcd["readinessProbe"]["exec"] == {
        "command": ["/bin/sh", "-c", "etcdctl endpoint health"]
    }


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
    secrets = load("secret_configs")
    with pytest.raises(RenderError, match="TLS is mandatory"):
        render(definitions(), topo, load("configs"), secrets, IMAGES)
    existing = render(
        definitions(),
        topo,
        load("configs"),
        secrets,
        IMAGES,
        ingress={"enabled": True, "tls_secret": "wildcard"},
        options=options(),
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
    # each environment's pods find their peers in their own namespace
    members = yaml.safe_load(find(two.objects, "ConfigMap", "etcd-pillar")["data"]["etcd.yaml"])
    assert members["etcd"]["server"]["members"][0]["host"] == "etcd-0.etcd.ccp-2.svc.cluster.local"
    # both environments ask for nodePort 30500: validating them together shows the clash
    clashes = [p for p in validate_objects(one.objects + two.objects) if p.key.endswith("nodePort")]
    assert [str(p) for p in clashes] == [
        "Service/keystone: spec.ports[1].nodePort: 30500 is already used by Service/keystone"
    ]


def test_components_subset_and_missing_definition():
    result = sample(options=options(components=["memcached"]))
    workloads = [o for o in result.objects if o["kind"] in WORKLOADS]
    assert [o["metadata"]["name"] for o in workloads] == ["memcached"]
    with pytest.raises(RenderError, match="components not in the topology: horizon"):
        sample(options=RenderOptions(components=["horizon"]))
    topo = resolve_topology(load("topology"), NODES)
    defs = definitions()
    del defs["galera"]
    with pytest.raises(RenderError, match="no service definition for: galera"):
        render(defs, topo, {}, {}, IMAGES)


def test_port_reference_must_resolve():
    cfg = load("configs")
    del cfg["keystone"]["public_port"]
    cfg["ingress"]["enabled"] = False
    with pytest.raises(RenderError, match=r"'keystone\.public_port' does not exist"):
        sample(configs=cfg)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "{{ address() }}",
            "service 'memcached' (its description): memcached.pillar.memcached.server.x: "
            "'{{ address() }}':",
        ),
        (
            "{{ nope }}",
            "memcached.pillar.memcached.server.x: '{{ nope }}': 'nope' is undefined",
        ),
        ("{{ peers() }}", "memcached.pillar.memcached.server.x: peers of 'memcached': only a"),
        ("{{ name ", "memcached.pillar.memcached.server.x: '{{ name ':"),
    ],
)
def test_a_template_that_does_not_render_names_service_unit_and_key(template, message):
    doc = load("memcached")
    doc["service"]["containers"][0]["pillar"]["memcached"]["server"]["x"] = template
    defs = {**definitions(), "memcached": validate_definition(doc)}
    with pytest.raises(RenderError) as err:
        sample(defs=defs)
    assert message in str(err.value)


def test_registry_credentials_become_pull_secret():
    cfg = load("configs")
    cfg["ingress"]["enabled"] = False
    images = {**IMAGES, "username": "ci", "password": "registry-pass"}
    result = sample(configs=cfg, images=images)
    secret = find(result.objects, "Secret", "stacksalt-registry")
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    assert "registry-pass" in _decoded_secrets([secret])
    assert pod(find(result.objects, "Deployment", "keystone"))["imagePullSecrets"] == [
        {"name": "stacksalt-registry"}
    ]
    assert pod(find(result.objects, "Job", "keystone-db-sync"))["imagePullSecrets"] == [
        {"name": "stacksalt-registry"}
    ]
    assert validate_objects(result.objects, result.node_labels) == []


def test_objects_do_not_share_dicts():
    objects = sample().objects
    job = find(objects, "Job", "keystone-bootstrap")
    job["metadata"]["labels"]["x"] = "y"
    assert "x" not in job["spec"]["template"]["metadata"]["labels"]


def test_raw_documents_are_validated_by_render():
    topo = resolve_topology(load("topology"), NODES)
    cfg = load("configs")
    cfg["ingress"]["enabled"] = False
    result = render(documents(), topo, cfg, load("secret_configs"), IMAGES, options=options())
    assert find(result.objects, "Deployment", "keystone")
    docs = documents()
    docs["galera"] = docs["etcd"]
    with pytest.raises(RenderError, match="definitions\\['galera'\\] defines service 'etcd'"):
        render(docs, topo, cfg, {}, IMAGES)


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
