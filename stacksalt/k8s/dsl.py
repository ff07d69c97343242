"""Validation of service definitions written in the CCP application definition language.

Spec §4.4. A definition is a mapping ``{dsl_version, service, files}``; ``validate_definition``
checks it completely (unknown keys included, to catch typos) and returns a normalized,
immutable ``ServiceDefinition`` with every default applied. All problems are collected and
raised together in one ``DefinitionError`` whose lines read
``service '<name>': <key path>: <message>``.

DSL versioning (spec §4.4.3), F = ``SUPPORTED_DSL_VERSION``, S = the definition's version:
1. F < S (compared as MAJOR.MINOR.PATCH tuples) -> incompatible;
2. MAJOR(F) != MAJOR(S) -> incompatible;
3. otherwise compatible.
So a definition may be older in MINOR/PATCH but never newer, and never of another MAJOR.

Extensions over the CCP DSL 1.0.0 (hence ``SUPPORTED_DSL_VERSION`` 1.1.0); a definition using
one of them must declare at least 1.1.0:
- probes as a mapping ``{type: exec|httpGet, command | port+path, initialDelay, timeout,
  period}`` (1.0.0 only knows a command string, run as an Exec probe);
- container ``privileged: bool`` (securityContext.privileged);
- ports as a mapping ``{cont, node, ingress, name}`` or as a dotted reference to such a port
  config section (``keystone.public_port``), resolved by the renderer;
- command ``timeout`` (seconds to wait for its dependencies).

Extensions of 1.2.0 (stacksalt's one description per service: every container runs its
image's entrypoint, which renders the service's config from the pillar at start):
- a command given as an argv list (the arguments of the image's entrypoint: ``[--apply,
  keystone.server.bootstrap]`` for a Job); a daemon without ``command`` runs the image's CMD;
- container and single-command ``pillar``: the pillar template of the container (formula ->
  role -> values; string values may hold ``{{ ... }}`` expressions the renderer evaluates and
  ``$(POD_NAME)``-style references the entrypoint expands at start);
- container ``capabilities`` (Linux capabilities to add);
- probe type ``tcpSocket``;
- volume type ``shared`` (one volume for every replica: a ReadWriteMany claim) with ``size``;
- service ``podManagement`` (``Parallel`` or ``OrderedReady``, StatefulSets only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stacksalt.k8s.common import DNS1123_LABEL

SUPPORTED_DSL_VERSION = "1.2.0"
BASE_DSL_VERSION = "1.0.0"

KINDS = ("Deployment", "DaemonSet", "StatefulSet")
STRATEGIES = ("RollingUpdate", "Recreate")
ANTI_AFFINITIES = (None, "local", "global")
VOLUME_TYPES = ("host", "empty-dir", "shared")
COMMAND_TYPES = ("single", "local")
PROBE_TYPES = ("exec", "httpGet", "tcpSocket")
POD_MANAGEMENT = ("Parallel", "OrderedReady")
CAPABILITY = re.compile(r"^[A-Z][A-Z_]+$")
SIZE = re.compile(r"^[1-9][0-9]*(Mi|Gi|Ti)$")
NODE_PORT_RANGE = (30000, 32767)
RESERVED_VOLUME_PREFIX = "stacksalt-"

DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
PORT_STRING = re.compile(r"^(\d+)(?::(\d+))?$")
PORT_REFERENCE = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$")

_MISSING = object()


class DefinitionError(ValueError):
    """A service definition is invalid; ``problems`` lists (key path, message) pairs."""

    def __init__(self, service: str, problems: Sequence[tuple[str, str]]):
        self.service = service
        self.problems = list(problems)
        super().__init__(
            "\n".join(f"service '{service}': {path}: {message}" for path, message in problems)
        )


@dataclass(frozen=True)
class Probe:
    type: str  # "exec" or "httpGet"
    command: str | None = None
    port: int | str | None = None
    path: str = "/"
    scheme: str = "HTTP"
    initial_delay: int = 10
    timeout: int = 5
    period: int = 10


@dataclass(frozen=True)
class Volume:
    name: str
    type: str  # "host" or "empty-dir"
    path: str | None
    mount_path: str
    read_only: bool = False
    size: str | None = None  # shared volumes: the claim's size


@dataclass(frozen=True)
class Command:
    command: str  # the text form (argv joined); empty for a daemon running the image's CMD
    name: str | None = None
    image: str | None = None
    dependencies: tuple[str, ...] = ()
    type: str = "local"
    files: tuple[str, ...] = ()
    user: str | None = None
    timeout: int | None = None
    argv: tuple[str, ...] | None = None  # 1.2.0: the entrypoint's arguments (None: image CMD)
    pillar: Mapping[str, Any] | None = None  # 1.2.0: a Job's own pillar template


@dataclass(frozen=True)
class Port:
    """A service port: literal numbers, or ``ref`` to a port config section to resolve."""

    internal: int | None = None
    node: int | None = None
    ingress: str | None = None
    name: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    daemon: Command
    pre: tuple[Command, ...] = ()
    post: tuple[Command, ...] = ()
    probes: Mapping[str, Probe] = field(default_factory=dict)
    volumes: tuple[Volume, ...] = ()
    env: tuple[Mapping[str, Any], ...] = ()
    privileged: bool = False
    pillar: Mapping[str, Any] = field(default_factory=dict)  # 1.2.0: the pillar template
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileSpec:
    path: str
    content: str
    perm: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    dsl_version: str
    containers: tuple[Container, ...]
    kind: str = "Deployment"
    ports: tuple[Port, ...] = ()
    headless: bool = False
    host_network: bool = False
    host_pid: bool = False
    strategy: str = "RollingUpdate"
    pod_management: str = "Parallel"
    anti_affinity: str | None = None
    pod_annotations: Mapping[str, str] = field(default_factory=dict)
    service_annotations: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, FileSpec] = field(default_factory=dict)

    def single_commands(self) -> list[tuple[Container, str, Command]]:
        """Every ``type: single`` command as (container, "pre"|"post", command)."""
        found = []
        for container in self.containers:
            for phase, commands in (("pre", container.pre), ("post", container.post)):
                found.extend((container, phase, c) for c in commands if c.type == "single")
        return found


# --------------------------------------------------------------------------- versions


def parse_version(value: Any) -> tuple[int, int, int]:
    """Parse ``MAJOR.MINOR.PATCH``; raise ValueError otherwise."""
    if not isinstance(value, str) or not SEMVER.match(value):
        raise ValueError(f"must be a 'MAJOR.MINOR.PATCH' string, got {value!r}")
    major, minor, patch = (int(p) for p in value.split("."))
    return major, minor, patch


def check_dsl_version(definition: str, supported: str = SUPPORTED_DSL_VERSION) -> str | None:
    """Return None if compatible, else the reason (spec §4.4.3 rules, in order)."""
    framework = parse_version(supported)
    service = parse_version(definition)
    if framework < service:
        return f"{definition} is newer than the supported DSL version {supported}"
    if framework[0] != service[0]:
        return f"{definition} has another MAJOR version than the supported DSL version {supported}"
    return None


# --------------------------------------------------------------------------- validation


class _Checker:
    """Collects (path, message) problems while walking one definition."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []
        # feature -> (first path using it, the DSL version it needs)
        self.features: dict[str, tuple[str, str]] = {}
        self.version: tuple[int, int, int] | None = None  # the definition's, once known

    def add(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def feature(self, path: str, what: str, version: str = "1.1.0") -> None:
        self.features.setdefault(what, (path, version))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, f"must be a mapping, got {type(value).__name__}")
            return None
        return value

    def unknown(self, data: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                prefix = f"{path}." if path else ""
                self.add(f"{prefix}{key}", f"unknown key (allowed: {', '.join(allowed)})")

    def get(self, data: Mapping[str, Any], key: str, path: str, required: bool = False) -> Any:
        value = data.get(key, _MISSING)
        if value is _MISSING or (required and value is None):
            if required:
                self.add(_join(path, key), "required")
            return _MISSING
        return value

    def string(self, data: Mapping[str, Any], key: str, path: str, required: bool = False):
        value = self.get(data, key, path, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(_join(path, key), f"must be a non-empty string, got {value!r}")
            return None
        return value

    def boolean(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = self.get(data, key, path)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.add(_join(path, key), f"must be a boolean, got {value!r}")
            return default
        return value

    def choice(self, data, key, path, choices, default):
        value = self.get(data, key, path)
        if value is _MISSING:
            return default
        if value not in choices:
            shown = ", ".join("null" if c is None else str(c) for c in choices)
            self.add(_join(path, key), f"must be one of [{shown}], got {value!r}")
            return default
        return value

    def integer(self, data, key, path, minimum: int = 0) -> int | None:
        value = self.get(data, key, path)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.add(_join(path, key), f"must be an integer >= {minimum}, got {value!r}")
            return None
        return value

    def string_list(self, data, key, path) -> tuple[str, ...]:
        value = self.get(data, key, path)
        if value is _MISSING or value is None:
            return ()
        if not isinstance(value, list):
            self.add(_join(path, key), f"must be a list of strings, got {type(value).__name__}")
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.add(f"{_join(path, key)}[{i}]", f"must be a non-empty string, got {item!r}")
            else:
                out.append(item)
        return tuple(out)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def validate_definition(
    document: Mapping[str, Any], supported_version: str = SUPPORTED_DSL_VERSION
) -> ServiceDefinition:
    """Validate one service definition document and return it normalized.

    Raises ``DefinitionError`` listing every problem found.
    """
    chk = _Checker()
    if not isinstance(document, Mapping):
        raise DefinitionError("?", [("", "a definition must be a mapping")])
    service = document.get("service")
    name = "?"
    if isinstance(service, Mapping) and isinstance(service.get("name"), str):
        name = service["name"]
    chk.unknown(document, ("dsl_version", "service", "files"), "")

    version = document.get("dsl_version", _MISSING)
    if version is _MISSING or version is None:
        chk.add("dsl_version", "required")
        version = None
    else:
        try:
            parse_version(version)
        except ValueError as exc:
            chk.add("dsl_version", str(exc))
            version = None
        else:
            reason = check_dsl_version(version, supported_version)
            if reason:
                # Incompatible: report only this, the rest may be another language.
                raise DefinitionError(name, [("dsl_version", f"incompatible: {reason}")])

    if version is not None:
        chk.version = parse_version(version)
    files = _files(chk, document.get("files"))
    result = None
    if service is None:
        chk.add("service", "required")
    elif chk.mapping(service, "service") is not None:
        result = _service(chk, service, files, version or supported_version)

    if version is not None:
        for what, (path, needed) in sorted(chk.features.items(), key=lambda kv: kv[1]):
            if parse_version(version) < parse_version(needed):
                chk.add(path, f"{what} needs dsl_version >= {needed} (definition has {version})")
    if chk.problems or result is None:
        raise DefinitionError(name, chk.problems)
    return result


def _files(chk: _Checker, files: Any) -> dict[str, FileSpec]:
    if files is None:
        return {}
    if chk.mapping(files, "files") is None:
        return {}
    out = {}
    for key, spec in files.items():
        path = f"files.{key}"
        if chk.mapping(spec, path) is None:
            continue
        chk.unknown(spec, ("path", "content", "perm", "user"), path)
        dest = chk.string(spec, "path", path, required=True)
        content = chk.string(spec, "content", path, required=True)
        perm = spec.get("perm")
        if perm is not None and not (isinstance(perm, str) and re.fullmatch(r"0?[0-7]{3}", perm)):
            chk.add(f"{path}.perm", f'must be an octal mode string like "0644", got {perm!r}')
            perm = None
        user = chk.string(spec, "user", path)
        if dest and not dest.startswith("/"):
            chk.add(f"{path}.path", f"must be an absolute path, got {dest!r}")
        if dest and content:
            out[str(key)] = FileSpec(path=dest, content=content, perm=perm, user=user)
    return out


SERVICE_KEYS = (
    "name",
    "kind",
    "ports",
    "headless",
    "hostNetwork",
    "hostPID",
    "strategy",
    "antiAffinity",
    "annotations",
    "containers",
    "podManagement",
)


def _service(
    chk: _Checker, svc: Mapping[str, Any], files: Mapping[str, FileSpec], version: str
) -> ServiceDefinition | None:
    chk.unknown(svc, SERVICE_KEYS, "")
    name = chk.string(svc, "name", "", required=True)
    if name and (len(name) > 63 or not DNS1035_LABEL.match(name)):
        chk.add("name", f"must be a DNS-1035 label (a-z, 0-9, '-', <= 63 chars), got {name!r}")
    kind = chk.choice(svc, "kind", "", KINDS, "Deployment")
    strategy = chk.choice(svc, "strategy", "", STRATEGIES, "RollingUpdate")
    anti = chk.choice(svc, "antiAffinity", "", ANTI_AFFINITIES, None)
    pod_management = chk.choice(svc, "podManagement", "", POD_MANAGEMENT, "Parallel")
    if "podManagement" in svc:
        chk.feature("podManagement", "podManagement", "1.2.0")
        if kind != "StatefulSet":
            chk.add("podManagement", f"only valid for a StatefulSet, not a {kind}")
    headless = chk.boolean(svc, "headless", "", False)
    host_network = chk.boolean(svc, "hostNetwork", "", False)
    host_pid = chk.boolean(svc, "hostPID", "", False)
    if "strategy" in svc and kind != "Deployment" and strategy == "Recreate":
        chk.add("strategy", f"Recreate is only valid for a Deployment, not a {kind}")
    pod_ann, svc_ann = _annotations(chk, svc.get("annotations"))
    ports = _ports(chk, svc.get("ports"))
    if headless and any(p.node for p in ports):
        chk.add("headless", "a headless service cannot expose node ports")

    containers_raw = svc.get("containers")
    containers: list[Container] = []
    if containers_raw is None:
        chk.add("containers", "required")
    elif not isinstance(containers_raw, list) or not containers_raw:
        chk.add("containers", "must be a non-empty list of containers")
    else:
        for i, raw in enumerate(containers_raw):
            container = _container(chk, raw, f"containers[{i}]", files)
            if container:
                containers.append(container)
        _check_unique(chk, containers)

    if not name or not isinstance(containers_raw, list) or len(containers) != len(containers_raw):
        return None
    return ServiceDefinition(
        name=name,
        dsl_version=version,
        containers=tuple(containers),
        kind=kind,
        ports=tuple(ports),
        headless=headless,
        host_network=host_network,
        host_pid=host_pid,
        strategy=strategy,
        pod_management=pod_management,
        anti_affinity=anti,
        pod_annotations=pod_ann,
        service_annotations=svc_ann,
        files=dict(files),
    )


def _annotations(chk: _Checker, raw: Any) -> tuple[dict[str, str], dict[str, str]]:
    if raw is None:
        return {}, {}
    if chk.mapping(raw, "annotations") is None:
        return {}, {}
    chk.unknown(raw, ("pod", "service"), "annotations")
    out: list[dict[str, str]] = []
    for key in ("pod", "service"):
        part = raw.get(key) or {}
        if chk.mapping(part, f"annotations.{key}") is None:
            out.append({})
            continue
        clean = {}
        for ann_key, value in part.items():
            if not isinstance(value, str):
                chk.add(f"annotations.{key}.{ann_key}", f"must be a string, got {value!r}")
            else:
                clean[str(ann_key)] = value
        out.append(clean)
    return out[0], out[1]


def _port_number(chk: _Checker, value: Any, path: str, node: bool = False) -> int | None:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        chk.add(path, f"must be a port number 1-65535, got {value!r}")
        return None
    low, high = NODE_PORT_RANGE
    if node and not low <= value <= high:
        chk.add(path, f"node port {value} is outside the NodePort range {low}-{high}")
        return None
    return value


def _ports(chk: _Checker, raw: Any) -> list[Port]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        chk.add("ports", "must be a list")
        return []
    ports: list[Port] = []
    for i, item in enumerate(raw):
        path = f"ports[{i}]"
        if isinstance(item, bool):
            chk.add(path, f"must be 'internal[:external]', a port section or a reference: {item!r}")
        elif isinstance(item, int):
            number = _port_number(chk, item, path)
            if number:
                ports.append(Port(internal=number))
        elif isinstance(item, str) and PORT_STRING.match(item):
            internal, node = PORT_STRING.match(item).groups()
            a = _port_number(chk, internal, path)
            b = _port_number(chk, node, path, node=True) if node else None
            if a and (b or not node):
                ports.append(Port(internal=a, node=b))
        elif isinstance(item, str) and PORT_REFERENCE.match(item):
            chk.feature(path, "a port config reference")
            ports.append(Port(ref=item))
        elif isinstance(item, Mapping):
            chk.feature(path, "a port mapping")
            port = port_from_section(item, path, chk)
            if port:
                ports.append(port)
        else:
            chk.add(path, f"must be 'internal[:external]', a port section or a reference: {item!r}")
    seen: set[int] = set()
    for i, port in enumerate(ports):
        if port.internal is not None and port.internal in seen:
            chk.add(f"ports[{i}]", f"duplicate internal port {port.internal}")
        if port.internal is not None:
            seen.add(port.internal)
    return ports


def port_from_section(section: Mapping[str, Any], path: str, chk: _Checker | None = None):
    """Build a ``Port`` from a port config section ``{cont, node?, ingress?, name?}``.

    With ``chk`` problems are collected; without it a ``DefinitionError`` naming the path is
    raised (the renderer uses that form for resolved config references).
    """
    own = chk or _Checker()
    own.unknown(section, ("cont", "node", "ingress", "name"), path)
    cont = section.get("cont")
    internal = _port_number(own, cont, f"{path}.cont") if cont is not None else None
    if cont is None:
        own.add(f"{path}.cont", "required")
    node = section.get("node")
    node_port = _port_number(own, node, f"{path}.node", node=True) if node is not None else None
    ingress = own.string(section, "ingress", path)
    if ingress and not DNS1123_LABEL.match(ingress):
        own.add(f"{path}.ingress", f"must be a DNS label (subdomain part), got {ingress!r}")
    name = own.string(section, "name", path)
    if name and (len(name) > 15 or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name)):
        own.add(f"{path}.name", f"must be an IANA service name (<= 15 chars), got {name!r}")
    if chk is None and own.problems:
        raise DefinitionError("?", own.problems)
    if internal is None:
        return None
    return Port(internal=internal, node=node_port, ingress=ingress, name=name)


CONTAINER_KEYS = (
    "name",
    "image",
    "probes",
    "volumes",
    "pre",
    "daemon",
    "post",
    "env",
    "privileged",
    "pillar",
    "capabilities",
)


def _container(
    chk: _Checker, raw: Any, path: str, files: Mapping[str, FileSpec]
) -> Container | None:
    if chk.mapping(raw, path) is None:
        return None
    chk.unknown(raw, CONTAINER_KEYS, path)
    name = chk.string(raw, "name", path, required=True)
    if name and (len(name) > 63 or not DNS1123_LABEL.match(name)):
        chk.add(f"{path}.name", f"must be a DNS-1123 label, got {name!r}")
    image = chk.string(raw, "image", path, required=True)
    if image and ("/" in image or ":" in image):
        chk.add(
            f"{path}.image",
            f"must be a bare image name, registry/namespace/tag are added: got {image!r}",
        )
    privileged = chk.boolean(raw, "privileged", path, False)
    if "privileged" in raw:
        chk.feature(f"{path}.privileged", "privileged")
    probes = _probes(chk, raw.get("probes"), f"{path}.probes")
    volumes = _volumes(chk, raw.get("volumes"), f"{path}.volumes")
    env = _env(chk, raw.get("env"), f"{path}.env")
    pillar = _pillar(chk, raw, path)
    capabilities = chk.string_list(raw, "capabilities", path)
    if "capabilities" in raw:
        chk.feature(f"{path}.capabilities", "capabilities", "1.2.0")
    for i, cap in enumerate(capabilities):
        if not CAPABILITY.match(cap):
            chk.add(f"{path}.capabilities[{i}]", f"a capability like NET_ADMIN, got {cap!r}")

    daemon = None
    if raw.get("daemon") is None:
        chk.add(f"{path}.daemon", "required")
    else:
        daemon = _command(chk, raw["daemon"], f"{path}.daemon", files, phase="daemon")
    pre = _commands(chk, raw.get("pre"), f"{path}.pre", files)
    post = _commands(chk, raw.get("post"), f"{path}.post", files)
    if not (name and image and daemon) or None in pre or None in post:
        return None
    return Container(
        name=name,
        image=image,
        daemon=daemon,
        pre=tuple(pre),
        post=tuple(post),
        probes=probes,
        volumes=tuple(volumes),
        env=tuple(env),
        privileged=privileged,
        pillar=pillar or {},
        capabilities=capabilities,
    )


def _pillar(chk: _Checker, raw: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    """A pillar template: formula -> role -> mapping (1.2.0)."""
    if "pillar" not in raw:
        return None
    chk.feature(f"{path}.pillar", "a pillar template", "1.2.0")
    value = raw["pillar"]
    if chk.mapping(value, f"{path}.pillar") is None:
        return None
    for formula, roles in value.items():
        where = f"{path}.pillar.{formula}"
        if chk.mapping(roles, where) is None:
            continue
        for role, body in roles.items():
            if not isinstance(body, Mapping) and body is not None:
                chk.add(f"{where}.{role}", f"must be a mapping (the {formula} {role} pillar)")
    return {
        f: {r: dict(b) if isinstance(b, Mapping) else {} for r, b in roles.items()}
        for f, roles in value.items()
        if isinstance(roles, Mapping)
    }


def _probes(chk: _Checker, raw: Any, path: str) -> dict[str, Probe]:
    if raw is None:
        return {}
    if chk.mapping(raw, path) is None:
        return {}
    chk.unknown(raw, ("readiness", "liveness"), path)
    out = {}
    for key in ("readiness", "liveness"):
        if key not in raw:
            continue
        value = raw[key]
        p = f"{path}.{key}"
        if isinstance(value, str) and value.strip():
            out[key] = Probe(type="exec", command=value)
            continue
        if not isinstance(value, Mapping):
            chk.add(p, f"must be a command string or a probe mapping, got {value!r}")
            continue
        chk.feature(p, "a probe mapping")
        chk.unknown(
            value,
            ("type", "command", "port", "path", "scheme", "initialDelay", "timeout", "period"),
            p,
        )
        ptype = chk.choice(value, "type", p, PROBE_TYPES, "exec")
        delay = chk.integer(value, "initialDelay", p)
        timeout = chk.integer(value, "timeout", p, minimum=1)
        period = chk.integer(value, "period", p, minimum=1)
        timing = {
            k: v
            for k, v in (("initial_delay", delay), ("timeout", timeout), ("period", period))
            if v is not None
        }
        if ptype == "exec":
            command = chk.string(value, "command", p, required=True)
            for extra in ("port", "path", "scheme"):
                if extra in value:
                    chk.add(f"{p}.{extra}", "only valid for type httpGet")
            if command:
                out[key] = Probe(type="exec", command=command, **timing)
        elif ptype == "tcpSocket":
            chk.feature(p, "a tcpSocket probe", "1.2.0")
            for extra in ("command", "path", "scheme"):
                if extra in value:
                    chk.add(f"{p}.{extra}", "not valid for type tcpSocket")
            port = _port_number(chk, value.get("port"), f"{p}.port")
            if port is not None:
                out[key] = Probe(type="tcpSocket", port=port, **timing)
        else:
            if "command" in value:
                chk.add(f"{p}.command", "only valid for type exec")
            port = value.get("port")
            if port is None:
                chk.add(f"{p}.port", "required")
            elif isinstance(port, str) and not port.isdigit():
                pass  # a named container port
            else:
                port = _port_number(chk, port, f"{p}.port")
            http_path = chk.string(value, "path", p) or "/"
            if not http_path.startswith("/"):
                chk.add(f"{p}.path", f"must start with '/', got {http_path!r}")
            scheme = chk.choice(value, "scheme", p, ("HTTP", "HTTPS"), "HTTP")
            if port is not None:
                out[key] = Probe(type="httpGet", port=port, path=http_path, scheme=scheme, **timing)
    return out


def _volumes(chk: _Checker, raw: Any, path: str) -> list[Volume]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        chk.add(path, "must be a list")
        return []
    out = []
    for i, item in enumerate(raw):
        p = f"{path}[{i}]"
        if chk.mapping(item, p) is None:
            continue
        chk.unknown(item, ("name", "type", "path", "mount-path", "readOnly", "size"), p)
        name = chk.string(item, "name", p, required=True)
        if name and (len(name) > 63 or not DNS1123_LABEL.match(name)):
            chk.add(f"{p}.name", f"must be a DNS-1123 label, got {name!r}")
        elif name and name.startswith(RESERVED_VOLUME_PREFIX):
            chk.add(f"{p}.name", f"names starting with {RESERVED_VOLUME_PREFIX!r} are reserved")
        vtype = item.get("type")
        if vtype is None:
            chk.add(f"{p}.type", "required")
        elif vtype not in VOLUME_TYPES:
            chk.add(f"{p}.type", f"must be one of [{', '.join(VOLUME_TYPES)}], got {vtype!r}")
        host_path = chk.string(item, "path", p)
        if vtype == "host" and host_path is None and "path" not in item:
            chk.add(f"{p}.path", "required for a host volume")
        if vtype in ("empty-dir", "shared") and host_path is not None:
            chk.add(f"{p}.path", "only valid for a host volume (use mount-path)")
        mount = chk.string(item, "mount-path", p) or host_path
        if mount is None and vtype in ("empty-dir", "shared"):
            article = "an" if vtype == "empty-dir" else "a"
            chk.add(f"{p}.mount-path", f"required for {article} {vtype} volume")
        size = chk.string(item, "size", p)
        if vtype == "shared":
            chk.feature(p, "a shared volume", "1.2.0")
            if size is None:
                chk.add(f"{p}.size", "required for a shared volume (e.g. 10Gi)")
            elif not SIZE.match(size):
                chk.add(f"{p}.size", f"a size like 512Mi or 10Gi, got {size!r}")
        elif size is not None:
            chk.add(f"{p}.size", "only valid for a shared volume")
        for key, value in (("path", host_path), ("mount-path", mount)):
            if value and not value.startswith("/"):
                chk.add(f"{p}.{key}", f"must be an absolute path, got {value!r}")
        read_only = chk.boolean(item, "readOnly", p, False)
        if name and vtype in VOLUME_TYPES and mount:
            out.append(Volume(name, vtype, host_path, mount, read_only, size))
    return out


def _env(chk: _Checker, raw: Any, path: str) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        chk.add(path, "must be a list of {name, value|valueFrom}")
        return []
    out = []
    for i, item in enumerate(raw):
        p = f"{path}[{i}]"
        if chk.mapping(item, p) is None:
            continue
        chk.unknown(item, ("name", "value", "valueFrom"), p)
        name = chk.string(item, "name", p, required=True)
        if name and not ENV_NAME.match(name):
            chk.add(f"{p}.name", f"is not a valid environment variable name: {name!r}")
        if "value" in item and "valueFrom" in item:
            chk.add(p, "value and valueFrom are mutually exclusive")
        if "value" in item and not isinstance(item["value"], str):
            chk.add(f"{p}.value", f"must be a string, got {item['value']!r}")
        if name:
            out.append(dict(item))
    return out


def _commands(chk: _Checker, raw: Any, path: str, files) -> list[Command | None]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        chk.add(path, "must be a list of commands")
        return [None]
    return [_command(chk, item, f"{path}[{i}]", files, phase="hook") for i, item in enumerate(raw)]


def _command(chk: _Checker, raw: Any, path: str, files, phase: str) -> Command | None:
    if chk.mapping(raw, path) is None:
        return None
    allowed = (
        "name",
        "image",
        "command",
        "dependencies",
        "type",
        "files",
        "user",
        "timeout",
        "pillar",
    )
    chk.unknown(raw, allowed, path)
    argv: tuple[str, ...] | None = None
    value = raw.get("command")
    if isinstance(value, list):
        chk.feature(f"{path}.command", "a command as an argv list", "1.2.0")
        if not value or not all(isinstance(a, str) and a for a in value):
            chk.add(f"{path}.command", "an argv list of non-empty strings")
        argv = tuple(str(a) for a in value)
        command = " ".join(argv)
    elif value is None and phase == "daemon" and (chk.version or (9, 0, 0)) >= (1, 2, 0):
        command = ""  # 1.2.0: the image's CMD, through its entrypoint
    else:
        command = chk.string(raw, "command", path, required=True)
    ctype = chk.choice(raw, "type", path, COMMAND_TYPES, "local")
    pillar = _pillar(chk, raw, path)
    name = chk.string(raw, "name", path)
    image = chk.string(raw, "image", path)
    if phase == "daemon" and "type" in raw and ctype == "single":
        chk.add(f"{path}.type", "the daemon cannot be a single (Job) command")
    if ctype == "single" and phase == "hook" and name is None and "name" not in raw:
        chk.add(f"{path}.name", "required for a command with type single")
    if name and (len(name) > 63 or not DNS1123_LABEL.match(name)):
        chk.add(f"{path}.name", f"must be a DNS-1123 label (it names a Job), got {name!r}")
    if image and ctype != "single":
        chk.add(f"{path}.image", "only valid for a pre/post command with type single")
    if image and ("/" in image or ":" in image):
        chk.add(f"{path}.image", f"must be a bare image name, got {image!r}")
    deps = chk.string_list(raw, "dependencies", path)
    file_keys = chk.string_list(raw, "files", path)
    for i, key in enumerate(file_keys):
        if key not in files:
            chk.add(f"{path}.files[{i}]", f"'{key}' is not defined in the top-level files")
    user = chk.string(raw, "user", path)
    timeout = chk.integer(raw, "timeout", path, minimum=1)
    if "timeout" in raw:
        chk.feature(f"{path}.timeout", "a command timeout")
    if command is None:
        return None
    return Command(
        argv=argv,
        pillar=pillar,
        command=command,
        name=name,
        image=image,
        dependencies=deps,
        type=ctype,
        files=file_keys,
        user=user,
        timeout=timeout,
    )


def _check_unique(chk: _Checker, containers: list[Container]) -> None:
    names: set[str] = set()
    volumes: dict[str, Volume] = {}
    jobs: set[str] = set()
    for i, container in enumerate(containers):
        if container.name in names:
            chk.add(f"containers[{i}].name", f"duplicate container name {container.name!r}")
        names.add(container.name)
        for j, vol in enumerate(container.volumes):
            other = volumes.get(vol.name)
            if other and (other.type, other.path) != (vol.type, vol.path):
                chk.add(
                    f"containers[{i}].volumes[{j}]",
                    f"volume {vol.name!r} is defined twice with different type/path",
                )
            volumes.setdefault(vol.name, vol)
        for phase, commands in (("pre", container.pre), ("post", container.post)):
            for j, cmd in enumerate(commands):
                if cmd.type == "single" and cmd.name:
                    if cmd.name in jobs:
                        chk.add(
                            f"containers[{i}].{phase}[{j}].name",
                            f"duplicate single command name {cmd.name!r}",
                        )
                    jobs.add(cmd.name)
