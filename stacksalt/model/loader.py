"""Render nodes of the reclass model with the same library and settings Salt's master uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reclass import get_storage
from reclass.core import Core
from reclass.settings import Settings


@dataclass(frozen=True)
class Model:
    """A reclass inventory: ``<base>/nodes`` and ``<base>/classes``."""

    base: Path

    @property
    def nodes_dir(self) -> Path:
        return self.base / "nodes"

    @property
    def classes_dir(self) -> Path:
        return self.base / "classes"

    def clusters(self) -> list[str]:
        """Clusters are the folders of ``classes/cluster``."""
        cdir = self.classes_dir / "cluster"
        return sorted(p.name for p in cdir.iterdir() if p.is_dir()) if cdir.is_dir() else []

    def node_files(self, cluster: str | None = None) -> dict[str, Path]:
        """Node name → file. Nodes of a cluster live in ``nodes/<cluster>/``."""
        root = self.nodes_dir / cluster if cluster else self.nodes_dir
        if not root.is_dir():
            return {}
        return {p.stem: p for p in sorted(root.rglob("*.yml"))}

    def nodes(self, cluster: str | None = None) -> list[str]:
        return sorted(self.node_files(cluster))

    def cluster_of(self, node: str) -> str | None:
        path = self.node_files().get(node)
        if path is None:
            return None
        rel = path.relative_to(self.nodes_dir)
        return rel.parts[0] if len(rel.parts) > 1 else None

    def _core(self) -> Core:
        settings = Settings({"inventory_base_uri": str(self.base)})
        storage = get_storage(
            "yaml_fs", str(self.nodes_dir), str(self.classes_dir), settings.compose_node_name
        )
        return Core(storage, None, settings)

    def render(self, node: str) -> dict:
        """Return reclass' node info: ``classes``, ``applications``, ``parameters``..."""
        return self._core().nodeinfo(node)

    def pillar(self, node: str) -> dict:
        """The node's pillar as Salt sees it (reclass' parameters, minus ``_param``)."""
        params = dict(self.render(node)["parameters"])
        params.pop("_param", None)
        return params
