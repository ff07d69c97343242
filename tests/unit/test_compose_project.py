"""stacksalt.compose.project (pure): the local run as a projection of the rendered Kubernetes
objects. The sample environment (tests/unit/k8s_corpus/sample/) is rendered and projected on
five local nodes; each test reads the compose file, the pillar files and the pods.

The golden compose file of the production cluster's stateful services is compared with a
readable diff; regenerate it after an intended change with::

    STACKSALT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_compose_project.py
"""

from __future__ import annotations

import base64
import copy
import difflib
import json
import os
from pathlib import Path

import pytest
import yaml

from stacksalt.compose import project, runner
from stacksalt.compose.project import LocalNode, ProjectionError, Settings
from stacksalt.k8s.dsl import validate_definition
from stacksalt.k8s.workload import build

from .k8s_model import golden_project, workload
from .k8s_sample import definitions, find, load, options, pod, render_sample

GOLDEN = Path(__file__).parent / "golden" / "compose.production-stateful.yml"
UPDATE = bool(os.environ.get("STACKSALT_UPDATE_GOLDEN"))
FILES = "/state/compose/test/files"
SETTINGS = Settings(
    cluster="test",
    namespace="ccp",
    cluster_domain="cluster.local",
    subnet="10.0.0.0/24",
    network="stacksalt-compose-test",
    external_network=False,
    holder_image="ccp/salt-base:newton",
    files_dir=FILES,
)
SECRETS = ("s3cr3t-keystone-db", "s3cr3t-root", "S3CR3TRABBITCOOKIE", "from-configs-must-move")


def sample_defs(**changes):
    """The sample's definitions; nova-compute not privileged (that cannot run here), with a
    capability instead."""
    doc = load("nova-compute")
    container = doc["service"]["containers"][0]
    del container["privileged"]
    container["capabilities"] = ["SYS_ADMIN"]
    return {**definitions(), "nova-compute": validate_definition(doc), **changes}


def rendered(defs=None, **kwargs):
    return render_sample(defs=defs or sample_defs(), **kwargs)


def local_nodes(result, containers=None):
    return [
        LocalNode(name, f"10.0.0.{10 + i}", labels, (containers or {}).get(name))
        for i, (name, labels) in enumerate(sorted(result.node_labels.items()), 1)
    ]


def projected(result=None, containers=None, settings=SETTINGS):
    result = result or rendered()
    return project.project(result.objects, local_nodes(result, containers), settings)


@pytest.fixture(scope="module")
def sample():
    return projected()


def services_of(projection, pod_name):
    return {n: projection.compose["services"][n] for n in projection.pod(pod_name).services}


def one(projection, pod_name):
    (body,) = services_of(projection, pod_name).values()
    return body


# ----------------------------------------------------------------- placement


def test_pods_are_placed_as_the_scheduler_would(sample):
    where = {p.name: (p.kind, p.node) for p in sample.pods}
    # a DaemonSet on each node carrying its node selector's labels
    assert where["nova-compute-node4"] == ("DaemonSet", "node4")
    assert where["nova-compute-node5"] == ("DaemonSet", "node5")
    assert not [n for n in where if n.startswith("nova-compute-node") and n[-1] in "123"]
    # a StatefulSet's and a Deployment's replicas spread over the eligible nodes, in order
    assert [where[f"database-{i}"] for i in range(3)] == [
        ("StatefulSet", f"node{i}") for i in (1, 2, 3)
    ]
    assert [where[f"keystone-{i}"] for i in range(2)] == [
        ("Deployment", "node1"),
        ("Deployment", "node2"),
    ]
    # a Job on the first eligible node, once
    assert where["keystone-db-create"] == ("Job", "node1")
    assert sorted(n for n, (k, _) in where.items() if k == "Job") == [
        "keystone-bootstrap",
        "keystone-db-create",
        "keystone-db-sync",
    ]
    # every pod once: database 3, etcd 1, keystone 2 + 3 Jobs, memcached 1, notifications 1,
    # nova-compute 2, rpc 3
    assert len(sample.pods) == 16


