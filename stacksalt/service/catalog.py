"""The one description of every service, and the catalog the three renderers read.

A formula describes the services it runs in ``formulas/<f>/<f>/meta/service.yml``::

    images:                      # the images this formula builds (docker-salt)
      keystone:
        parent: salt-base        # an image of this project
        role: server             # packages: the role's ``pkgs`` (defaults.yaml, or the build
                                 # pillar's when it sets them): what the formula installs
        packages: [...]          # extra packages (optional)
        formulas: [keystone]     # applied at build (default: this formula)
        pillar: {...}            # the build pillar: placeholders, never a secret
        user: keystone           # the daemon's user (empty: it drops privileges itself)
        env_file: /etc/default/x # KEY=VALUE file loaded into the daemon's environment
        command: [uwsgi, ...]    # the daemon the entrypoint execs (the image's CMD)
        ports: [5000]
    services:                    # Kubernetes workloads, CCP application language (1.2.0)
      keystone: {dsl_version: 1.2.0, service: {name: keystone, containers: [...]}}

The model supplies only topology and values (where, how many, configs, secrets). Base images
(salt-base, kubectl) are in ``docker-salt/images.yml``. :func:`load` reads every description
and the base images and checks them together; every problem names the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stacksalt.formulas import discover
from stacksalt.images import spec as image_spec
from stacksalt.k8s.dsl import DefinitionError, ServiceDefinition, validate_definition
from stacksalt.k8s.pillar import template_problems

DESCRIPTION = Path("meta") / "service.yml"
IMAGES_FILE = Path("docker-salt") / "images.yml"
TOP_KEYS = ("images", "services")


class CatalogError(ValueError):
    """A description is wrong; ``problems`` holds one line per problem (file: key: message)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Catalog:
    """Every image (base images and the formulas' own) and every service definition."""

    images: image_spec.ImagesFile
    definitions: dict[str, ServiceDefinition]
    sources: dict[str, str] = field(default_factory=dict)  # "service:<name>" -> file
    formulas_dir: Path | None = None  # where the formulas are (their schemas, templates)

    def image(self, name: str) -> image_spec.ImageSpec:
        return self.images.by_name()[name]

    def source(self, service: str) -> str:
        return self.sources.get(f"service:{service}", "?")


def description_path(formulas_dir: Path, formula: str) -> Path:
    return formulas_dir / formula / formula / DESCRIPTION


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def role_packages(formulas_dir: Path, formula: str, role: str, pillar: Mapping) -> list[str]:
    """What the formula installs for ``role`` with ``pillar``: the build pillar's ``pkgs`` when
    it sets them, else the role's ``pkgs`` in defaults.yaml."""
    given = ((pillar.get(formula) or {}).get(role) or {}).get("pkgs")
    if given is not None:
        return list(given)
    path = formulas_dir / formula / formula / "defaults.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return list(((data or {}).get(role) or {}).get("pkgs") or [])


