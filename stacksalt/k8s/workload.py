"""The workload of one environment, from the model and the services' descriptions to validated
Kubernetes objects.

The services are described once, with their formulas (``formulas/<f>/<f>/meta/service.yml``:
:mod:`stacksalt.service.catalog`). The model keeps only topology and values, in the pillar key
``ccp:control`` (formula ``ccp``) of the node that applies it (the salt master):
``kubernetes`` (namespace, cluster_domain, the Kubernetes node names, match_mode),
``registry`` (address, username, password), ``images`` (namespace, tag, tags), ``configs``,
``secret_configs``, ``nodes``, ``roles``, ``replicas``, ``services`` (named instances of a
description, e.g. ``database`` from ``galera``), ``external`` (instances provided outside the
environment, on the hosts: dependencies on them are satisfied) and ``options``
(dependency_timeout, poll_interval, job_backoff_limit).

:func:`parse` checks the topology against the catalog and raises :class:`WorkloadError`
naming the service and key of every problem; :func:`build` renders and validates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stacksalt import secrets
from stacksalt.k8s.dsl import DefinitionError, ServiceDefinition
from stacksalt.k8s.ingress import ingress_config
from stacksalt.k8s.render import RenderError, RenderOptions, render
from stacksalt.k8s.topology import Topology, TopologyError, resolve_topology

WAITER_IMAGE = "kubectl"
OPTION_KEYS = ("dependency_timeout", "poll_interval", "job_backoff_limit")
REMOVED_KEYS = {
    "definitions": "services are described with their formulas (formulas/<f>/<f>/meta/"
    "service.yml); the model keeps topology and values only",
    "config_files": "the containers render their config from their pillar at start",
}


class WorkloadError(ValueError):
    """The workload cannot be rendered; ``problems`` has one line per problem."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Parsed:
    definitions: dict[str, ServiceDefinition]
    topology: Topology
    sources: dict[str, str] = field(default_factory=dict)  # definition -> its file
    external: tuple[str, ...] = ()
    entrypoint_images: frozenset[str] = frozenset()  # images that run stacksalt-entrypoint
    # external instance -> {address, peers}: where the hosts run it (templates' address())
    external_hosts: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Build:
    objects: list[dict[str, Any]]
    node_labels: dict[str, dict[str, str]]
    warnings: list[str]
    problems: list[Any]  # validate.Problem
    namespace: str
    domains: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _mapping(control: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = control.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise WorkloadError([f"ccp:control:{key}: must be a mapping"])
    return value


def node_names(control: Mapping[str, Any]) -> list[str]:
    nodes = _mapping(control, "kubernetes").get("nodes")
    if not isinstance(nodes, list) or not nodes or not all(isinstance(n, str) for n in nodes):
        raise WorkloadError(["ccp:control:kubernetes:nodes: a non-empty list of node names"])
    return list(nodes)


def parse(control: Mapping[str, Any], catalog, nodes: Sequence[str] | None = None) -> Parsed:
    """Resolve the topology and check it against the services' descriptions (``catalog``:
    :class:`stacksalt.service.catalog.Catalog`)."""
    problems: list[str] = []
    for key, why in REMOVED_KEYS.items():
        if key in control:
            problems.append(f"ccp:control:{key}: no longer in the model: {why}")
    definitions = dict(catalog.definitions)
    sources = {name: catalog.source(name) for name in definitions}
    external_hosts, found = external_of(control)
    problems += found
    external = list(external_hosts)
    topology = None
    try:
        match_mode = _mapping(control, "kubernetes").get("match_mode", "prefix")
        topology = resolve_topology(control, nodes or node_names(control), match_mode)
    except (TopologyError, WorkloadError) as exc:
        problems.append(str(exc))
    if topology is not None:
        for inst in topology.instances.values():
            if inst.service_def not in definitions:
                where = (
                    f"services.{inst.name}.service_def"
                    if inst.name != inst.service_def
                    else (f"roles: service '{inst.name}'")
                )
                problems.append(
                    f"{where}: no service described as {inst.service_def!r} (described: "
                    f"{', '.join(sorted(definitions))})"
                )
        for name in external:
            if name in topology.instances:
                problems.append(
                    f"ccp:control:external: '{name}' is also deployed here by a role; "
                    "a service runs either on the hosts or in the workload"
                )
        problems += _dependency_problems(topology, definitions, sources, external)
    if problems:
        raise WorkloadError(problems)
    assert topology is not None
    # an instance run by the hosts is defined (its name) but deployed by no role: not news
    topology.warnings = [
        w for w in topology.warnings if not any(w.startswith(f"services.{e}:") for e in external)
    ]
    entry = frozenset(i.name for i in catalog.images.images if i.entrypoint)
    return Parsed(definitions, topology, sources, tuple(external), entry, external_hosts)


def external_of(control: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """``ccp:control:external``: the instances the hosts run, as a list of names or as a
    mapping ``name: {address, peers}`` (its address and its members' addresses: what a
    template's ``address()`` and ``peers()`` give for it)."""
    raw = control.get("external") or []
    where = "ccp:control:external"
    if isinstance(raw, list) and all(isinstance(e, str) for e in raw):
        return {name: {} for name in raw}, []
    if not isinstance(raw, Mapping):
        return {}, [f"{where}: a list of instance names or a mapping name: {{address, peers}}"]
    out, problems = {}, []
    for name, given in raw.items():
        body = given or {}
        if not isinstance(body, Mapping) or set(body) - {"address", "peers"}:
            problems.append(f"{where}.{name}: a mapping with 'address' and/or 'peers'")
            continue
        peers = body.get("peers") or []
        if not isinstance(peers, list) or not all(isinstance(x, str) and x for x in peers):
            problems.append(f"{where}.{name}.peers: a list of addresses")
            peers = []
        address = body.get("address")
        if address is not None and (not isinstance(address, str) or not address):
            problems.append(f"{where}.{name}.address: an address")
            address = None
        out[str(name)] = {"address": address or (peers[0] if peers else None), "peers": peers}
    return out, problems


def _dependency_problems(topology, definitions, sources, external) -> list[str]:
    """Every dependency of a deployed service names a deployed or external service or Job."""
    jobs = set()
    for name, inst in topology.instances.items():
        d = definitions.get(inst.service_def)
        if d is not None:
            from stacksalt.k8s.naming import job_name

            jobs.update(job_name(name, d.name, c.name) for _, _, c in d.single_commands())
            jobs.update(c.name for _, _, c in d.single_commands())
    containers = {
        c.name
        for inst in topology.instances.values()
        if inst.service_def in definitions
        for c in definitions[inst.service_def].containers
    }
    known = set(topology.instances) | set(external) | jobs | containers
    problems = []
    for name, inst in sorted(topology.instances.items()):
        d = definitions.get(inst.service_def)
        if d is None:
            continue
        for i, c in enumerate(d.containers):
            cmds = [("daemon", c.daemon)] + [
                (f"{phase}[{j}]", cmd)
                for phase, lst in (("pre", c.pre), ("post", c.post))
                for j, cmd in enumerate(lst)
            ]
            for where, cmd in cmds:
                for dep in cmd.dependencies:
                    target = inst.mapping.get(dep, dep)
                    if target not in known:
                        problems.append(
                            f"{sources.get(inst.service_def, '?')}: services.{inst.service_def}:"
                            f" containers[{i}].{where}.dependencies: '{dep}' is neither a "
                            f"service of this environment nor a Job nor external (instance "
                            f"'{name}'; add it to a role, to ccp:control:external, or map it "
                            f"with services.{name}.mapping)"
                        )
    return problems


def domains(parsed: Parsed, configs: Mapping[str, Any]) -> list[str]:
    """Every Ingress domain of the environment (``ccp domains list``): a port of a deployed
    instance with an ``ingress`` subdomain, given in its description or in the port section a
    description's port refers to, gives ``<subdomain>.<ingress.domain>``. Listed whether or
    not Ingress is enabled, so DNS can be prepared first."""
    domain = ingress_config(configs.get("ingress"))["domain"]
    subs = set()
    for name, inst in parsed.topology.instances.items():
        definition = parsed.definitions.get(inst.service_def)
        if definition is None:
            continue
        config = parsed.topology.instance_config(configs, name)
        for port in definition.ports:
            sub = port.ingress
            if port.ref is not None:
                section: Any = config
                for part in port.ref.split("."):
                    section = section.get(part) if isinstance(section, Mapping) else None
                sub = section.get("ingress") if isinstance(section, Mapping) else None
            if sub:
                subs.add(str(sub))
    return sorted(f"{sub}.{domain}" for sub in subs)


def images_mapping(
    control: Mapping[str, Any], image_tags: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The renderer's image settings: registry from the model, tags from docker-salt.

    ``image_tags`` (the content tags ``stacksalt images plan`` computes) win over the model's
    default ``images.tag``; an explicit ``images.tags`` entry in the model wins over both.
    """
    images = dict(_mapping(control, "images"))
    registry = _mapping(control, "registry")
    out: dict[str, Any] = {
        "registry": registry.get("address", ""),
        "namespace": images.get("namespace", "stacksalt"),
        "tag": images.get("tag", "latest"),
        "tags": {**dict(image_tags or {}), **dict(images.get("tags") or {})},
        "refs": dict(images.get("refs") or {}),
    }
    if registry.get("username") and registry.get("password"):
        out["username"] = registry["username"]
        out["password"] = registry["password"]
    return out


def image_names(parsed: Parsed) -> set[str]:
    """Every bare image name the deployed instances use (containers, Jobs, the waiter)."""
    names = {WAITER_IMAGE}
    used = {i.service_def for i in parsed.topology.instances.values()}
    for name, definition in parsed.definitions.items():
        if name not in used:
            continue
        for container in definition.containers:
            names.add(container.image)
            names.update(c.image for c in (*container.pre, *container.post) if c.image)
    return names


def options_of(control: Mapping[str, Any], external: Sequence[str] = ()) -> RenderOptions:
    opts = _mapping(control, "options")
    hosts, _problems = external_of(control)
    return RenderOptions(
        waiter_image=WAITER_IMAGE,
        external=tuple(external),
        external_hosts={k: v for k, v in hosts.items() if k in external},
        secret_values=frozenset(secrets.leaf_strings(_mapping(control, "secret_configs"))),
        **{k: opts[k] for k in OPTION_KEYS if k in opts},
    )


def external_objects(control: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Objects the workload references but does not create (the Ingress TLS Secret)."""
    ing = ingress_config(_mapping(control, "configs").get("ingress"))
    if ing["enabled"] and ing.get("tls_secret"):
        return [("Secret", str(ing["tls_secret"]))]
    return []


def load_catalog(formula_roots: Sequence[Path | str]):
    """The services' descriptions under ``formula_roots``: a formulas folder, or formula
    folders (Salt's file_roots ``formulas/<f>``); the base images come from
    ``docker-salt/images.yml`` next to the formulas folder."""
    from stacksalt.service.catalog import CatalogError, load

    formulas_dir = None
    for root in formula_roots:
        base = Path(root)
        if (base / base.name).is_dir():  # formulas/<f>
            formulas_dir = base.parent
            break
        if base.is_dir() and any((c / c.name).is_dir() for c in base.iterdir()):
            formulas_dir = base
            break
    if formulas_dir is None:
        raise WorkloadError([f"no formulas found under {', '.join(map(str, formula_roots))}"])
    try:
        return load(formulas_dir.parent, formulas_dir)
    except CatalogError as exc:
        raise WorkloadError(exc.problems) from exc


def build(
    control: Mapping[str, Any],
    formula_roots: Sequence[Path | str],
    image_tags: Mapping[str, str] | None = None,
    nodes: Sequence[str] | None = None,
    validate: bool = True,
    catalog=None,
    components: Sequence[str] | None = None,
) -> Build:
    """Render (and validate) the environment. Raises WorkloadError when it cannot render;
    validation problems are returned in ``Build.problems`` (nothing may be applied then)."""
    from stacksalt.k8s.validate import validate_objects  # loads the schema library

    catalog = catalog or load_catalog(formula_roots)
    parsed = parse(control, catalog, nodes)
    configs = _mapping(control, "configs")
    images = images_mapping(control, image_tags)
    warnings: list[str] = []
    pinned = {**images["tags"], **images["refs"]}
    untagged = sorted(n for n in image_names(parsed) if n not in pinned)
    if untagged and image_tags is not None:
        warnings.append(
            f"images: {', '.join(untagged)} not built by docker-salt; "
            f"tag {images['tag']!r} from the model"
        )
    try:
        result = render(
            parsed.definitions,
            parsed.topology,
            configs,
            _mapping(control, "secret_configs"),
            images,
            options=replace(options_of(control, parsed.external), components=components),
            sources=parsed.sources,
        )
    except (RenderError, DefinitionError) as exc:
        raise WorkloadError([str(exc)]) from exc
    problems: list[Any] = []
    if validate:
        from stacksalt.k8s import pillar_check

        problems = validate_objects(
            result.objects, result.node_labels, external=external_objects(control)
        )
        problems += image_problems(result.objects, catalog)
        if catalog.formulas_dir is not None:
            problems += pillar_check.problems(result.objects, catalog.formulas_dir)
    return Build(
        objects=result.objects,
        node_labels=result.node_labels,
        warnings=[*result.warnings, *warnings],
        problems=problems,
        namespace=parsed.topology.namespace,
        domains=domains(parsed, configs),
    )


def image_problems(objects: Sequence[Mapping[str, Any]], catalog) -> list[Any]:
    """The objects against the images the catalog builds (:mod:`stacksalt.k8s.image_check`):
    no command bypassing an entrypoint, no image outside the build plan, every Job's states in
    its image's formulas (looked up in the catalog's formulas folder when it has one)."""
    from stacksalt.k8s import image_check

    folder = catalog.formulas_dir
    exists = image_check.formula_tree(folder) if folder is not None else None
    return image_check.problems(objects, catalog.images, exists)
