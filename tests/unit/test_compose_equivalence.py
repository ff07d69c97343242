"""The equivalence of the two renderings (issue 11, "Done when"): for both clusters, every
container the Kubernetes manifests would start (the daemon containers of every Deployment,
StatefulSet and DaemonSet pod, and every Job) runs locally with the same image, command and
arguments, environment, pillar files (content and mode), readiness probe and capabilities.

The objects are rendered and projected by ``stacksalt compose``'s own ``Plan`` on a copy of
the project (the model through ``load_control``, the registry emptied, the catalog from the
repository); only what needs Docker is replaced: the images' input hashes (no wheels, no
base image id), the local image state (none built) and the hosts' network (absent). The
local side is read only from what the runner writes: the compose file, the pillar files
under files/ and pods.json. Every fact of the manifests is derived here from the objects,
with Kubernetes' own rules (downward API, ``$(VAR)`` expansion, projected modes), and
compared; any difference fails, naming the cluster, the service, the pod and the container.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacksalt.cluster import runtime
from stacksalt.compose import cli as compose_cli
from stacksalt.compose import runner
from stacksalt.images import build as images_build
from stacksalt.images import context
from stacksalt.k8s.source import formula_roots, load_control
from stacksalt.k8s.workload import build, load_catalog

from ..conftest import copy_project

CLUSTERS = ("local", "production")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
POD = "io.stacksalt.pod"
UNIT = "io.stacksalt.unit"
CONTAINER = "io.stacksalt.container"
READINESS = "io.stacksalt.readiness"
LIVENESS = "io.stacksalt.liveness"


# ----------------------------------------------------------------- both sides


class Local:
    """What the runner wrote for one cluster: the compose file, pods.json, the files."""

    def __init__(self, state: Path, cluster: str):
        self.compose = yaml.safe_load(runner.compose_file(state, cluster).read_text())
        work = runner.workdir(state, cluster)
        self.pods = {p["name"]: p for p in json.loads((work / "pods.json").read_text())}
        self.files = runner.files_dir(state, cluster)  # where the files are
        self.written_as = self.files  # the folder the compose file mounts them from

    def copy(self, dest: Path) -> Local:
        other = copy.copy(self)
        other.compose = copy.deepcopy(self.compose)
        other.pods = copy.deepcopy(self.pods)
        other.files = dest / "files"
        shutil.copytree(self.files, other.files)
        return other


def _fake_inputs(self, image, log=print):
    """The image's inputs without Docker or wheels: its Dockerfile and formula files."""
    formulas = {
        f: {
            rel: context.sha(p.read_bytes())
            for rel, p in context.formula_files(self.root, f).items()
        }
        for f in image.formulas
    }
    return {"dockerfile": context.sha(self.dockerfile(image).encode()), "formulas": formulas}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """cluster -> (the objects compose rendered, the node label plan, what its runner wrote)."""
    base = tmp_path_factory.mktemp("equivalence")
    root = copy_project(base / "project")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(context.Project, "inputs", _fake_inputs)
        mp.setattr(images_build, "local_state", lambda project, names: (set(), {}))
        mp.setattr(compose_cli, "_network_exists", lambda name: False)
        for cluster in CLUSTERS:
            state = base / "state"
            args = argparse.Namespace(
                root=root, state=state, cluster=cluster, namespace=None, components=None
            )
            plan = compose_cli.Plan(args, log=lambda _line: None)
            runner.write(state, cluster, plan.projection)
            nodes = _nodes(root, cluster)
            out[cluster] = (plan.objects, nodes, Local(state, cluster))
    return out


