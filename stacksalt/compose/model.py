"""The cluster as compose runs it, read from the model.

A node runs in compose when one of its cluster classes has a *compose twin*: node class
``cluster.<name>.<rest>`` → ``cluster.<name>.compose.<rest>`` (for the controllers,
``cluster.local.control`` → ``classes/cluster/local/compose/control.yml``). The node is
rendered by reclass, as Salt's master does, with its twins appended to its classes: they add
the container roles (``service.<svc>.server.container``) and the services only containers
run, and set ``_param:compose_network`` (the project's subnet, the size of
``_param:cluster_network``) and ``_param:compose_publish_base`` (first port published on
127.0.0.1). Addresses of the cluster network are translated to the project's network.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from reclass import get_storage
from reclass.core import Core
from reclass.errors import ReclassException
from reclass.settings import Settings

from stacksalt.compose.render import Cluster, Node, translate_addresses
from stacksalt.model.loader import Model


class ComposeModelError(RuntimeError):
    pass


def twin_classes(classes: list[str], cluster: str, classes_dir: Path) -> list[str]:
    """The compose twins of a node's cluster classes that exist under ``classes_dir``."""
    prefix = f"cluster.{cluster}."
    out = []
    for cls in classes:
        if not cls.startswith(prefix) or cls.startswith(prefix + "compose."):
            continue
        twin = f"{prefix}compose.{cls[len(prefix) :]}"
        rel = Path(*twin.split("."))
        if (classes_dir / f"{rel}.yml").is_file() or (classes_dir / rel / "init.yml").is_file():
            out.append(twin)
    return out


def _render(classes_dir: Path, nodes: dict[str, dict]) -> dict[str, dict]:
    """reclass' node info of ``nodes`` ({name: node file data}) against ``classes_dir``."""
    with tempfile.TemporaryDirectory(prefix="stacksalt-compose-nodes-") as tmp:
        for name, data in nodes.items():
            (Path(tmp) / f"{name}.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
        settings = Settings({"inventory_base_uri": str(classes_dir.parent)})
        storage = get_storage("yaml_fs", tmp, str(classes_dir), settings.compose_node_name)
        core = Core(storage, None, settings)
        out = {}
        for name in nodes:
            try:
                out[name] = core.nodeinfo(name)
            except ReclassException as exc:
                raise ComposeModelError(
                    f"node {name} with its compose classes does not render: {exc}; "
                    "run 'stacksalt model check'"
                ) from exc
        return out


def load(root: Path, cluster: str) -> tuple[Cluster, dict[str, dict]]:
    """The cluster's compose nodes (model order) and their untranslated pillars by node."""
    model = Model(root / "reclass_model")
    if cluster not in model.clusters():
        raise ComposeModelError(
            f"no cluster '{cluster}' in the model (clusters: {', '.join(model.clusters())})"
        )
    wanted: dict[str, dict] = {}
    for name, path in model.node_files(cluster).items():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        twins = twin_classes(list(data.get("classes") or []), cluster, model.classes_dir)
        if twins:
            wanted[name] = {**data, "classes": [*(data.get("classes") or []), *twins]}
    if not wanted:
        raise ComposeModelError(
            f"cluster {cluster}: no node has a compose class "
            f"(classes/cluster/{cluster}/compose/<role>.yml); nothing runs in compose"
        )
    infos = _render(model.classes_dir, wanted)
    nodes, raw = [], {}
    subnet = base = None
    for name, info in infos.items():
        params = dict(info["parameters"])
        p = params.pop("_param", {}) or {}
        for key in ("compose_network", "cluster_network", "linux_system_name", "single_address"):
            if not p.get(key):
                raise ComposeModelError(f"node {name}: _param:{key} is not set in the model")
        if subnet not in (None, p["compose_network"]):
            raise ComposeModelError(f"node {name}: a different _param:compose_network")
        subnet, base = p["compose_network"], int(p.get("compose_publish_base") or 40000)
        raw[name] = params
        translated = translate_addresses(params, p["cluster_network"], subnet)
        address = translate_addresses(p["single_address"], p["cluster_network"], subnet)
        nodes.append(Node(name, p["linux_system_name"], address, translated))
    return Cluster(cluster, subnet, base, tuple(nodes)), raw
