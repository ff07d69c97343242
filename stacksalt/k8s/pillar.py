"""The pillar a container gets: its description's template, rendered, with the model's values.

A container (or a Job) of a service description carries a pillar template: formula -> role ->
values. String values may hold ``{{ ... }}`` expressions evaluated here, at render time, with
what only the topology knows (CCP's ``address()``; the StatefulSet's peers; the replica
count), and ``$(POD_NAME)``-style references that the image's entrypoint expands at start
(the pod's own name and address, which only Kubernetes knows). A string that is one whole
expression keeps the expression's type (a list of peers stays a list).

The container's pillar = the rendered template, then for each formula/role of the template the
instance's ``configs.<formula>.<role>`` (the model's values: global < ``services.<name>.
configs``), then ``secret_configs.<formula>.<role>`` (the deployment's secrets). Pure.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import jinja2.meta
from jinja2.nativetypes import NativeEnvironment

from stacksalt.k8s.common import deep_merge


class PillarError(ValueError):
    """A pillar template does not render; the message names the service and the key."""


@dataclass(frozen=True)
class Context:
    """What a template may ask about the environment (see :func:`functions`)."""

    instance: str
    namespace: str
    cluster_domain: str
    replicas: int
    # instance -> (pod names, the StatefulSet's serviceName) for StatefulSets; the
    # instances deployed here and the external ones
    statefulsets: Mapping[str, tuple[tuple[str, ...], str]]
    instances: frozenset[str]
    configs: Mapping[str, Any]
    # "<instance>-<port name>" -> {host, port}: every port of the environment
    # published through Ingress (``ingress:`` in the description): the API load balancer's
    published_ports: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # instances the hosts run: {address, peers} (what address() and peers() give for them)
    external: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


_EMPTY = Context("", "", "", 0, {}, frozenset(), {})


@functools.lru_cache(maxsize=1)
def _environment() -> NativeEnvironment:
    return NativeEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701


def fqdn(name: str, namespace: str, cluster_domain: str) -> str:
    """A Service's name in cluster DNS."""
    return f"{name}.{namespace}.svc.{cluster_domain}"


def functions(ctx: Context) -> dict[str, Any]:
    """The names a template sees."""

    def address(instance: str, port: int | None = None, scheme: str | None = None) -> str:
        """CCP's address(): the Service of ``instance`` in cluster DNS, with the port and the
        scheme when asked."""
        out = fqdn(instance, ctx.namespace, ctx.cluster_domain)
        given = (ctx.external.get(instance) or {}).get("address")
        if given:  # run by the hosts: their address
            out = given
        if port is not None:
            out = f"{out}:{port}"
        return f"{scheme}://{out}" if scheme else out

    def pods(instance: str | None = None) -> list[tuple[str, str]]:
        target = instance or ctx.instance
        hosts = (ctx.external.get(target) or {}).get("peers")
        if hosts:  # run by the hosts: their members' addresses
            return [(h, h) for h in hosts]
        if target not in ctx.statefulsets:
            raise PillarError(
                f"peers of '{target}': only a StatefulSet deployed here, or an external "
                "instance with 'peers', has stable member names"
            )
        names, service = ctx.statefulsets[target]
        return [(n, f"{n}.{fqdn(service, ctx.namespace, ctx.cluster_domain)}") for n in names]

    def peers(
        instance: str | None = None,
        name_key: str | None = "name",
        address_key: str = "address",
        port: int | None = None,
        port_key: str = "port",
    ) -> list[dict[str, Any]]:
        """Every pod of a StatefulSet as ``{name_key: pod, address_key: its DNS name}`` (and
        ``port_key: port`` when given; no name with ``name_key=None``)."""
        out = []
        for name, host in pods(instance):
            item: dict[str, Any] = {address_key: host}
            if name_key:
                item = {name_key: name, **item}
            if port is not None:
                item[port_key] = port
            out.append(item)
        return out

    def peer_addresses(
        instance: str | None = None, prefix: str = "", port: int | None = None
    ) -> list[str]:
        """Every pod's DNS name, with a prefix (``rabbit@``) or a port when asked."""
        return [f"{prefix}{host}{f':{port}' if port else ''}" for _, host in pods(instance)]

    def pod_fqdn(instance: str | None = None) -> str:
        """This pod's own DNS name (a StatefulSet's): expanded by the entrypoint at start."""
        target = instance or ctx.instance
        if target not in ctx.statefulsets:
            raise PillarError(f"pod_fqdn: '{target}' is not a StatefulSet deployed here")
        service = ctx.statefulsets[target][1]
        return f"$(POD_NAME).{fqdn(service, ctx.namespace, ctx.cluster_domain)}"

    return {
        "name": ctx.instance,
        "namespace": ctx.namespace,
        "cluster_domain": ctx.cluster_domain,
        "replicas": ctx.replicas,
        "configs": ctx.configs,
        "address": address,
        "peers": peers,
        "peer_addresses": peer_addresses,
        "pod_fqdn": pod_fqdn,
        "published": lambda: {k: dict(v) for k, v in ctx.published_ports.items()},
    }