def test_pod_order_and_dependencies(sample):
    rpc = [sample.pod(f"rpc-{i}") for i in range(3)]
    assert [p.ordered_after for p in rpc] == [None, "rpc-0", "rpc-1"]  # OrderedReady
    assert [sample.pod(f"database-{i}").ordered_after for i in range(3)] == [None] * 3
    assert sample.pod("keystone-0").dependencies == (
        "job/keystone-db-create",
        "job/keystone-db-sync",
        "service/memcached",
    )
    assert sample.pod("keystone-bootstrap").dependencies == ("service/keystone",)
    assert sample.pod("etcd-0").dependencies == ()


def test_replicas_without_anti_affinity_wrap_around_the_nodes():
    patch = {"replicas": {**load("topology")["replicas"], "memcached": 4}}
    out = projected(rendered(topology_patch=patch))
    assert [out.pod(f"memcached-{i}").node for i in range(4)] == [
        "node1",
        "node2",
        "node3",
        "node1",
    ]


def test_too_many_replicas_for_their_anti_affinity_are_refused():
    patch = {"replicas": {**load("topology")["replicas"], "keystone": 4}}
    with pytest.raises(ProjectionError) as err:
        projected(rendered(topology_patch=patch))
    assert str(err.value) == (
        "Deployment/keystone: 4 replicas, one per node, but only 3 eligible nodes"
    )


def test_a_workload_no_node_can_take_is_refused():
    result = rendered()
    nodes = [n for n in local_nodes(result) if n.name not in ("node4", "node5")]
    with pytest.raises(
        ProjectionError, match=r"DaemonSet/nova-compute: no node carries the labels"
    ):
        project.project(result.objects, nodes, SETTINGS)


# ----------------------------------------------------------------- addresses and names


def test_pods_get_fixed_addresses_from_the_upper_half_of_the_subnet(sample):
    addresses = [p.address for p in sample.pods if not p.host_network]
    assert addresses[0] == "10.0.0.128"
    assert addresses == [f"10.0.0.{128 + i}" for i in range(len(addresses))]
    holder = sample.compose["services"]["pod-database-0"]
    assert holder["networks"]["cluster"]["ipv4_address"] == sample.pod("database-0").address
    # hostNetwork pods have their node's address
    assert sample.pod("nova-compute-node4").address == "10.0.0.14"


def test_the_node_addresses_are_never_given_to_a_pod():
    result = rendered(options=options(components=["memcached"]))
    nodes = [
        LocalNode(n.name, f"10.0.0.{127 + i}", n.labels) for i, n in enumerate(local_nodes(result))
    ]
    out = project.project(result.objects, nodes, SETTINGS)
    # 10.0.0.127-131 are the nodes': a pod takes the next free one of the upper half
    assert [p.address for p in out.pods] == ["10.0.0.132"]


def test_an_exhausted_subnet_is_refused():
    settings = Settings(**{**SETTINGS.__dict__, "subnet": "10.0.0.0/29"})  # pods: .4 to .6
    with pytest.raises(ProjectionError, match=r"10.0.0.0/29: no address left for pod etcd-0"):
        projected(settings=settings)


def test_holders_carry_the_names_cluster_dns_would_give(sample):
    services = sample.compose["services"]
    database = services["pod-database-0"]
    assert database["hostname"] == "database-0"
    assert database["domainname"] == "database-headless.ccp.svc.cluster.local"
    assert database["entrypoint"] == ["sleep", "infinity"] and database["init"] is True
    assert database["image"] == "ccp/salt-base:newton"
    assert database["networks"]["cluster"]["aliases"] == [
        "database-0",
        "database-0.database-headless",
        "database-0.database-headless.ccp.svc.cluster.local",
        # every Service selecting it: the StatefulSet's and the headless one
        "database",
        "database.ccp",
        "database.ccp.svc",
        "database.ccp.svc.cluster.local",
        "database-headless",
        "database-headless.ccp",
        "database-headless.ccp.svc",
        "database-headless.ccp.svc.cluster.local",
    ]
    etcd = services["pod-etcd-0"]["networks"]["cluster"]["aliases"]
    assert "etcd-0.etcd.ccp.svc.cluster.local" in etcd  # a headless Service's own name
    keystone = services["pod-keystone-1"]["networks"]["cluster"]["aliases"]
    assert keystone[0] == "keystone-1" and "keystone.ccp.svc.cluster.local" in keystone
    assert "domainname" not in services["pod-keystone-1"]
    # a Job's pod is selected by no Service: its own name only
    assert services["pod-keystone-db-sync"]["networks"]["cluster"]["aliases"] == [
        "keystone-db-sync"
    ]


