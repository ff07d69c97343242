"""``docker-salt/compose.yml``: how each service image runs in a compose project, as data.

Pure: :func:`parse` validates the loaded YAML and returns :class:`ServiceSpec` objects in file
order (the order of services on a node and of their published ports).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stacksalt.images.spec import SpecError

_KEYS = {
    "role",
    "volumes",
    "shared",
    "mounts",
    "environment",
    "healthcheck",
    "start_period",
    "retries",
    "depends_on",
    "serial",
    "first_member",
    "publish",
    "post",
}


class ComposeSpecError(SpecError):
    """docker-salt/compose.yml is wrong; ``problems`` holds one line per problem."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    role: tuple[str, ...]  # pillar path, e.g. ("etcd", "server")
    volumes: dict[str, str] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)
    mounts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    healthcheck: tuple[str, ...] = ()
    start_period: int = 60
    retries: int = 5
    depends_on: tuple[str, ...] = ()
    serial: bool = False
    first_member: dict = field(default_factory=dict)
    publish: tuple[int, ...] = ()
    # States applied on the first member once every member is healthy (a post job).
    post: str = ""


def _mapping(value, where: str, problems: list[str]) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        problems.append(f"{where}: must map names to non-empty strings")
        return {}
    return dict(value)


def parse(data, images: set[str] | None = None) -> list[ServiceSpec]:
    """Validate compose.yml; ``images`` are the image names of images.yml."""
    problems: list[str] = []
    raw = data.get("services") if isinstance(data, dict) else None
    if not isinstance(raw, dict) or not raw:
        raise ComposeSpecError(["compose.yml: 'services' must be a non-empty mapping"])
    out: list[ServiceSpec] = []
    for name, body in raw.items():
        where = f"services.{name}"
        if not isinstance(body, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        bad = sorted(set(body) - _KEYS)
        if bad:
            problems.append(f"{where}: unknown key(s) {', '.join(bad)}")
        if images is not None and name not in images:
            problems.append(f"{where}: no image '{name}' in images.yml")
        role = body.get("role")
        if not isinstance(role, str) or not role.strip(":"):
            problems.append(f"{where}.role: a pillar path like 'etcd:server'")
            role = name
        for path in [*(body.get("volumes") or {}).values(), *(body.get("shared") or {}).values()]:
            if not isinstance(path, str) or not path.startswith("/"):
                problems.append(f"{where}: volume path {path!r} is not absolute")
        mounts = body.get("mounts") or {}
        if not isinstance(mounts, dict) or not all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in mounts.values()
        ):
            problems.append(f"{where}.mounts: must map services to lists of volume names")
            mounts = {}
        check = body.get("healthcheck") or []
        if not isinstance(check, list) or not all(isinstance(a, str) for a in check):
            problems.append(f"{where}.healthcheck: must be an argv list")
            check = []
        publish = body.get("publish") or []
        if not isinstance(publish, list) or not all(
            isinstance(p, int) and 0 < p < 65536 for p in publish
        ):
            problems.append(f"{where}.publish: must be a list of port numbers")
            publish = []
        depends = body.get("depends_on") or []
        if not isinstance(depends, list) or not all(d in raw for d in depends):
            problems.append(f"{where}.depends_on: must list services of this file")
            depends = []
        first = body.get("first_member") or {}
        if not isinstance(first, dict):
            problems.append(f"{where}.first_member: must be a pillar mapping")
            first = {}
        post = body.get("post") or ""
        if not isinstance(post, str) or (post and not all(p.strip() for p in post.split(","))):
            problems.append(f"{where}.post: state names separated by commas, e.g. 'x.y,x.z'")
            post = ""
        out.append(
            ServiceSpec(
                name=name,
                role=tuple(role.split(":")),
                volumes=_mapping(body.get("volumes"), f"{where}.volumes", problems),
                shared=_mapping(body.get("shared"), f"{where}.shared", problems),
                mounts={k: tuple(v) for k, v in mounts.items()},
                environment=_mapping(body.get("environment"), f"{where}.environment", problems),
                healthcheck=tuple(check),
                start_period=int(body.get("start_period") or 60),
                retries=int(body.get("retries") or 5),
                depends_on=tuple(depends),
                serial=bool(body.get("serial", False)),
                first_member=first,
                publish=tuple(publish),
                post=post,
            )
        )
    for svc in out:
        for other, names in svc.mounts.items():
            target = next((s for s in out if s.name == other), None)
            if target is None:
                problems.append(f"services.{svc.name}.mounts: no service '{other}'")
            elif not set(names) <= set(target.volumes):
                problems.append(
                    f"services.{svc.name}.mounts: {other} has no volume(s) "
                    f"{', '.join(sorted(set(names) - set(target.volumes)))}"
                )
    if problems:
        raise ComposeSpecError(problems)
    return out
