"""The rendered manifests checked against the images they run (pure).

The schema and semantic checks (:mod:`stacksalt.k8s.validate`) prove that the objects fit
together; these prove that their containers would start the way the images are built
(:mod:`stacksalt.images.spec`, the build plan the catalog describes):

- every image a container or init container references is in the build plan (its name and
  the plan's namespace: ``[<registry>/]<namespace>/<name>:<tag>``);
- no container of an image that runs ``stacksalt-entrypoint`` sets ``command``: that would
  replace the entrypoint, so the states that render the service's config at start would never
  run (``args`` are the entrypoint's arguments: a daemon's argv, or a Job's ``--apply``);
- every Job container of such an image runs ``--apply <state>[,<state>...]``, and each state
  is in a formula its image applies (its own or a parent's) and exists as an SLS file there.

An SLS is looked up with ``exists(path)``, ``path`` relative to Salt's file root
(``keystone/server/db_sync.sls``); :func:`formula_tree` answers from ``formulas/`` and an
integration test can answer from inside a built image (``/srv/salt/<path>``). Each problem
names the object, the container and the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from stacksalt.images.spec import ImagesFile
from stacksalt.k8s.validate import Problem
from stacksalt.service.catalog import applied_formulas

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
APPLY = "--apply"

Exists = Callable[[str], bool]


def bare_name(ref: str) -> str:
    """The image's name: ``reg:5000/stacksalt/keystone:t`` -> ``keystone``."""
    return repository(ref).rsplit("/", 1)[-1]


def repository(ref: str) -> str:
    """``ref`` without its tag or digest: ``reg:5000/stacksalt/keystone``."""
    ref = ref.split("@", 1)[0]
    head, _, last = ref.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def planned(ref: str, images: ImagesFile) -> str | None:
    """The build plan's image ``ref`` names (``[<registry>/]<namespace>/<name>:<tag>``, the
    plan's namespace), or None: an image this project does not build."""
    repo = repository(ref)
    name = repo.rsplit("/", 1)[-1]
    path = f"{images.namespace}/{name}"
    if name in images.by_name() and (repo == path or repo.endswith(f"/{path}")):
        return name
    return None


def sls_candidates(state: str) -> list[str]:
    """Where Salt finds ``state`` under its file root: ``a.b`` -> ``a/b.sls``, ``a/b/init.sls``."""
    path = state.replace(".", "/")
    return [f"{path}.sls", f"{path}/init.sls"]


def formula_tree(formulas_dir: Path) -> Exists:
    """``exists`` for the repository: Salt's file root holds ``formulas/<f>/<f>`` as ``<f>``."""

    def exists(path: str) -> bool:
        formula = path.split("/", 1)[0]
        return (formulas_dir / formula / path).is_file()

    return exists


def apply_states(args: Sequence[str] | None) -> list[str] | None:
    """The states of ``[--apply, a,b]``; None when the args are not that form."""
    if not args or len(args) != 2 or args[0] != APPLY or not args[1]:
        return None
    states = [s.strip() for s in args[1].split(",")]
    return states if all(states) else None


def _containers(obj: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for group in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(group) or []):
            yield f"spec.template.spec.{group}[{i}]", container


def problems(
    objects: Sequence[Mapping[str, Any]],
    images: ImagesFile,
    exists: Exists | None = None,
) -> list[Problem]:
    """Every container of every workload and Job against the build plan ``images``; the Jobs'
    states are looked up with ``exists`` (skipped when None)."""
    out: list[Problem] = []
    for obj in objects:
        kind = str(obj.get("kind"))
        if kind not in WORKLOADS:
            continue
        name = str((obj.get("metadata") or {}).get("name", "?"))
        for key, container in _containers(obj):
            job = kind == "Job" and "initContainers" not in key
            where = f"{key} ({container.get('name', '?')})"
            out += [
                Problem(kind, name, f"{where}{suffix}", message)
                for suffix, message in container_problems(container, images, job, exists)
            ]
    return out


def container_problems(
    container: Mapping[str, Any], images: ImagesFile, job: bool, exists: Exists | None = None
) -> list[tuple[str, str]]:
    """(key suffix, message) of one container (``job``: a Job's own container)."""
    by = images.by_name()
    ref = str(container.get("image", ""))
    name = planned(ref, images)
    if name is None:
        shown = ", ".join(f"{images.namespace}/{n}" for n in sorted(by))
        return [(".image", f"{ref!r} is not in the build plan ({shown})")]
    image = by[name]
    if not image.entrypoint:
        return []
    out = []
    if "command" in container:
        out.append(
            (
                ".command",
                f"replaces the entrypoint of image '{image.name}' (stacksalt-entrypoint: the "
                "states that render the config would not run); give args only",
            )
        )
    if not job:
        return out
    args = container.get("args")
    states = apply_states(args)
    if states is None:
        return [
            *out,
            (
                ".args",
                f"a Job of image '{image.name}' runs '{APPLY} <state>[,<state>...]' through "
                f"its entrypoint, got {args!r}",
            ),
        ]
    own = list(dict.fromkeys(applied_formulas(image, by)))
    for state in states:
        formula = state.split(".", 1)[0]
        if formula not in own:
            out.append(
                (
                    ".args",
                    f"state '{state}': image '{image.name}' does not apply formula "
                    f"'{formula}' (it applies: {', '.join(own) or 'none'})",
                )
            )
        elif exists is not None and not any(exists(p) for p in sls_candidates(state)):
            paths = " or ".join(f"formulas/{formula}/{p}" for p in sls_candidates(state))
            out.append((".args", f"state '{state}': no SLS {paths}"))
    return out