# ----------------------------------------------------------------- containers


def test_containers_join_their_pod_and_run_the_same_image_and_args(sample):
    services = services_of(sample, "database-1")
    assert sorted(services) == ["database-1-galera", "database-1-galera-haproxy"]
    galera, haproxy = services["database-1-galera"], services["database-1-galera-haproxy"]
    for body in (galera, haproxy):
        assert body["network_mode"] == "service:pod-database-1"
        assert body["depends_on"] == {"pod-database-1": {"condition": "service_started"}}
        assert body["image"] == "127.0.0.1:31500/ccp/galera:newton"
        assert body["restart"] == "unless-stopped"
        assert "entrypoint" not in body  # the image's entrypoint
    assert "command" not in galera  # the image's CMD
    assert haproxy["command"] == ["/usr/sbin/haproxy", "-f", "/etc/haproxy/haproxy.cfg", "-db"]
    assert galera["container_name"] == "stacksalt-compose-test-database-1-galera"
    assert galera["labels"] == {
        "io.stacksalt.pod": "database-1",
        "io.stacksalt.unit": "StatefulSet/database",
        "io.stacksalt.container": "galera",
        "io.stacksalt.readiness": galera["labels"]["io.stacksalt.readiness"],
        "io.stacksalt.liveness": galera["labels"]["io.stacksalt.liveness"],
    }


def test_a_job_runs_once_to_completion(sample):
    body = one(sample, "keystone-db-create")
    assert body["container_name"] == "stacksalt-compose-test-keystone-db-create"
    assert body["command"] == ["--apply", "openstack.database"]
    assert body["restart"] == "on-failure:6"
    assert "healthcheck" not in body


def test_a_command_replaces_the_entrypoint_and_args_are_its_command():
    result = rendered()
    deployment = find(result.objects, "Deployment", "memcached")
    pod(deployment)["containers"][0]["command"] = ["/usr/bin/memcached"]
    pod(deployment)["containers"][0]["args"] = ["-p", "11211"]
    body = one(projected(result), "memcached-0")
    assert (body["entrypoint"], body["command"]) == (["/usr/bin/memcached"], ["-p", "11211"])


def test_the_downward_api_is_resolved_for_each_pod(sample):
    for (
        name,
        node,
    ) in (("rpc-0", "node1"), ("rpc-2", "node3")):
        env = one(sample, name)["environment"]
        assert env == {
            "NODE_NAME": node,
            "POD_NAME": name,
            "POD_NAMESPACE": "ccp",
            "POD_IP": sample.pod(name).address,
            "RABBITMQ_LOGS": "-",
        }
    assert one(sample, "nova-compute-node5")["environment"]["POD_IP"] == "10.0.0.15"


def test_the_host_ip_is_the_nodes_address():
    result = rendered()
    container = pod(find(result.objects, "StatefulSet", "etcd"))["containers"][0]
    container["env"].append(
        {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}
    )
    out = projected(result)
    assert one(out, "etcd-0")["environment"]["HOST_IP"] == "10.0.0.11"  # node1's


def test_env_references_are_expanded_and_every_dollar_escaped_for_compose():
    doc = load("memcached")
    doc["service"]["containers"][0]["env"] = [
        {"name": "ME", "value": "$(POD_NAME).$(POD_NAMESPACE)"},
        {"name": "LATER", "value": "$(NOT_YET) $$(POD_NAME) $HOME"},
    ]
    doc["service"]["containers"][0]["daemon"] = {"command": ["memcached", "-n", "$(ME)"]}
    result = rendered(sample_defs(memcached=validate_definition(doc)))
    body = one(projected(result), "memcached-0")
    # as Kubernetes sets them, then '$' doubled for docker-compose's interpolation
    assert body["environment"]["ME"] == "memcached-0.ccp"
    assert body["environment"]["LATER"] == "$$(NOT_YET) $$(POD_NAME) $$HOME"
    assert body["command"] == ["memcached", "-n", "memcached-0.ccp"]