def render_template(template: Any, ctx: Context, where: str) -> Any:
    """``template`` with every ``{{ ... }}`` string evaluated; ``where`` names it in errors."""
    names = functions(ctx)

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, Mapping):
            return {k: walk(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, str) and "{{" in value:
            try:
                return _defined(_environment().from_string(value).render(**names))
            except PillarError as exc:
                raise PillarError(f"{where}{path}: {exc}") from exc
            except (jinja2.TemplateError, TypeError, ValueError, LookupError) as exc:
                # a syntax error, an undefined name, a function called with wrong arguments
                raise PillarError(f"{where}{path}: {value!r}: {exc}") from exc
        return value

    return walk(template, "")


def template_problems(template: Any, path: str = "") -> list[tuple[str, str]]:
    """(key path, message) of every ``{{ ... }}`` string of ``template`` that cannot render
    whatever the topology: a syntax error, or a name a template does not see. Checked when
    the descriptions are read, so a bad expression is refused before anything renders."""
    known = set(functions(_EMPTY))
    out: list[tuple[str, str]] = []

    def walk(value: Any, here: str) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, f"{here}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{here}[{i}]")
        elif isinstance(value, str) and "{{" in value:
            try:
                ast = _environment().parse(value)
            except jinja2.TemplateSyntaxError as exc:
                out.append((here, f"{value!r}: {exc.message}"))
                return
            unknown = sorted(jinja2.meta.find_undeclared_variables(ast) - known)
            if unknown:
                out.append(
                    (
                        here,
                        f"{value!r}: unknown name(s) {', '.join(unknown)} (a template sees: "
                        f"{', '.join(sorted(known))})",
                    )
                )

    walk(template, path)
    return out


def _defined(value: Any) -> Any:
    """``value`` with no undefined name in it: a native render of ``{{ nope }}`` returns the
    Undefined itself instead of raising; str() of a StrictUndefined raises the error."""
    if isinstance(value, jinja2.Undefined):
        str(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _defined(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _defined(item)
    return value


def container_pillar(
    template: Mapping[str, Any],
    ctx: Context,
    configs: Mapping[str, Any],
    secret_configs: Mapping[str, Any],
    where: str,
) -> dict[str, Any]:
    """The template with the model's values merged in, formula by role, then rendered: a
    value the model gives replaces the template's expression, which is then never evaluated
    (a local cluster names its hosts where the template would ask for pods)."""
    merged: dict[str, Any] = {}
    for formula, roles in template.items():
        for role, body in (roles or {}).items():
            value = dict(body or {})
            for source in (configs, secret_configs):
                given = ((source.get(formula) or {}) if isinstance(source, Mapping) else {}).get(
                    role
                )
                if isinstance(given, Mapping):
                    value = deep_merge(value, given)
            merged.setdefault(formula, {})[role] = value
    return render_template(merged, ctx, where)


def node_pillar(template: Mapping[str, Any], node_configs: Mapping[str, Any]) -> dict[str, Any]:
    """A node's own values for the template's formulas and roles (``nodes.<pattern>.configs``)."""
    out: dict[str, Any] = {}
    for formula, roles in template.items():
        for role in roles or {}:
            given = (node_configs.get(formula) or {}).get(role)
            if isinstance(given, Mapping) and given:
                out.setdefault(formula, {})[role] = dict(given)
    return out


def formulas_roles(template: Mapping[str, Any]) -> Sequence[tuple[str, str]]:
    return [(f, r) for f, roles in sorted(template.items()) for r in sorted(roles or {})]
