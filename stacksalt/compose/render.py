"""The compose file as data: a pure function of the cluster's nodes (their pillars from the
model), the services' run specs (``docker-salt/compose.yml``) and the image references.

Layout: each model node is a container of its own (its hostname, its address on the
project's network, the published ports) holding only a network namespace; each service the
node's pillar declares runs from its image in that namespace (``network_mode:
service:<node>``), so the services of a node share its address as on a host, and the pillars
of the model apply unchanged (addresses translated to the project's network).

Secrets never reach the compose file: each container's pillar is split into the public part
(``STACKSALT_PILLAR_JSON``) and the secret part (a file the runner writes with mode 0600 and
mounts read-only into ``/run/stacksalt/pillar``).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from stacksalt import secrets
from stacksalt.compose.spec import ServiceSpec
from stacksalt.k8s.common import deep_merge as merge  # the one pillar-style merge

COMPOSE_VERSION = "2.4"
NETWORK = "cluster"
PILLAR_DIR = "/run/stacksalt/pillar"
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")


class RenderError(ValueError):
    pass


@dataclass(frozen=True)
class Node:
    name: str  # the model's node name, e.g. ctl01.local.stacksalt
    host: str  # its hostname (linux_system_name), e.g. ctl01
    address: str  # its address on the project's network
    pillar: Mapping  # its pillar, addresses translated


@dataclass(frozen=True)
class Cluster:
    name: str
    subnet: str
    publish_base: int
    nodes: tuple[Node, ...]  # model order

    @property
    def project(self) -> str:
        return f"stacksalt-compose-{self.name}"


@dataclass(frozen=True)
class Endpoint:
    service: str
    host: str
    port: int  # in the container
    published: int  # on 127.0.0.1

    def line(self) -> str:
        return f"{self.service:<10} {self.host:<8} 127.0.0.1:{self.published} -> {self.port}"


@dataclass
class Rendered:
    compose: dict
    secret_files: dict[str, dict] = field(default_factory=dict)  # file name -> pillar
    endpoints: list[Endpoint] = field(default_factory=list)
    containers: dict[str, list[str]] = field(default_factory=dict)  # service -> compose names
    # (container name, states): post jobs, run once every container is healthy
    posts: list[tuple[str, str]] = field(default_factory=list)


def translate_addresses(data, old: str, new: str):
    """``data`` with every IPv4 address of network ``old`` moved to the same host number in
    network ``new`` (in plain values and inside strings such as URLs)."""
    old_net, new_net = ipaddress.ip_network(old), ipaddress.ip_network(new)
    if old_net.prefixlen != new_net.prefixlen:
        raise RenderError(f"networks {old} and {new} must have the same size")

    def one(match: re.Match) -> str:
        try:
            ip = ipaddress.ip_address(match.group(1))
        except ValueError:
            return match.group(1)
        if ip not in old_net:
            return match.group(1)
        return str(new_net.network_address + (int(ip) - int(old_net.network_address)))

    def walk(value):
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            return _IPV4.sub(one, value)
        return value

    return walk(data)


split_secrets = secrets.split  # the one rule, for the compose file


def _get(data: Mapping, path: Iterable[str]):
    for part in path:
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def members(cluster: Cluster, svc: ServiceSpec) -> list[Node]:
    """The nodes whose pillar declares the service's role (and does not disable it)."""
    out = []
    for node in cluster.nodes:
        role = _get(node.pillar, svc.role)
        if isinstance(role, Mapping) and role.get("enabled", True) is not False:
            out.append(node)
    return out


def container(svc: str, node: Node) -> str:
    return f"{svc}-{node.host}"


def _healthcheck(svc: ServiceSpec, node: Node) -> dict:
    test = [arg.replace("{address}", node.address) for arg in svc.healthcheck]
    return {
        "test": ["CMD", *test],
        "interval": "5s",
        "timeout": "30s",
        "retries": svc.retries,
        "start_period": f"{svc.start_period}s",
    }