@pytest.mark.parametrize(
    ("text", "env", "expanded"),
    [
        ("$(A)-$(B)", {"A": "a", "B": "b"}, "a-b"),
        ("$(A)", {}, "$(A)"),  # undefined: left as written
        ("$$(A)", {"A": "a"}, "$(A)"),  # escaped
        ("$$$(A)", {"A": "a"}, "$a"),
        ("$(A", {"A": "a"}, "$(A"),
        ("cost: $5", {}, "cost: $5"),
        ("", {}, ""),
    ],
)
def test_expand_follows_kubernetes(text, env, expanded):
    assert project.expand(text, env) == expanded


def test_an_env_value_from_anything_but_the_downward_api_is_refused():
    result = rendered()
    container = pod(find(result.objects, "Deployment", "memcached"))["containers"][0]
    container["env"].append(
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "x", "key": "token"}}}
    )
    with pytest.raises(ProjectionError) as err:
        projected(result)
    assert str(err.value).startswith(
        "pod memcached-0: env TOKEN: only literal values and the downward API fields"
    )


def test_a_privileged_container_is_refused():
    with pytest.raises(ProjectionError) as err:
        projected(render_sample())  # the sample's nova-compute is privileged
    assert str(err.value) == (
        "DaemonSet/nova-compute pod nova-compute-node4 container nova-compute: privileged "
        "containers cannot run here"
    )


def test_capabilities_are_added(sample):
    assert one(sample, "memcached-0")["cap_add"] == ["IPC_LOCK"]
    assert one(sample, "nova-compute-node4")["cap_add"] == ["SYS_ADMIN"]
    assert "cap_add" not in one(sample, "etcd-0")


# ----------------------------------------------------------------- files and volumes


def test_pillar_volumes_become_files_with_their_modes(sample):
    result = rendered()
    configmap = find(result.objects, "ConfigMap", "keystone-pillar")["data"]
    secret = find(result.objects, "Secret", "keystone-pillar-secret")["data"]
    folder = "keystone-db-create/keystone-db-create/stacksalt-pillar"  # owner/container/volume
    assert sample.files[f"{folder}/10-pillar.yaml"] == (
        configmap["keystone-db-create.yaml"].encode(),
        0o444,  # the projected volume's defaultMode
    )
    assert sample.files[f"{folder}/20-secret.yaml"] == (
        base64.b64decode(secret["keystone-db-create.yaml"]),
        0o400,  # a Secret key: the owner only
    )
    body = one(sample, "keystone-db-create")
    assert f"{FILES}/{folder}:/run/stacksalt/pillar:ro" in body["volumes"]
    # a second container of a pod reads its own keys
    haproxy = services_of(sample, "database-0")["database-0-galera-haproxy"]
    assert haproxy["volumes"] == [
        f"{FILES}/database/galera-haproxy/stacksalt-pillar-galera-haproxy:/run/stacksalt/pillar:ro"
    ]
    # each node's own file reaches every pod of the DaemonSet; the entrypoint picks its own
    nova = "nova-compute/nova-compute/stacksalt-pillar"
    assert sorted(p for p in sample.files if p.startswith(nova)) == [
        f"{nova}/10-pillar.yaml",
        f"{nova}/node.node4.yaml",
        f"{nova}/node.node5.yaml",
    ]


def test_a_missing_configmap_or_key_is_refused():
    result = rendered()
    del find(result.objects, "ConfigMap", "keystone-pillar")["data"]["keystone-db-sync.yaml"]
    with pytest.raises(ProjectionError, match="ConfigMap keystone-pillar has no key keystone-db"):
        projected(result)
    result = rendered()
    result.objects.remove(find(result.objects, "Secret", "rpc-pillar-secret"))
    with pytest.raises(ProjectionError, match="Secret rpc-pillar-secret is not among the objects"):
        projected(result)


