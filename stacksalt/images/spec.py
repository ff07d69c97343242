"""The images docker-salt builds, read into plain dataclasses.

Two sources describe them: ``docker-salt/images.yml`` holds the base images (``salt-base``:
Debian + Salt + the entrypoint; images of plain Debian packages such as the dependency
waiter's ``kubectl``), and each formula's one description (``formulas/<f>/<f>/meta/
service.yml``, section ``images``) holds the images that formula builds. Both are parsed here
with the same rules (:func:`parse_images`); :func:`finish` checks parents and orders them.

Pure: every function takes loaded YAML and returns images or raises :class:`SpecError` with
one line per problem, each naming the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
KEYS = {
    "from",
    "parent",
    "packages",
    "wheels",
    "formulas",
    "pillar",
    "user",
    "env_file",
    "command",
    "ports",
}
DESCRIBED_KEYS = (KEYS - {"from", "wheels"}) | {"role"}
# images.yml base images may also say ``roles: [formula:role]`` (their packages): the catalog
# turns them into packages before parsing


class SpecError(ValueError):
    """An image description is wrong; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImageSpec:
    """One image as declared in images.yml or in a formula's description."""

    name: str
    parent: str | None = None  # an image of this project
    base: str | None = None  # an external image ("from")
    packages: tuple[str, ...] = ()
    wheels: str | None = None  # a requirements file (repository-relative) → Salt in /opt/salt
    formulas: tuple[str, ...] = ()
    pillar: dict = field(default_factory=dict)
    user: str | None = None
    env_file: str | None = None
    command: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    source: str = "docker-salt/images.yml"  # where it is described
    entrypoint: bool = False  # runs stacksalt-entrypoint (set by finish(): Salt in its chain)

    @property
    def has_salt(self) -> bool:
        """This image installs Salt (and the entrypoint): it is a base for the others."""
        return self.wheels is not None


@dataclass(frozen=True)
class ImagesFile:
    namespace: str
    images: tuple[ImageSpec, ...]

    def by_name(self) -> dict[str, ImageSpec]:
        return {image.name: image for image in self.images}

    def ref(self, name: str, tag: str) -> str:
        return f"{self.namespace}/{name}:{tag}"