def _nodes(root: Path, cluster: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Each Kubernetes node: its address (the model's host) and the labels the manifests ask
    of it (the render's node label plan)."""
    _node, control = load_control(root, cluster)
    roots = formula_roots(root)
    built = build({**control, "registry": {}}, roots, catalog=load_catalog(roots), validate=False)
    hosts = {n.hostname: n.address for n in runtime.topology(root, cluster).nodes}
    return {name: (hosts[name], labels) for name, labels in built.node_labels.items()}


# ----------------------------------------------------------------- Kubernetes' rules


_K8S_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def k8s_expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' dependent-variable expansion: ``$(VAR)`` when defined, ``$$`` -> ``$``."""

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return _K8S_REF.sub(one, text)


def k8s_env(container: dict, namespace: str, pod: str, node: str, address: str, host: str):
    """The container's environment as the kubelet sets it, or the reason it cannot run here."""
    fields = {
        "metadata.name": pod,
        "metadata.namespace": namespace,
        "spec.nodeName": node,
        "status.podIP": address,
        "status.hostIP": host,
    }
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = k8s_expand(str(item["value"]), env)
        else:
            path = ((item.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
            env[item["name"]] = fields.get(path, f"<{item['valueFrom']}>")
    return env


def k8s_files(volume: dict, objects: dict) -> dict[str, tuple[bytes, int]]:
    """A projected volume's files as the kubelet writes them: path -> (content, mode)."""
    projected = volume["projected"]
    default = projected.get("defaultMode", 0o644)
    out = {}
    for source in projected["sources"]:
        kind, ref = (
            ("ConfigMap", source["configMap"])
            if "configMap" in source
            else (
                "Secret",
                source["secret"],
            )
        )
        data = objects[(kind, ref["name"])]["data"]
        for item in ref["items"]:
            raw = data[item["key"]]
            body = base64.b64decode(raw) if kind == "Secret" else raw.encode()
            out[item["path"]] = (body, item.get("mode", default))
    return out


def compose_value(value: Any, problems: list[str], where: str) -> Any:
    """A compose file value as the container gets it: docker-compose turns ``$$`` into ``$``
    and interpolates any other ``$`` from its own environment (a difference)."""
    if isinstance(value, str):
        if re.search(r"(?<!\$)\$(?!\$)", value.replace("$$", "")):
            problems.append(f"{where}: docker-compose would interpolate {value!r}")
        return value.replace("$$", "$")
    if isinstance(value, dict):
        return {k: compose_value(v, problems, where) for k, v in value.items()}
    if isinstance(value, list):
        return [compose_value(v, problems, where) for v in value]
    return value


# ----------------------------------------------------------------- the comparison


def expected_pods(objects: list[dict], nodes: dict) -> list[tuple[dict, str]]:
    """(object, pod name) of every pod the manifests make."""
    out = []
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        if kind == "Job":
            out.append((obj, name))
        elif kind == "DaemonSet":
            selector = obj["spec"]["template"]["spec"].get("nodeSelector") or {}
            for node, (_address, labels) in sorted(nodes.items()):
                if all(labels.get(k) == v for k, v in selector.items()):
                    out.append((obj, f"{name}-{node}"))
        elif kind in WORKLOADS:
            out += [(obj, f"{name}-{i}") for i in range(obj["spec"]["replicas"])]
    return out


def differences(cluster: str, objects: list[dict], nodes: dict, local: Local) -> list[str]:
    """Every difference between the manifests' containers and the local ones."""
    by_key = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    services = local.compose["services"]
    containers = {
        (s["labels"][UNIT], s["labels"][POD], s["labels"][CONTAINER]): (name, s)
        for name, s in services.items()
        if CONTAINER in (s.get("labels") or {})
    }
    problems: list[str] = []
    seen = set()
    for obj, pod_name in expected_pods(objects, nodes):
        kind, owner = obj["kind"], obj["metadata"]["name"]
        spec = obj["spec"]["template"]["spec"]
        service = obj["metadata"]["labels"].get("app.kubernetes.io/name", owner)
        for container in spec["containers"]:
            key = (f"{kind}/{owner}", pod_name, container["name"])
            where = (
                f"{cluster}: service {service} ({kind}/{owner}) pod {pod_name} "
                f"container {container['name']}"
            )
            if key not in containers:
                problems.append(f"{where}: no local container runs it")
                continue
            seen.add(key)
            _name, body = containers[key]
            problems += compare(where, obj, pod_name, container, body, by_key, local, nodes)
    for key, (name, _body) in sorted(containers.items()):
        if key not in seen:
            problems.append(f"{cluster}: local container {name} ({key[0]}) is in no manifest")
    return problems


def compare(where, obj, pod_name, container, body, by_key, local, nodes) -> list[str]:
    """The differences of one container (``body``: its compose service)."""
    spec = obj["spec"]["template"]["spec"]
    problems: list[str] = []
    body = compose_value(body, problems, where)

    def differ(field: str, manifests: Any, here: Any) -> None:
        if manifests != here:
            problems.append(f"{where}: {field}: manifests {manifests!r}, local {here!r}")

    placed = local.pods.get(pod_name)
    if placed is None:
        return [*problems, f"{where}: pods.json has no pod {pod_name}"]
    node, address = placed["node"], placed["address"]
    namespace = obj["metadata"]["namespace"]
    services = local.compose["services"]
    # the pod's network: its own holder, or its node's for a hostNetwork pod
    holder = services.get(body.get("network_mode", "").removeprefix("service:"), {})
    if spec.get("hostNetwork"):
        differ(
            "node's address",
            address,
            holder.get("networks", {}).get("cluster", {}).get("ipv4_address"),
        )
        differ("node", node, holder.get("hostname"))
    else:
        net = holder.get("networks", {}).get("cluster", {})
        differ("pod address", address, net.get("ipv4_address"))
        differ("pod hostname", pod_name, holder.get("hostname"))
        domain = "cluster.local"
        aliases = set(net.get("aliases") or [])
        names = []
        if spec.get("subdomain"):
            names.append(f"{pod_name}.{spec['subdomain']}.{namespace}.svc.{domain}")
        labels = obj["spec"]["template"]["metadata"]["labels"]
        for (kind, name), svc in by_key.items():
            selector = svc.get("spec", {}).get("selector") if kind == "Service" else None
            if selector and all(labels.get(k) == v for k, v in selector.items()):
                names.append(f"{name}.{namespace}.svc.{domain}")
        for name in names:
            if name not in aliases:
                problems.append(f"{where}: the local pod is not reachable as {name}")
    selector = spec.get("nodeSelector") or {}
    # the image, the command and arguments (Kubernetes expands $(VAR) in both)
    differ("image", container["image"], body.get("image"))
    node_address, node_labels = nodes.get(node, ("", {}))
    env = k8s_env(container, namespace, pod_name, node, address, node_address)
    for field, local_field in (("command", "entrypoint"), ("args", "command")):
        expected = [k8s_expand(a, env) for a in container[field]] if field in container else None
        differ(field, expected, body.get(local_field))
    # the environment, the downward API resolved for this pod
    here = body.get("environment") or {}
    for name in sorted(set(env) | set(here)):
        differ(f"env {name}", env.get(name), here.get(name))
    # the volumes: the pillar files (content and mode) and every other mount
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    mounts = {}
    for item in body.get("volumes") or []:
        source, _, rest = item.partition(":")
        target, _, mode = rest.partition(":")
        mounts[target] = (source, mode == "ro")
    for mount in container.get("volumeMounts") or []:
        path = mount["mountPath"]
        if path not in mounts:
            problems.append(f"{where}: {path} ({mount['name']}) is not mounted")
            continue
        source, read_only = mounts[path]
        differ(f"{path} read-only", bool(mount.get("readOnly")), read_only)
        volume = volumes[mount["name"]]
        if "projected" not in volume:
            continue
        folder = Path(source)
        if local.written_as not in folder.parents:
            problems.append(f"{where}: {path} is not from the pillar files: {source}")
            continue
        folder = local.files / folder.relative_to(local.written_as)
        written = (
            {p.name: (p.read_bytes(), p.stat().st_mode & 0o777) for p in sorted(folder.iterdir())}
            if folder.is_dir()
            else {}
        )
        for name, (content, mode) in sorted(k8s_files(volume, by_key).items()):
            if name not in written:
                problems.append(f"{where}: pillar file {path}/{name} is missing")
                continue
            differ(f"pillar file {path}/{name} content", content, written[name][0])
            differ(f"pillar file {path}/{name} mode", oct(mode), oct(written[name][1]))
        for name in sorted(set(written) - set(k8s_files(volume, by_key))):
            problems.append(f"{where}: pillar file {path}/{name} is in no ConfigMap or Secret")
    # the readiness probe: the label is the probe, the health check its translation
    probe = container.get("readinessProbe")
    labels = body.get("labels") or {}
    check = body.get("healthcheck")
    differ("readiness", probe, json.loads(labels[READINESS]) if READINESS in labels else None)
    differ(
        "liveness",
        container.get("livenessProbe"),
        json.loads(labels[LIVENESS]) if LIVENESS in labels else None,
    )
    if probe is None:
        differ("health check", None, check)
    elif check is None:
        problems.append(f"{where}: health check: none for the readiness probe {probe}")
    else:
        problems += _translation(where, probe, check, address)
    # the capabilities, and what cannot differ
    security = container.get("securityContext") or {}
    caps = (security.get("capabilities") or {}).get("add")
    differ("capabilities", caps, body.get("cap_add"))
    differ("privileged", bool(security.get("privileged")), bool(body.get("privileged")))
    # a Job's pod restarts on failure up to its backoff limit; a daemon's always
    restart = "unless-stopped"
    if obj["kind"] == "Job":
        restart = f"on-failure:{obj['spec']['backoffLimit']}"
    differ("restart", restart, body.get("restart"))
    if not all(node_labels.get(k) == v for k, v in selector.items()):
        problems.append(f"{where}: placed on {node}, which lacks the labels {selector}")
    return problems


def _translation(where: str, probe: dict, check: dict, address: str) -> list[str]:
    """The health check runs the probe's action against the pod, on the probe's timing."""
    problems = []
    test = check.get("test") or []
    text = " ".join(test[1:])
    if "exec" in probe:
        ok = test[1:] == probe["exec"]["command"]
    elif "tcpSocket" in probe:
        ok = f"/dev/tcp/{address}/{probe['tcpSocket']['port']}" in text
    else:
        get = probe["httpGet"]
        ok = f"/dev/tcp/{address}/{get['port']}" in text and f"GET {get['path']} " in text
    if not ok or test[:1] != ["CMD"]:
        problems.append(f"{where}: health check {test} does not run the readiness probe {probe}")
    timing = {
        "interval": f"{probe.get('periodSeconds', 10)}s",
        "start_period": f"{probe.get('initialDelaySeconds', 0)}s",
        "retries": probe.get("failureThreshold", 3),
    }
    for key, value in timing.items():
        if check.get(key) != value:
            problems.append(
                f"{where}: health check {key}: probe {value!r}, local {check.get(key)!r}"
            )
    return problems


# ----------------------------------------------------------------- the tests


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_container_of_the_manifests_runs_locally_the_same(runs, cluster):
    objects, nodes, local = runs[cluster]
    problems = differences(cluster, objects, nodes, local)
    assert not problems, "the local run differs from the manifests:\n" + "\n".join(problems)
    pods = expected_pods(objects, nodes)
    assert len(pods) == len(local.pods) and pods
    kinds = {obj["kind"] for obj, _ in pods}
    assert {"Job", "DaemonSet", "StatefulSet", "Deployment"} <= kinds


def test_the_production_run_covers_every_service(runs):
    objects, nodes, _local = runs["production"]
    services = {
        o["metadata"]["labels"]["stacksalt.io/service-def"]
        for o, _ in expected_pods(objects, nodes)
    }
    assert {"etcd", "galera", "rabbitmq", "memcached", "keystone", "haproxy"} <= services


def _mutations():
    def env(local, objects):
        local.compose["services"]["keystone-1-keystone"]["environment"]["POD_IP"] = "10.0.0.1"

    def image(local, objects):
        body = local.compose["services"]["memcached-0-memcached"]
        body["image"] = body["image"].rsplit(":", 1)[0] + ":other"

    def args(local, objects):
        local.compose["services"]["keystone-db-sync"]["command"] = ["--apply", "keystone"]

    def entrypoint(local, objects):
        local.compose["services"]["keystone-db-sync"]["entrypoint"] = ["/bin/sh", "-c"]

    def secret_file(local, objects):
        path = local.files / "keystone" / "keystone" / "stacksalt-pillar" / "20-secret.yaml"
        path.chmod(0o600)
        path.write_text("keystone: {}\n")
        path.chmod(0o400)

    def file_mode(local, objects):
        (local.files / "keystone" / "keystone" / "stacksalt-pillar" / "20-secret.yaml").chmod(0o444)

    def extra_file(local, objects):
        (local.files / "keystone" / "keystone" / "stacksalt-pillar" / "30-extra.yaml").write_text(
            "{}"
        )

    def readiness(local, objects):
        labels = local.compose["services"]["memcached-2-memcached"]["labels"]
        probe = json.loads(labels[READINESS])
        probe["periodSeconds"] = 60
        labels[READINESS] = json.dumps(probe)

    def health(local, objects):
        local.compose["services"]["memcached-2-memcached"]["healthcheck"]["interval"] = "60s"

    def probe_target(local, objects):
        test = local.compose["services"]["keystone-0-keystone"]["healthcheck"]["test"]
        test[-1] = test[-1].replace("/v3", "/")

    def caps(local, objects):
        local.compose["services"]["haproxy-ctl01-haproxy"]["cap_add"] = ["NET_ADMIN"]

    def missing(local, objects):
        del local.compose["services"]["keystone-bootstrap"]

    def dollar(local, objects):
        local.compose["services"]["keystone-1-keystone"]["environment"]["X"] = "$HOME"

    def configmap(local, objects):
        cm = next(o for o in objects if o["metadata"]["name"] == "memcached-pillar")
        cm["data"]["memcached.yaml"] += "# changed after the projection\n"

    def address(local, objects):
        local.pods["keystone-0"]["address"] = "10.77.1.250"

    def node(local, objects):
        local.pods["haproxy-ctl02"]["node"] = "cmp01"

    def extra(local, objects):
        services = local.compose["services"]
        services["keystone-2-keystone"] = copy.deepcopy(services["keystone-1-keystone"])
        services["keystone-2-keystone"]["labels"][POD] = "keystone-2"

    pillar = "pillar file /run/stacksalt/pillar"
    return [
        (
            env,
            "service keystone (Deployment/keystone) pod keystone-1 container keystone: env POD_IP",
        ),
        (image, "pod memcached-0 container memcached: image: manifests"),
        (
            args,
            "pod keystone-db-sync container keystone-db-sync: args: manifests "
            "['--apply', 'keystone.server.db_sync'], local ['--apply', 'keystone']",
        ),
        (
            entrypoint,
            "pod keystone-db-sync container keystone-db-sync: command: manifests None, "
            "local ['/bin/sh', '-c']",
        ),
        (secret_file, f"container keystone: {pillar}/20-secret.yaml content"),
        (
            file_mode,
            f"container keystone: {pillar}/20-secret.yaml mode: manifests '0o400', local '0o444'",
        ),
        (extra_file, f"{pillar}/30-extra.yaml is in no ConfigMap or Secret"),
        (readiness, "pod memcached-2 container memcached: readiness: manifests"),
        (
            health,
            "pod memcached-2 container memcached: health check interval: probe '5s', local '60s'",
        ),
        (probe_target, "pod keystone-0 container keystone: health check"),
        (
            caps,
            "service haproxy (DaemonSet/haproxy) pod haproxy-ctl01 container haproxy: "
            "capabilities: manifests None, local ['NET_ADMIN']",
        ),
        (
            missing,
            "local: service keystone-bootstrap (Job/keystone-bootstrap) pod keystone-bootstrap "
            "container keystone-bootstrap: no local container runs it",
        ),
        (dollar, "container keystone: docker-compose would interpolate '$HOME'"),
        (configmap, f"pod memcached-0 container memcached: {pillar}/10-pillar.yaml content"),
        (address, "pod keystone-0 container keystone: pod address: manifests '10.77.1.250'"),
        (node, "pod haproxy-ctl02 container haproxy: placed on cmp01, which lacks the labels"),
        (
            extra,
            "local: local container keystone-2-keystone (Deployment/keystone) is in no manifest",
        ),
    ]


MUTATIONS = _mutations()


@pytest.mark.parametrize(("mutate", "message"), MUTATIONS, ids=[m.__name__ for m, _ in MUTATIONS])
def test_any_difference_fails_naming_the_service_and_container(runs, tmp_path, mutate, message):
    objects, nodes, local = runs["local"]
    objects, local = copy.deepcopy(objects), local.copy(tmp_path)
    mutate(local, objects)
    problems = differences("local", objects, nodes, local)
    assert any(message in p for p in problems), "\n".join(problems) or "no difference found"