def test_host_path_empty_dir_and_claims_become_named_volumes(sample):
    galera = services_of(sample, "database-1")["database-1-galera"]
    assert "stacksalt-compose-test-node2-var-lib-ccp-galera:/var/lib/mysql" in galera["volumes"]
    nova = one(sample, "nova-compute-node4")["volumes"]
    assert "stacksalt-compose-test-node4-lib-modules:/lib/modules:ro" in nova  # readOnly
    rabbit = [one(sample, f"rpc-{i}")["volumes"][1] for i in range(2)]
    assert rabbit == [  # an emptyDir: each pod its own
        "stacksalt-compose-test-rpc-0-rabbitmq-logs:/var/log/rabbitmq",
        "stacksalt-compose-test-rpc-1-rabbitmq-logs:/var/log/rabbitmq",
    ]
    keys = {one(sample, f"keystone-{i}")["volumes"][-1] for i in range(2)}
    assert keys == {  # a claim: one volume for every replica
        "stacksalt-compose-test-keystone-fernet-keys:/etc/keystone/fernet-keys"
    }
    volumes = sample.compose["volumes"]
    for name in (
        "stacksalt-compose-test-node2-var-lib-ccp-galera",
        "stacksalt-compose-test-rpc-0-rabbitmq-logs",
        "stacksalt-compose-test-keystone-fernet-keys",
    ):
        assert volumes[name] == {"name": name}
    assert list(volumes) == sorted(volumes)


# ----------------------------------------------------------------- probes


@pytest.mark.parametrize(
    ("probe", "test"),
    [
        (
            {"exec": {"command": ["/bin/sh", "-c", "etcdctl endpoint health"]}},
            ["CMD", "/bin/sh", "-c", "etcdctl endpoint health"],
        ),
        (
            {"tcpSocket": {"port": 11211}},
            ["CMD", "bash", "-c", "exec 3<>/dev/tcp/10.0.0.128/11211"],
        ),
        (
            {"httpGet": {"path": "/v3", "port": 5000, "scheme": "HTTP"}},
            [
                "CMD",
                "bash",
                "-c",
                "exec 3<>/dev/tcp/10.0.0.128/5000 && printf 'GET /v3 HTTP/1.0\\r\\nHost: "
                "10.0.0.128\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' [23][0-9][0-9] '",
            ],
        ),
    ],
    ids=["exec", "tcpSocket", "httpGet"],
)
def test_probes_become_health_checks(probe, test):
    timing = {"initialDelaySeconds": 5, "timeoutSeconds": 2, "periodSeconds": 7}
    assert project.healthcheck({**probe, **timing}, "10.0.0.128") == {
        "test": test,
        "interval": "7s",
        "timeout": "7s",
        "retries": 3,
        "start_period": "5s",
    }


def test_an_unknown_probe_is_refused():
    with pytest.raises(ProjectionError, match="exec, tcpSocket or httpGet only"):
        project.healthcheck({"grpc": {"port": 1}}, "10.0.0.1")


def test_the_readiness_probe_is_the_health_check_and_both_probes_are_labels(sample):
    result = rendered()
    container = pod(find(result.objects, "Deployment", "keystone"))["containers"][0]
    body = one(sample, "keystone-1")
    labels = body["labels"]
    assert json.loads(labels["io.stacksalt.readiness"]) == container["readinessProbe"]
    assert json.loads(labels["io.stacksalt.liveness"]) == container["livenessProbe"]
    address = sample.pod("keystone-1").address
    assert body["healthcheck"] == project.healthcheck(container["readinessProbe"], address)
    assert "healthcheck" not in services_of(sample, "database-0")["database-0-galera-haproxy"]


# ----------------------------------------------------------------- host network


def test_host_network_pods_join_a_node_holder(sample):
    services = sample.compose["services"]
    assert sample.node_holders == ["node-node4", "node-node5"]
    holder = services["node-node4"]
    assert holder["hostname"] == "node4"
    assert holder["networks"]["cluster"] == {"ipv4_address": "10.0.0.14"}
    body = one(sample, "nova-compute-node4")
    assert body["network_mode"] == "service:node-node4"
    assert body["depends_on"] == {"node-node4": {"condition": "service_started"}}
    assert sample.pod("nova-compute-node4").holder is None


def test_host_network_pods_join_the_nodes_own_container():
    """When the cluster's hosts run (stacksalt up), a hostNetwork pod shares its host's."""
    out = projected(containers={"node4": "stacksalt-test-cmp01", "node5": "stacksalt-test-cmp02"})
    assert out.node_holders == []
    body = one(out, "nova-compute-node4")
    assert body["network_mode"] == "container:stacksalt-test-cmp01"
    assert "depends_on" not in body
    assert "node-node4" not in out.compose["services"]