def render(
    cluster: Cluster,
    services: list[ServiceSpec],
    images: Mapping[str, str],
    node_image: str,
    secret_values: set[str],
    secrets_dir: str,
) -> Rendered:
    """The compose file (a dict to dump as YAML) and the secret pillar files to write.

    ``images``: service name -> image reference (``stacksalt/etcd:<tag>``); ``node_image``
    runs the node containers; ``secrets_dir``: where the runner writes the secret files.
    """
    out = Rendered(compose={})
    by_name = {s.name: s for s in services}
    placed = {s.name: members(cluster, s) for s in services}
    if not any(placed.values()):
        raise RenderError(
            f"cluster {cluster.name}: no node declares any of {', '.join(by_name)}; nothing to run"
        )
    missing = sorted(name for name, nodes in placed.items() if nodes and name not in images)
    if missing:
        raise RenderError(f"no image for {', '.join(missing)} (see docker-salt/images.yml)")
    ports = [(s.name, p) for s in services for p in s.publish]
    svc_out: dict[str, dict] = {}
    volumes: dict[str, dict] = {}
    used_nodes = [n for n in cluster.nodes if any(n in nodes for nodes in placed.values())]
    for index, node in enumerate(used_nodes):
        published = []
        for j, (name, port) in enumerate(ports):
            if node in placed[name]:
                host_port = cluster.publish_base + 10 * index + j
                published.append(f"127.0.0.1:{host_port}:{port}")
                out.endpoints.append(Endpoint(name, node.host, port, host_port))
        body: dict = {
            "image": node_image,
            "container_name": f"{cluster.project}-{node.host}",
            "hostname": node.host,
            "init": True,
            "entrypoint": ["sleep", "infinity"],
            "networks": {NETWORK: {"ipv4_address": node.address}},
            "labels": {"io.stacksalt.compose.node": node.name},
        }
        if published:
            body["ports"] = published
        svc_out[node.host] = body

    for svc in services:
        nodes = placed[svc.name]
        out.containers[svc.name] = [container(svc.name, n) for n in nodes]
        if svc.post and nodes:
            out.posts.append((f"{cluster.project}-{container(svc.name, nodes[0])}", svc.post))
        for pos, node in enumerate(nodes):
            name = container(svc.name, node)
            formula = svc.role[0]
            pillar = {formula: node.pillar[formula]}
            if pos == 0 and svc.first_member:
                pillar = merge(pillar, svc.first_member)
            public, secret = split_secrets(pillar, secret_values)
            env = {"STACKSALT_PILLAR_JSON": json.dumps(public, sort_keys=True)}
            env.update(svc.environment)
            mounts = [f"{name}-{vol}:{path}" for vol, path in svc.volumes.items()]
            for vol in svc.volumes:
                volumes[f"{name}-{vol}"] = {}
            for vol, path in svc.shared.items():
                mounts.append(f"{svc.name}-{vol}:{path}")
                volumes[f"{svc.name}-{vol}"] = {}
            depends: dict[str, dict] = {node.host: {"condition": "service_started"}}
            for other, names in svc.mounts.items():
                if node not in placed[other]:
                    raise RenderError(
                        f"{name} mounts {other}'s volumes but node {node.name} has no {other}"
                    )
                for vol in names:
                    mounts.append(f"{container(other, node)}-{vol}:{by_name[other].volumes[vol]}")
                depends[container(other, node)] = {"condition": "service_started"}
            for dep in svc.depends_on:
                for m in placed[dep]:
                    depends[container(dep, m)] = {"condition": "service_healthy"}
            if svc.serial and pos > 0:
                depends[container(svc.name, nodes[pos - 1])] = {"condition": "service_healthy"}
            if secret:
                out.secret_files[f"{name}.yml"] = secret
                mounts.append(f"{secrets_dir}/{name}.yml:{PILLAR_DIR}/secrets.yml:ro")
            body = {
                "image": images[svc.name],
                "container_name": f"{cluster.project}-{name}",
                "network_mode": f"service:{node.host}",
                "environment": env,
                "depends_on": depends,
                "stop_grace_period": "60s",
                "labels": {"io.stacksalt.compose.node": node.name},
            }
            if mounts:
                body["volumes"] = mounts
            if svc.healthcheck:
                body["healthcheck"] = _healthcheck(svc, node)
            svc_out[name] = body

    out.compose = {
        "version": COMPOSE_VERSION,
        "services": svc_out,
        "networks": {
            NETWORK: {"name": cluster.project, "ipam": {"config": [{"subnet": cluster.subnet}]}}
        },
    }
    if volumes:
        out.compose["volumes"] = dict(sorted(volumes.items()))
    return out
