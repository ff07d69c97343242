"""What a test cluster is made of, read from the rendered model (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field


class TopologyError(ValueError):
    pass


@dataclass(frozen=True)
class Node:
    id: str  # the minion id = the reclass node name
    hostname: str
    address: str
    master: bool
    sysctl: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Topology:
    cluster: str
    network: str
    nodes: tuple[Node, ...]

    @property
    def master(self) -> Node:
        return next(n for n in self.nodes if n.master)

    def container(self, node: Node) -> str:
        return f"stacksalt-{self.cluster}-{node.hostname}"

    @property
    def network_name(self) -> str:
        return f"stacksalt-{self.cluster}"


def _param(info: dict, node: str, name: str):
    value = info["parameters"].get("_param", {}).get(name)
    if value in (None, ""):
        raise TopologyError(f"node {node}: _param:{name} is not set in the model")
    return value


def from_model(cluster: str, infos: dict[str, dict]) -> Topology:
    """Build the topology from reclass node infos (``Model.render`` of every node)."""
    nodes, networks = [], set()
    for node_id, info in sorted(infos.items()):
        params = info["parameters"]
        master = bool(params.get("salt", {}).get("master", {}).get("enabled"))
        sysctl = params.get("linux", {}).get("system", {}).get("kernel", {}).get("sysctl", {})
        nodes.append(
            Node(
                id=node_id,
                hostname=_param(info, node_id, "linux_system_name"),
                address=_param(info, node_id, "single_address"),
                master=master,
                # Only network sysctls are per network namespace, so only they can be set
                # for a container (docker run --sysctl); the formula persists all of them.
                sysctl={k: v for k, v in sysctl.items() if k.startswith("net.")},
            )
        )
        networks.add(_param(info, node_id, "cluster_network"))
    masters = [n.id for n in nodes if n.master]
    if len(masters) != 1:
        raise TopologyError(
            f"cluster {cluster}: exactly one node must have salt:master:enabled, found "
            f"{len(masters)} ({', '.join(masters) or 'none'})"
        )
    if len(networks) != 1:
        raise TopologyError(f"cluster {cluster}: nodes disagree on _param:cluster_network")
    return Topology(cluster, networks.pop(), tuple(nodes))