def test_the_network_is_made_or_joined(sample):
    assert sample.compose["networks"] == {
        "cluster": {
            "name": "stacksalt-compose-test",
            "ipam": {"config": [{"subnet": "10.0.0.0/24"}]},
        }
    }
    joined = projected(settings=Settings(**{**SETTINGS.__dict__, "external_network": True}))
    assert joined.compose["networks"] == {
        "cluster": {"external": True, "name": "stacksalt-compose-test"}
    }


# ----------------------------------------------------------------- secrets


def test_the_compose_file_holds_no_secret_value(sample, tmp_path):
    text = runner.dump(sample.compose)
    secret_files = b"".join(body for body, mode in sample.files.values() if mode == 0o400)
    for value in SECRETS:
        assert value not in text
        assert value.encode() in secret_files
    for body, mode in sample.files.values():
        if any(v.encode() in body for v in SECRETS):
            assert mode == 0o400
    # written as the runner writes them: files 0400/0444 in 0700 folders, the compose file
    path = runner.write(tmp_path, "test", sample)
    assert yaml.safe_load(path.read_text()) == sample.compose
    written = runner.files_dir(tmp_path, "test")
    for rel, (body, mode) in sample.files.items():
        assert (written / rel).read_bytes() == body
        assert (written / rel).stat().st_mode & 0o777 == mode
    assert all(d.stat().st_mode & 0o777 == 0o700 for d in written.rglob("*") if d.is_dir())
    pods = json.loads((tmp_path / "compose" / "test" / "pods.json").read_text())
    assert [p["name"] for p in pods] == [p.name for p in sample.pods]


def test_the_projection_does_not_touch_the_objects():
    result = rendered()
    before = copy.deepcopy(result.objects)
    projected(result)
    assert result.objects == before


# ----------------------------------------------------------------- golden


def test_golden_compose_of_the_production_stateful_services(tmp_path):
    """The production cluster's etcd, Galera and RabbitMQ instances, projected on its nodes."""
    root = golden_project(tmp_path / "project")
    control, roots = workload(root, "production")
    control = {**control, "registry": {}}  # local images, as 'stacksalt compose' does
    components = ["etcd", "database", "rpc", "notifications"]
    result = build(control, roots, components=components)
    assert result.problems == []
    addresses = {"ctl01": "10.20.0.11", "ctl02": "10.20.0.12", "ctl03": "10.20.0.13"}
    nodes = [
        LocalNode(name, addresses.get(name, f"10.20.0.{21 + i}"), labels)
        for i, (name, labels) in enumerate(sorted(result.node_labels.items()))
    ]
    settings = Settings(
        cluster="production",
        namespace=result.namespace,
        cluster_domain="cluster.local",
        subnet="10.20.0.0/24",
        network="stacksalt-compose-production",
        external_network=False,
        holder_image="stacksalt/salt-base:latest",
        files_dir="/var/lib/stacksalt/compose/production/files",
    )
    text = runner.dump(project.project(result.objects, nodes, settings).compose)
    if UPDATE:
        GOLDEN.write_text(text)
    diff = "".join(
        difflib.unified_diff(
            GOLDEN.read_text().splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"golden/{GOLDEN.name}",
            tofile="projected",
        )
    )
    assert not diff, f"the compose file differs from the golden file:\n{diff}"
    for value in (control["secret_configs"]["rabbitmq"]["server"]["instances"]["main"]["cookie"],):
        assert value not in text


def test_a_pod_keeps_its_address_and_a_new_one_gets_one_nobody_had():
    """A run over a running project: the addresses of the last run (pods.json) stay with
    their pods, new pods never get an address an older container may still hold."""
    from stacksalt.compose.project import LocalNode, Pod, Settings, _addresses

    settings = Settings("t", "ns", "cluster.local", "10.9.0.0/24", "net", False, "img", "/x")
    nodes = [LocalNode("n1", "10.9.0.11", {})]

    def pod(name):
        return Pod(name, "Deployment", name, name, "n1", "", False, 0, {}, {}, ())

    old = [pod("a"), pod("b")]
    _addresses(settings, nodes, old)
    previous = {p.name: p.address for p in old}
    new = [pod("c"), pod("b"), pod("d")]
    _addresses(settings, nodes, new, previous)
    got = {p.name: p.address for p in new}
    assert got["b"] == previous["b"]
    assert got["c"] not in previous.values() and got["d"] not in previous.values()
    assert len(set(got.values())) == 3
