"""The workload of one environment, from the model to validated Kubernetes objects.

The model keeps it in the pillar key ``ccp:control`` (formula ``ccp``) of the node that applies
it (the salt master): ``kubernetes`` (namespace, cluster_domain, the Kubernetes node names,
match_mode), ``registry`` (address, username, password), ``images`` (namespace, tag, tags),
``configs``, ``secret_configs``, ``nodes``, ``roles``, ``replicas``, ``services``,
``definitions`` (CCP application language documents by name), ``config_files``
(definition -> the formula and role whose meta/config.yml templates render its files) and
``options`` (dependency_timeout, poll_interval, job_backoff_limit).

:func:`parse` checks the definitions (DSL version first) and the topology and raises
:class:`WorkloadError` naming the service and key of every problem; :func:`build` renders and
validates. Both are pure except for reading the formulas' templates from ``formula_roots``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacksalt.k8s.common import deep_merge
from stacksalt.k8s.dsl import DefinitionError, ServiceDefinition, validate_definition
from stacksalt.k8s.formula_files import FormulaFilesError, RenderedFile, render_files
from stacksalt.k8s.ingress import domains_list, ingress_config
from stacksalt.k8s.render import RenderError, RenderOptions, render
from stacksalt.k8s.topology import Topology, TopologyError, resolve_topology

WAITER_IMAGE = "kubectl"
OPTION_KEYS = ("dependency_timeout", "poll_interval", "job_backoff_limit")


class WorkloadError(ValueError):
    """The workload cannot be rendered; ``problems`` has one line per problem."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Parsed:
    definitions: dict[str, ServiceDefinition]
    topology: Topology


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


def parse(control: Mapping[str, Any], nodes: Sequence[str] | None = None) -> Parsed:
    """Validate every definition (DSL version first, spec §4.4) and resolve the topology."""
    problems: list[str] = []
    definitions: dict[str, ServiceDefinition] = {}
    for name, doc in sorted(_mapping(control, "definitions").items()):
        try:
            definition = validate_definition(doc)
        except DefinitionError as exc:
            problems += [
                f"definitions.{name}: service '{name}': {path}: {msg}" for path, msg in exc.problems
            ]
            continue
        if definition.name != name:
            problems.append(
                f"definitions.{name}: service.name: {definition.name!r} differs from the key"
            )
            continue
        definitions[name] = definition
    topology = None
    try:
        match_mode = _mapping(control, "kubernetes").get("match_mode", "prefix")
        topology = resolve_topology(control, nodes or node_names(control), match_mode)
    except (TopologyError, WorkloadError) as exc:
        problems.append(str(exc))
    if topology is not None:
        for inst in topology.instances.values():
            if inst.service_def not in _mapping(control, "definitions"):
                where = (
                    f"services.{inst.name}.service_def"
                    if inst.name != inst.service_def
                    else (f"roles: service '{inst.name}'")
                )
                problems.append(f"{where}: no definition named {inst.service_def!r}")
    for name in sorted(_mapping(control, "config_files")):
        if name not in _mapping(control, "definitions"):
            problems.append(f"config_files.{name}: no definition named {name!r}")
    if problems:
        raise WorkloadError(problems)
    assert topology is not None
    return Parsed(definitions, topology)


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
    """Every bare image name the workload uses (containers, single commands, the waiter)."""
    names = {WAITER_IMAGE}
    for definition in parsed.definitions.values():
        for container in definition.containers:
            names.add(container.image)
            names.update(c.image for c in (*container.pre, *container.post) if c.image)
    return names


def formula_files(
    control: Mapping[str, Any], parsed: Parsed, roots: Sequence[Path | str]
) -> dict[str, list[RenderedFile]]:
    """Per instance, the files its definition's formula renders from the instance's configs."""
    wanted = _mapping(control, "config_files")
    configs = _mapping(control, "configs")
    secret_configs = _mapping(control, "secret_configs")
    secret_values = _leaf_strings(secret_configs)
    out: dict[str, list[RenderedFile]] = {}
    problems = []
    for name, inst in sorted(parsed.topology.instances.items()):
        spec = wanted.get(inst.service_def)
        if not spec:
            continue
        formula, role = spec["formula"], spec["role"]
        cfg = parsed.topology.instance_config(configs, name)
        pillar = (cfg.get(formula) or {}).get(role)
        if not isinstance(pillar, Mapping):
            problems.append(
                f"service '{name}': configs.{formula}.{role}: required by config_files."
                f"{inst.service_def} (the {formula} formula's pillar)"
            )
            continue
        # credentials for the templates come from secret_configs.<formula>.<role> only
        secret = (secret_configs.get(formula) or {}).get(role) or {}
        try:
            rendered = render_files(roots, formula, role, deep_merge(pillar, secret))
        except FormulaFilesError as exc:
            problems.append(f"service '{name}': config_files.{inst.service_def}: {exc}")
            continue
        for f in rendered:
            leaked = [v for v in secret_values if not f.secret and v in f.content]
            if leaked:
                problems.append(
                    f"service '{name}': config_files.{inst.service_def}: {f.name} holds a "
                    f"value of secret_configs but is not a secret file of formula {formula!r}"
                )
        out[name] = rendered
    if problems:
        raise WorkloadError(problems)
    return out


def _leaf_strings(tree: Any) -> list[str]:
    """Every string value (of 4+ characters) of a tree: what must never reach a ConfigMap."""
    if isinstance(tree, Mapping):
        return [v for value in tree.values() for v in _leaf_strings(value)]
    if isinstance(tree, list):
        return [v for value in tree for v in _leaf_strings(value)]
    return [tree] if isinstance(tree, str) and len(tree) >= 4 else []


def options_of(control: Mapping[str, Any]) -> RenderOptions:
    opts = _mapping(control, "options")
    return RenderOptions(
        waiter_image=WAITER_IMAGE, **{k: opts[k] for k in OPTION_KEYS if k in opts}
    )


def external_objects(control: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Objects the workload references but does not create (the Ingress TLS Secret)."""
    ing = ingress_config(_mapping(control, "configs").get("ingress"))
    if ing["enabled"] and ing.get("tls_secret"):
        return [("Secret", str(ing["tls_secret"]))]
    return []


def build(
    control: Mapping[str, Any],
    formula_roots: Sequence[Path | str],
    image_tags: Mapping[str, str] | None = None,
    nodes: Sequence[str] | None = None,
    validate: bool = True,
) -> Build:
    """Render (and validate) the environment. Raises WorkloadError when it cannot render;
    validation problems are returned in ``Build.problems`` (nothing may be applied then)."""
    from stacksalt.k8s.validate import validate_objects  # loads the schema library

    parsed = parse(control, nodes)
    files = formula_files(control, parsed, formula_roots)
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
            options=options_of(control),
            config_files=files,
        )
    except (RenderError, DefinitionError) as exc:
        raise WorkloadError([str(exc)]) from exc
    problems = (
        validate_objects(result.objects, result.node_labels, external=external_objects(control))
        if validate
        else []
    )
    return Build(
        objects=result.objects,
        node_labels=result.node_labels,
        warnings=[*result.warnings, *warnings],
        problems=problems,
        namespace=parsed.topology.namespace,
        domains=domains_list(configs),
    )
