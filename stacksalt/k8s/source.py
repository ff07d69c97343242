"""Where the workload comes from on disk: the reclass model and the docker-salt image tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stacksalt.formulas import discover
from stacksalt.k8s.workload import WorkloadError


def formula_roots(root: Path) -> list[Path]:
    """Salt's file_roots for the formulas: each ``formulas/<f>`` holding ``<f>/``."""
    return [f.path for f in discover(root / "formulas")]


def load_control(root: Path, cluster: str) -> tuple[str, dict[str, Any]]:
    """(node, ``ccp:control`` pillar) of the cluster's node carrying the workload.

    Renders the cluster's nodes with reclass exactly as ``stacksalt model show`` does;
    raises WorkloadError when a node does not render or no/several nodes carry it.
    """
    from stacksalt.model.check import render_problems
    from stacksalt.model.loader import Model

    model = Model(root / "reclass_model")
    if cluster not in model.clusters():
        raise WorkloadError(
            [f"no cluster named {cluster!r}; clusters: {', '.join(model.clusters()) or 'none'}"]
        )
    found = []
    for node in model.nodes(cluster):
        pillar, problems = render_problems(model, node, {}, root)
        if problems:
            raise WorkloadError([*(str(p) for p in problems), "run 'stacksalt model check'"])
        control = (pillar.get("ccp") or {}).get("control")
        if isinstance(control, dict) and control.get("enabled", True):
            found.append((node, control))
    if not found:
        raise WorkloadError(
            [
                f"cluster {cluster!r}: no node has the pillar ccp:control (include "
                "system.ccp.control.openstack and a topology in the cluster's classes)"
            ]
        )
    if len(found) > 1:
        raise WorkloadError(
            [
                f"cluster {cluster!r}: several nodes carry ccp:control "
                f"({', '.join(n for n, _ in found)}); keep it on the one that applies it"
            ]
        )
    return found[0]


def docker_salt_tags(root: Path, state: Path) -> tuple[dict[str, str] | None, str | None]:
    """The content tags of the docker-salt images (as ``stacksalt images plan`` computes
    them), or (None, why) when they cannot be computed here (no base image, no wheels)."""
    from stacksalt.cluster.image import docker_id
    from stacksalt.images import plan
    from stacksalt.images.context import ImagesError, Project

    try:
        project = Project.load(root, state)
        for image in project.images.images:
            if image.base and not docker_id(image.base):
                return None, f"base image {image.base} is missing (run 'make setup')"
        resolved = plan.resolve(project.gather(None, lambda _msg: None))
    except (ImagesError, OSError, RuntimeError) as exc:
        return None, str(exc)
    return {name: info["tag"] for name, info in resolved.items()}, None