def _read(path: Path, where: str, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problems.append(f"{where}{at}: YAML syntax: {getattr(exc, 'problem', exc)}")
    except OSError as exc:
        problems.append(f"{where}: {exc}")
    return None


def load(root: Path, formulas_dir: Path | None = None, images_file: Path | None = None) -> Catalog:
    """Read ``docker-salt/images.yml`` and every formula's description under ``formulas_dir``
    (default ``<root>/formulas``). Raises :class:`CatalogError` listing every problem."""
    formulas_dir = formulas_dir or root / "formulas"
    images_path = images_file or root / IMAGES_FILE
    problems: list[str] = []
    formulas = {f.name for f in discover(formulas_dir)}

    data = _read(images_path, _rel(images_path, root), problems)
    namespace, specs = "stacksalt", {}
    if isinstance(data, Mapping) and isinstance(data.get("images"), Mapping):
        data = {**data, "images": _base_roles(data["images"], formulas_dir, problems)}
    if data is not None:
        try:
            namespace, specs = image_spec.parse_base(data, formulas)
        except image_spec.SpecError as exc:
            problems += exc.problems
    definitions: dict[str, ServiceDefinition] = {}
    sources: dict[str, str] = {}
    owners: dict[str, str] = {name: _rel(images_path, root) for name in specs}

    for formula in sorted(formulas):
        path = description_path(formulas_dir, formula)
        if not path.is_file():
            continue
        where = _rel(path, root)
        doc = _read(path, where, problems)
        if doc is None:
            continue
        if not isinstance(doc, Mapping):
            problems.append(f"{where}: must be a mapping with 'images' and/or 'services'")
            continue
        for key in sorted(set(doc) - set(TOP_KEYS)):
            problems.append(f"{where}: {key}: unknown key (allowed: {', '.join(TOP_KEYS)})")
        for name, body in (doc.get("images") or {}).items():
            here = f"{where}: images.{name}"
            if name in owners:
                problems.append(f"{here}: image '{name}' is also described in {owners[name]}")
                continue
            spec = _described_image(formulas_dir, formula, name, body, here, problems, formulas)
            if spec is not None:
                specs[name] = spec
                owners[name] = where
        raw_services = doc.get("services") or {}
        if not isinstance(raw_services, Mapping):
            problems.append(f"{where}: services: must be a mapping of definitions")
            raw_services = {}
        for name, body in raw_services.items():
            here = f"{where}: services.{name}"
            if f"service:{name}" in sources:
                problems.append(
                    f"{here}: service '{name}' is also described in {sources[f'service:{name}']}"
                )
                continue
            try:
                definition = validate_definition(body)
            except DefinitionError as exc:
                problems += [f"{here}: {key}: {message}" for key, message in exc.problems]
                continue
            if definition.name != name:
                problems.append(f"{here}: service.name: {definition.name!r} differs from the key")
                continue
            definitions[name] = definition
            sources[f"service:{name}"] = where

    images = None
    if not problems:
        try:
            images = image_spec.finish(namespace, specs)
        except image_spec.SpecError as exc:
            problems += exc.problems
    if images is not None:
        problems += _cross_check(images, definitions, sources)
    if problems:
        raise CatalogError(problems)
    assert images is not None
    return Catalog(images, definitions, sources, formulas_dir)


def _base_roles(images: Mapping, formulas_dir: Path, problems: list[str]) -> dict:
    """A base image's ``roles: [formula:role, ...]`` become its packages: every package those
    roles install, once (OpenStack's shared layer: its service images add only their
    formulas)."""
    out = {}
    for name, given in images.items():
        if not isinstance(given, Mapping) or "roles" not in given:
            out[name] = given
            continue
        body = dict(given)
        roles = body.pop("roles")
        where = f"docker-salt/images.yml: images.{name}.roles"
        packages: list[str] = []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            problems.append(f"{where}: a list of formula:role")
            roles = []
        for item in roles:
            formula, _, role = item.partition(":")
            found = role_packages(formulas_dir, formula, role, {}) if role else []
            if not found:
                problems.append(f"{where}: {item!r} names no role with pkgs in formulas/")
            packages += [p for p in found if p not in packages]
        body["packages"] = [*packages, *(body.get("packages") or [])]
        out[name] = body
    return out


def _described_image(formulas_dir, formula, name, body, where, problems, formulas):
    if not isinstance(body, Mapping):
        problems.append(f"{where}: must be a mapping")
        return None
    body = dict(body)
    role = body.pop("role", None)
    body.setdefault("formulas", [formula])
    packages: list[str] = []
    if role is not None:
        if not isinstance(role, str) or not role:
            problems.append(f"{where}.role: the formula role whose packages the image installs")
        else:
            packages = role_packages(formulas_dir, formula, role, body.get("pillar") or {})
            if not packages:
                problems.append(
                    f"{where}.role: formula {formula} has no pkgs for role '{role}' "
                    f"(formulas/{formula}/{formula}/defaults.yaml)"
                )
    return image_spec.parse_image(
        name,
        body,
        where,
        problems,
        formulas,
        keys=image_spec.DESCRIBED_KEYS - {"role"},
        source=where.split(": ", 1)[0],
        packages=tuple(packages),
    )


def _cross_check(
    images: image_spec.ImagesFile,
    definitions: Mapping[str, ServiceDefinition],
    sources: Mapping[str, str],
) -> list[str]:
    """Every container's image is built here; every pillar template names formulas its
    image applies and its expressions parse and name what a template sees; a daemon without
    a command runs an image that has one."""
    problems = []
    by = images.by_name()
    for name, definition in definitions.items():
        where = f"{sources[f'service:{name}']}: services.{name}"
        for i, container in enumerate(definition.containers):
            here = f"{where}: containers[{i}]"
            image = by.get(container.image)
            if image is None:
                problems.append(
                    f"{here}.image: no image '{container.image}' is described "
                    f"(images: {', '.join(sorted(by))})"
                )
                continue
            applied = set(applied_formulas(image, by))
            runs = [("", container.pillar, container.daemon)]
            runs += [
                (f".{phase}[{j}]", cmd.pillar, cmd)
                for phase, cmds in (("pre", container.pre), ("post", container.post))
                for j, cmd in enumerate(cmds)
            ]
            for suffix, pillar, cmd in runs:
                problems += [
                    f"{here}{suffix}.pillar{key}: {message}"
                    for key, message in template_problems(pillar or {})
                ]
                own = applied
                if cmd.image and cmd.image in by:
                    own = set(applied_formulas(by[cmd.image], by))
                for formula in sorted(pillar or {}):
                    if formula not in own:
                        problems.append(
                            f"{here}{suffix}.pillar.{formula}: its image does not apply "
                            f"formula {formula} (it applies: {', '.join(sorted(own)) or 'none'})"
                        )
                if suffix and cmd.type == "local":
                    problems.append(
                        f"{here}{suffix}: type local: commands run by the image's entrypoint "
                        "only; put the step into the formula's states or make it a Job "
                        "(type single)"
                    )
                if cmd.image and cmd.image not in by:
                    problems.append(f"{here}{suffix}.image: no image '{cmd.image}' is described")
            if container.daemon.argv is None and not container.daemon.command and not image.command:
                problems.append(
                    f"{here}.daemon.command: image '{image.name}' has no command: give one"
                )
            if (container.daemon.argv is None and container.daemon.command) and image.entrypoint:
                problems.append(
                    f"{here}.daemon.command: a shell string would bypass the image's "
                    "entrypoint: give the daemon's argv as a list, or none for the image's CMD"
                )
    return problems


def applied_formulas(image, by) -> list[str]:
    """The formulas in ``image`` (its own and its parents')."""
    out: list[str] = []
    current = image
    while current is not None:
        out += list(current.formulas)
        current = by.get(current.parent) if current.parent else None
    return out