def _str_list(value, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{where}: must be a list of non-empty strings")
        return ()
    return tuple(value)


def parse_image(
    name,
    body,
    where: str,
    problems: list[str],
    formulas: set[str] | None = None,
    keys: set[str] = KEYS,
    source: str = "docker-salt/images.yml",
    packages: tuple[str, ...] = (),
) -> ImageSpec | None:
    """One image body; problems are appended as ``<where>.<key>: message``. ``packages``
    come before the body's own (a formula's role packages)."""
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(f"{where}: image names are lower-case letters, digits, '.', '_', '-'")
        return None
    if not isinstance(body, dict):
        problems.append(f"{where}: must be a mapping")
        return None
    bad = sorted(set(body) - set(keys))
    if bad:
        problems.append(
            f"{where}: unknown key(s) {', '.join(bad)} (allowed: {', '.join(sorted(keys))})"
        )
    parent, base = body.get("parent"), body.get("from")
    if "from" in keys and (parent is None) == (base is None):
        problems.append(f"{where}: give exactly one of 'parent' (an image here) or 'from'")
    elif "from" not in keys and not isinstance(parent, str):
        problems.append(f"{where}.parent: required: the image it is built on (e.g. salt-base)")
    pillar = body.get("pillar") or {}
    if not isinstance(pillar, dict):
        problems.append(f"{where}.pillar: must be a mapping")
        pillar = {}
    command = _str_list(body.get("command"), f"{where}.command", problems)
    ports = body.get("ports") or []
    if not isinstance(ports, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in ports
    ):
        problems.append(f"{where}.ports: must be a list of port numbers")
        ports = []
    image_formulas = _str_list(body.get("formulas"), f"{where}.formulas", problems)
    if formulas is not None:
        for formula in image_formulas:
            if formula not in formulas:
                problems.append(
                    f"{where}.formulas: no formula '{formula}' in formulas/ "
                    f"(have: {', '.join(sorted(formulas))})"
                )
    if image_formulas and not command:
        problems.append(f"{where}: an image that applies formulas needs a 'command'")
    for key in ("user", "env_file", "wheels"):
        if body.get(key) is not None and not isinstance(body.get(key), str):
            problems.append(f"{where}.{key}: must be a string")
    own = _str_list(body.get("packages"), f"{where}.packages", problems)
    return ImageSpec(
        name=name,
        parent=parent if isinstance(parent, str) else None,
        base=base if isinstance(base, str) else None,
        packages=tuple(dict.fromkeys((*packages, *own))),
        wheels=body.get("wheels") if isinstance(body.get("wheels"), str) else None,
        formulas=image_formulas,
        pillar=pillar,
        user=body.get("user") if isinstance(body.get("user"), str) else None,
        env_file=body.get("env_file") if isinstance(body.get("env_file"), str) else None,
        command=command,
        ports=tuple(ports),
        source=source,
    )


def parse(data, formulas: set[str] | None = None) -> ImagesFile:
    """Validate images.yml data; return its images with parents before children."""
    namespace, specs = parse_base(data, formulas)
    return finish(namespace, specs)


def parse_base(data, formulas: set[str] | None = None) -> tuple[str, dict[str, ImageSpec]]:
    """images.yml: (namespace, its images), unordered; raises SpecError."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise SpecError(["images.yml: must be a mapping with 'namespace' and 'images'"])
    unknown = sorted(set(data) - {"namespace", "images"})
    if unknown:
        problems.append(f"images.yml: unknown key(s) {', '.join(unknown)}")
    namespace = data.get("namespace")
    if not isinstance(namespace, str) or not _NAME.match(namespace):
        problems.append("images.yml: 'namespace' must be a lower-case name like 'stacksalt'")
        namespace = "stacksalt"
    raw = data.get("images")
    if not isinstance(raw, dict) or not raw:
        raise SpecError([*problems, "images.yml: 'images' must be a non-empty mapping"])
    specs: dict[str, ImageSpec] = {}
    for name, body in raw.items():
        spec = parse_image(name, body, f"images.yml: images.{name}", problems, formulas)
        if spec is not None:
            specs[name] = spec
    if problems:
        raise SpecError(problems)
    return namespace, specs


def finish(namespace: str, specs: dict[str, ImageSpec]) -> ImagesFile:
    """Check parents, mark the images that run the entrypoint, order parents first."""
    problems: list[str] = []
    for spec in specs.values():
        if spec.parent is not None and spec.parent not in specs:
            problems.append(
                f"{spec.source}: images.{spec.name}.parent: no image '{spec.parent}' "
                f"(images: {', '.join(sorted(specs))})"
            )
        if spec.base is not None and spec.formulas and not spec.has_salt:
            problems.append(
                f"{spec.source}: images.{spec.name}: an image that applies formulas needs "
                "Salt: build it on salt-base ('parent') or give it 'wheels'"
            )
    if problems:
        raise SpecError(problems)
    ordered = order(specs)
    marked: dict[str, ImageSpec] = {}
    installed: dict[str, set[str]] = {}  # image -> the packages it and its ancestors install
    for given in ordered:
        spec = given
        salted = spec.has_salt or (spec.parent is not None and marked[spec.parent].entrypoint)
        inherited = installed.get(spec.parent, set()) if spec.parent else set()
        if inherited:  # a child never installs again what a parent did
            spec = _replace(spec, packages=tuple(p for p in spec.packages if p not in inherited))
        installed[spec.name] = inherited | set(spec.packages)
        if spec.parent is not None and spec.formulas and not marked[spec.parent].entrypoint:
            problems.append(
                f"{spec.source}: images.{spec.name}: applies formulas but its parent "
                f"{spec.parent} has no Salt"
            )
        marked[spec.name] = _replace(spec, entrypoint=salted)
    if problems:
        raise SpecError(problems)
    return ImagesFile(namespace, tuple(marked[s.name] for s in ordered))


def _replace(spec: ImageSpec, **changes) -> ImageSpec:
    from dataclasses import replace

    return replace(spec, **changes)


def order(specs: dict[str, ImageSpec]) -> list[ImageSpec]:
    """Parents before children; ties by name. Raises SpecError on a cycle."""
    done: list[ImageSpec] = []
    seen: set[str] = set()
    for name in sorted(specs):
        chain: list[str] = []
        current: str | None = name
        while current is not None and current not in seen:
            if current in chain:
                cycle = " -> ".join([*chain[chain.index(current) :], current])
                raise SpecError([f"images: parent cycle {cycle}"])
            chain.append(current)
            current = specs[current].parent
        for item in reversed(chain):
            seen.add(item)
            done.append(specs[item])
    return done


def select(images: tuple[ImageSpec, ...], names: list[str] | None) -> set[str]:
    """The names ``names`` plus their ancestors (a child cannot build without its parents)."""
    by = {i.name: i for i in images}
    if not names:
        return set(by)
    missing = [n for n in names if n not in by]
    if missing:
        raise SpecError([f"no image named {', '.join(missing)}; images: {', '.join(by)}"])
    out: set[str] = set()
    for name in names:
        current: str | None = name
        while current is not None:
            out.add(current)
            current = by[current].parent
    return out
