"""The local run as a projection of the rendered Kubernetes objects (pure).

Every container the manifests would start (the daemon containers of every Deployment,
StatefulSet and DaemonSet, and every Job) runs locally on the Docker engine with the same
image, arguments, environment, pillar files and probes; only how a dependency is awaited
differs (the Kubernetes waiter init containers are not run: the runner starts a pod once what
it depends on is ready, :mod:`stacksalt.compose.runner`).

How Kubernetes is mapped:

- pods are placed as the scheduler would: a DaemonSet's on every node carrying its node
  selector's labels, a StatefulSet's and a Deployment's replicas spread over the eligible
  nodes in model order (required anti-affinity: one per node), a Job's on the first one;
- a pod is a holder container (``sleep infinity``) owning the pod's network namespace: its
  hostname, a fixed address on the cluster's network and, as DNS aliases, the names cluster
  DNS would give it (``<pod>.<subdomain>.<ns>.svc.<domain>`` and every Service that selects
  it, so a Service's name resolves to its pods); its containers join that namespace;
  a ``hostNetwork`` pod's containers join the node's container instead (the host container
  of ``stacksalt up`` when the cluster's hosts run, else a node holder at the node's address);
- the downward API (``POD_NAME``, ``POD_IP``, ``NODE_NAME``...) becomes literal values, and
  ``$(VAR)`` in env values, commands and arguments is expanded as Kubernetes does; every ``$``
  of the compose file is doubled (docker-compose would interpolate it);
- a projected volume of ConfigMap and Secret keys becomes a folder of files (Secret keys
  mode 0400) mounted read-only; a hostPath a named volume per node and path; an emptyDir a
  named volume per pod; a PersistentVolumeClaim one named volume for every pod;
- the readiness probe becomes the container's health check (run in the container against the
  pod's address); the liveness probe is recorded in a label, not enforced;
- capabilities are added as the securityContext says; a privileged container cannot run here.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stacksalt.k8s.common import DEFINITION_LABEL, NAME_LABEL
from stacksalt.k8s.waiter import DEPENDENCIES_ANNOTATION

COMPOSE_VERSION = "2.4"
NETWORK = "cluster"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
PROBE_LABEL = "io.stacksalt.readiness"
LIVENESS_LABEL = "io.stacksalt.liveness"
POD_LABEL = "io.stacksalt.pod"
UNIT_LABEL = "io.stacksalt.unit"


class ProjectionError(ValueError):
    """The objects cannot run here; the message names the object and what is missing."""


@dataclass(frozen=True)
class LocalNode:
    """A Kubernetes node as it exists here: its labels, and the container whose network
    namespace its hostNetwork pods join (``container``; None: make a node holder)."""

    name: str
    address: str
    labels: Mapping[str, str]
    container: str | None = None


@dataclass(frozen=True)
class Settings:
    cluster: str
    namespace: str
    cluster_domain: str
    subnet: str
    network: str  # the Docker network's name
    external_network: bool  # the hosts' network (stacksalt up) or one made by compose
    holder_image: str  # runs `sleep infinity` for pod and node holders
    files_dir: str  # where the runner writes the pillar files (absolute)

    @property
    def project(self) -> str:
        return f"stacksalt-compose-{self.cluster}"


@dataclass
class Pod:
    name: str
    kind: str  # the owner's kind (a workload kind or Job)
    owner: str  # the owner object's name
    instance: str  # app.kubernetes.io/name
    node: str
    address: str
    host_network: bool
    ordinal: int
    template: Mapping[str, Any]  # the pod spec
    labels: Mapping[str, str]
    dependencies: tuple[str, ...]  # "service/x", "job/y"
    ordered_after: str | None = None  # OrderedReady: the previous pod
    services: list[str] = field(default_factory=list)  # compose services of its containers
    holder: str | None = None  # its holder's compose service (None: hostNetwork)


@dataclass
class Projection:
    compose: dict
    files: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # path -> (body, mode)
    pods: list[Pod] = field(default_factory=list)
    node_holders: list[str] = field(default_factory=list)  # compose services of node holders

    def pod(self, name: str) -> Pod:
        return next(p for p in self.pods if p.name == name)


def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "root"


def place(objects: Sequence[Mapping[str, Any]], nodes: Sequence[LocalNode]) -> list[Pod]:
    """Where each pod runs and its name, as the Kubernetes scheduler and controllers would."""
    pods: list[Pod] = []
    for obj in objects:
        kind = obj["kind"]
        if kind not in (*WORKLOADS, "Job"):
            continue
        name = obj["metadata"]["name"]
        spec = obj["spec"]
        template = spec["template"]
        pod_spec = template["spec"]
        selector = pod_spec.get("nodeSelector") or {}
        eligible = [n for n in nodes if all(n.labels.get(k) == v for k, v in selector.items())]
        if not eligible:
            raise ProjectionError(f"{kind}/{name}: no node carries the labels {selector}")
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        deps = tuple(
            d
            for d in ((template.get("metadata") or {}).get("annotations") or {})
            .get(DEPENDENCIES_ANNOTATION, "")
            .split(",")
            if d
        )
        instance = labels.get(NAME_LABEL, name)
        if kind == "DaemonSet":
            placed = [(f"{name}-{n.name}", n, i) for i, n in enumerate(eligible)]
        elif kind == "Job":
            placed = [(name, eligible[0], 0)]
        else:
            replicas = int(spec.get("replicas", 1))
            anti = bool(
                ((pod_spec.get("affinity") or {}).get("podAntiAffinity") or {}).get(
                    "requiredDuringSchedulingIgnoredDuringExecution"
                )
            )
            if anti and replicas > len(eligible):
                raise ProjectionError(
                    f"{kind}/{name}: {replicas} replicas, one per node, but only "
                    f"{len(eligible)} eligible nodes"
                )
            placed = [(f"{name}-{i}", eligible[i % len(eligible)], i) for i in range(replicas)]
        ordered = kind == "StatefulSet" and spec.get("podManagementPolicy") == "OrderedReady"
        previous = None
        for pod_name, node, ordinal in placed:
            pods.append(
                Pod(
                    name=pod_name,
                    kind=kind,
                    owner=name,
                    instance=instance,
                    node=node.name,
                    address="",
                    host_network=bool(pod_spec.get("hostNetwork")),
                    ordinal=ordinal,
                    template=pod_spec,
                    labels=labels,
                    dependencies=deps,
                    ordered_after=previous if ordered else None,
                )
            )
            previous = pod_name
    return pods


def _addresses(
    settings: Settings,
    nodes: Sequence[LocalNode],
    pods: list[Pod],
    previous: Mapping[str, str] | None = None,
) -> None:
    """Fixed addresses from the upper half of the cluster's subnet. A pod keeps the address
    an earlier run gave it (``previous``: pod -> address); a new pod gets one no earlier pod
    had, so a run over a running project never hands out an address a container still
    holds."""
    net = ipaddress.ip_network(settings.subnet)
    previous = dict(previous or {})
    taken = {n.address for n in nodes} | set(previous.values())
    pool = (
        str(ip)
        for ip in net.hosts()
        if int(ip) - int(net.network_address) >= net.num_addresses // 2 and str(ip) not in taken
    )
    by_node = {n.name: n for n in nodes}
    for pod in pods:
        if pod.host_network:
            pod.address = by_node[pod.node].address
            continue
        kept = previous.get(pod.name)
        if kept and kept != by_node.get(pod.node, LocalNode("", "", {})).address:
            pod.address = kept
            continue
        try:
            pod.address = next(pool)
        except StopIteration as exc:
            raise ProjectionError(
                f"{settings.subnet}: no address left for pod {pod.name} (the upper half of "
                "the cluster network holds the pods; 'stacksalt compose down' frees them)"
            ) from exc


def _aliases(pod: Pod, services: Sequence[Mapping[str, Any]], settings: Settings) -> list[str]:
    ns, domain = settings.namespace, settings.cluster_domain
    names = [pod.name]
    sub = pod.template.get("subdomain")
    if sub:
        names += [f"{pod.name}.{sub}", f"{pod.name}.{sub}.{ns}.svc.{domain}"]
    for svc in services:
        selector = (svc.get("spec") or {}).get("selector") or {}
        if selector and all(pod.labels.get(k) == v for k, v in selector.items()):
            s = svc["metadata"]["name"]
            names += [s, f"{s}.{ns}", f"{s}.{ns}.svc", f"{s}.{ns}.svc.{domain}"]
    return list(dict.fromkeys(names))


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' expansion of ``$(VAR)`` in an env value, a command or an argument: the
    variable's value when it is defined, else left as written; ``$$`` is one ``$``."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "$" and text[i + 1 : i + 2] == "$":
            out.append("$")
            i += 2
        elif char == "$" and text[i + 1 : i + 2] == "(" and ")" in text[i + 2 :]:
            end = text.index(")", i + 2)
            name = text[i + 2 : end]
            out.append(env[name] if name in env else text[i : end + 1])
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def compose_escaped(value: Any) -> Any:
    """``value`` with every ``$`` doubled: docker-compose interpolates ``$VAR`` from the
    environment it runs in (and refuses ``$(``) in every string of the file; ``$$`` is how a
    container gets a ``$``."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, Mapping):
        return {k: compose_escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [compose_escaped(v) for v in value]
    return value


def resolve_env(
    container: Mapping[str, Any], pod: Pod, settings: Settings, host_ip: str = ""
) -> dict[str, str]:
    """The container's environment with the downward API resolved for this pod (``host_ip``:
    its node's address) and ``$(VAR)`` references to the variables defined before expanded,
    as Kubernetes does."""
    fields = {
        "metadata.name": pod.name,
        "metadata.namespace": settings.namespace,
        "spec.nodeName": pod.node,
        "status.podIP": pod.address,
        "status.hostIP": host_ip or (pod.address if pod.host_network else ""),
    }
    out = {}
    for item in container.get("env") or []:
        if "value" in item:
            out[item["name"]] = expand(str(item["value"]), out)
            continue
        ref = ((item.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        if ref not in fields:
            raise ProjectionError(
                f"pod {pod.name}: env {item['name']}: only literal values and the downward "
                f"API fields {', '.join(sorted(fields))} run here"
            )
        out[item["name"]] = fields[ref]
    return out


def healthcheck(probe: Mapping[str, Any], address: str) -> dict[str, Any]:
    """A Kubernetes probe as a Docker health check run inside the container (bash only: every
    image has it)."""
    if "exec" in probe:
        test = ["CMD", *probe["exec"]["command"]]
    elif "tcpSocket" in probe:
        port = probe["tcpSocket"]["port"]
        test = ["CMD", "bash", "-c", f"exec 3<>/dev/tcp/{address}/{port}"]
    elif "httpGet" in probe:
        get = probe["httpGet"]
        request = f"GET {get.get('path', '/')} HTTP/1.0\\r\\nHost: {address}\\r\\n\\r\\n"
        test = [
            "CMD",
            "bash",
            "-c",
            f"exec 3<>/dev/tcp/{address}/{get['port']} && printf '{request}' >&3 "
            "&& head -1 <&3 | grep -q ' [23][0-9][0-9] '",
        ]
    else:
        raise ProjectionError(f"probe {probe}: exec, tcpSocket or httpGet only")
    return {
        "test": test,
        "interval": f"{int(probe.get('periodSeconds', 10))}s",
        "timeout": f"{int(probe.get('timeoutSeconds', 1)) + 5}s",
        "retries": int(probe.get("failureThreshold", 3)),
        "start_period": f"{int(probe.get('initialDelaySeconds', 0))}s",
    }


def _projected_files(
    volume: Mapping[str, Any], objects: Mapping[tuple[str, str], Mapping[str, Any]], where: str
) -> dict[str, tuple[bytes, int]]:
    out = {}
    projected = volume["projected"]
    default = int(projected.get("defaultMode", 0o644))
    for source in projected.get("sources") or []:
        if "configMap" in source:
            ref, kind = source["configMap"], "ConfigMap"
        elif "secret" in source:
            ref, kind = source["secret"], "Secret"
        else:
            raise ProjectionError(f"{where}: projected sources: configMap and secret only")
        obj = objects.get((kind, ref["name"]))
        if obj is None:
            raise ProjectionError(f"{where}: {kind} {ref['name']} is not among the objects")
        data = obj.get("data") or {}
        for item in ref.get("items") or [{"key": k, "path": k} for k in sorted(data)]:
            if item["key"] not in data:
                raise ProjectionError(f"{where}: {kind} {ref['name']} has no key {item['key']}")
            raw = data[item["key"]]
            body = base64.b64decode(raw) if kind == "Secret" else raw.encode()
            mode = int(item.get("mode", 0o400 if kind == "Secret" else default))
            out[item["path"]] = (body, mode)
    return out


def project(
    objects: Sequence[Mapping[str, Any]],
    nodes: Sequence[LocalNode],
    settings: Settings,
    previous: Mapping[str, str] | None = None,
) -> Projection:
    """The compose file, the files to write and the pods, from the rendered objects;
    ``previous``: the pods' addresses of the run this one replaces (kept)."""
    by_key = {_key(o): o for o in objects}
    services = [o for o in objects if o["kind"] == "Service"]
    pods = place(objects, nodes)
    _addresses(settings, nodes, pods, previous)
    out = Projection(compose={}, pods=pods)
    compose_services: dict[str, dict] = {}
    volumes: dict[str, dict] = {}
    node_by = {n.name: n for n in nodes}
    project_name = settings.project

    for pod in pods:
        spec = pod.template
        if pod.host_network:
            node = node_by[pod.node]
            if node.container is None:
                holder = f"node-{node.name}"
                if holder not in compose_services:
                    compose_services[holder] = _holder(
                        settings, f"{project_name}-{holder}", node.name, node.address, [], {}
                    )
                    out.node_holders.append(holder)
                netmode = f"service:{holder}"
            else:
                netmode = f"container:{node.container}"
        else:
            holder = f"pod-{pod.name}"
            labels = {POD_LABEL: pod.name, UNIT_LABEL: f"{pod.kind}/{pod.owner}"}
            body = _holder(
                settings,
                f"{project_name}-{holder}",
                pod.name,
                pod.address,
                _aliases(pod, services, settings),
                labels,
            )
            sub = spec.get("subdomain")
            if sub:
                body["domainname"] = f"{sub}.{settings.namespace}.svc.{settings.cluster_domain}"
            compose_services[holder] = body
            pod.holder = holder
            netmode = f"service:{holder}"

        vol_by = {v["name"]: v for v in spec.get("volumes") or []}
        for container in spec.get("containers") or []:
            cname = f"{pod.name}-{container['name']}" if pod.kind != "Job" else pod.name
            where = f"{pod.kind}/{pod.owner} pod {pod.name} container {container['name']}"
            security = container.get("securityContext") or {}
            if security.get("privileged"):
                raise ProjectionError(f"{where}: privileged containers cannot run here")
            mounts = []
            for mount in container.get("volumeMounts") or []:
                volume = vol_by.get(mount["name"])
                if volume is None:
                    raise ProjectionError(f"{where}: no volume {mount['name']}")
                ro = ":ro" if mount.get("readOnly") else ""
                if "projected" in volume:
                    folder = f"{pod.owner}/{container['name']}/{mount['name']}"
                    for path, item in _projected_files(volume, by_key, where).items():
                        out.files[f"{folder}/{path}"] = item
                    mounts.append(f"{settings.files_dir}/{folder}:{mount['mountPath']}{ro}")
                elif "hostPath" in volume:
                    vol = f"{project_name}-{pod.node}-{_slug(volume['hostPath']['path'])}"
                    volumes[vol] = {"name": vol}
                    mounts.append(f"{vol}:{mount['mountPath']}{ro}")
                elif "emptyDir" in volume:
                    vol = f"{project_name}-{pod.name}-{volume['name']}"
                    volumes[vol] = {"name": vol}
                    mounts.append(f"{vol}:{mount['mountPath']}{ro}")
                elif "persistentVolumeClaim" in volume:
                    vol = f"{project_name}-{volume['persistentVolumeClaim']['claimName']}"
                    volumes[vol] = {"name": vol}
                    mounts.append(f"{vol}:{mount['mountPath']}{ro}")
                else:
                    raise ProjectionError(f"{where}: volume {mount['name']}: unsupported type")
            environment = resolve_env(container, pod, settings, node_by[pod.node].address)
            body: dict[str, Any] = {
                "image": container["image"],
                "container_name": f"{project_name}-{cname}",
                "network_mode": netmode,
                "environment": environment,
                "labels": {
                    POD_LABEL: pod.name,
                    UNIT_LABEL: f"{pod.kind}/{pod.owner}",
                    "io.stacksalt.container": container["name"],
                },
                "stop_grace_period": "60s",
                "restart": "on-failure:6" if pod.kind == "Job" else "unless-stopped",
            }
            if "command" in container:
                body["entrypoint"] = [expand(a, environment) for a in container["command"]]
            if "args" in container:
                body["command"] = [expand(a, environment) for a in container["args"]]
            if mounts:
                body["volumes"] = mounts
            caps = (security.get("capabilities") or {}).get("add") or []
            if caps:
                body["cap_add"] = list(caps)
            if "readinessProbe" in container:
                body["healthcheck"] = healthcheck(container["readinessProbe"], pod.address)
                body["labels"][PROBE_LABEL] = json.dumps(
                    container["readinessProbe"], sort_keys=True
                )
            if "livenessProbe" in container:
                body["labels"][LIVENESS_LABEL] = json.dumps(
                    container["livenessProbe"], sort_keys=True
                )
            depends = {}
            if pod.holder:
                depends[pod.holder] = {"condition": "service_started"}
            elif netmode.startswith("service:"):
                depends[netmode.split(":", 1)[1]] = {"condition": "service_started"}
            if depends:
                body["depends_on"] = depends
            compose_services[cname] = compose_escaped(body)
            pod.services.append(cname)

    network: dict[str, Any]
    if settings.external_network:
        network = {"external": True, "name": settings.network}
    else:
        network = {"name": settings.network, "ipam": {"config": [{"subnet": settings.subnet}]}}
    out.compose = {
        "version": COMPOSE_VERSION,
        "services": compose_services,
        "networks": {NETWORK: network},
    }
    if volumes:
        out.compose["volumes"] = dict(sorted(volumes.items()))
    return out


def _holder(
    settings: Settings,
    container_name: str,
    hostname: str,
    address: str,
    aliases: list[str],
    labels: dict[str, str],
) -> dict[str, Any]:
    net: dict[str, Any] = {"ipv4_address": address}
    if aliases:
        net["aliases"] = aliases
    return {
        "image": settings.holder_image,
        "container_name": container_name,
        "hostname": hostname,
        "init": True,
        "entrypoint": ["sleep", "infinity"],
        "networks": {NETWORK: net},
        "labels": labels,
        "restart": "unless-stopped",
    }


def definition_of(pod: Pod) -> str:
    return pod.labels.get(DEFINITION_LABEL, "")
