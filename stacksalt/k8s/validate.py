"""Validation of rendered objects: JSON schema (kubernetes-validate) + semantic checks.

``K8S_VERSION`` pins the schema set; kubernetes-validate 1.37.0 ships the ``.0`` schemas of
Kubernetes 1.25 to 1.37 (``kubernetes_validate.utils.all_versions()``). Schemas are checked in
strict mode (unknown fields are errors). kubernetes-validate reports the first (best-match)
schema error of an object.

Every check returns ``Problem`` values naming the object kind/name and the key; an empty list
means the set of objects is consistent.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import kubernetes_validate
import yaml

from stacksalt.k8s.common import (
    DNS1123_LABEL,
    canonical_json,
    describe,
    is_secret_key,
    object_key,
)
from stacksalt.k8s.waiter import DEPENDENCIES_ANNOTATION

K8S_VERSION = "1.30.0"

# kubernetes-validate re-reads its (large) JSON schema files on every call; they never change
# while the process runs, so read each once. The parsed schemas are only read, never mutated.
if not hasattr(kubernetes_validate.utils.schema_contents, "cache_info"):
    kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=128)(
        kubernetes_validate.utils.schema_contents
    )
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available

WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet", "Job")
LABEL_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_HOSTNAME_KEY = "kubernetes.io/hostname"


@dataclass(frozen=True)
class Problem:
    kind: str
    name: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}: {self.key}: {self.message}"


def _problem(obj: Mapping[str, Any], key: str, message: str) -> Problem:
    meta = obj.get("metadata") or {}
    return Problem(str(obj.get("kind", "?")), str(meta.get("name", "?")), key, message)


def validate_objects(
    objects: Sequence[Mapping[str, Any]],
    node_labels: Mapping[str, Mapping[str, str]] | None = None,
    k8s_version: str = K8S_VERSION,
    external: Iterable[tuple[str, str]] = (),
) -> list[Problem]:
    """Schema + semantic problems of ``objects``.

    ``node_labels`` (node -> labels, e.g. ``RenderResult.node_labels``) enables the placement
    checks; ``external`` lists (kind, name) objects that exist outside this set (e.g. a TLS
    Secret created by the operator) and may be referenced.
    """
    problems = []
    for obj in objects:
        problems.extend(schema_problems(obj, k8s_version))
    problems.extend(semantic_problems(objects, node_labels, external))
    return problems


def schema_problems(obj: Mapping[str, Any], k8s_version: str = K8S_VERSION) -> list[Problem]:
    """Strict JSON-schema validation of one object against Kubernetes ``k8s_version``."""
    found = _schema_check(canonical_json(obj), k8s_version)
    return [_problem(obj, key, message) for key, message in found]


@functools.lru_cache(maxsize=4096)
def _schema_check(text: str, k8s_version: str) -> tuple[tuple[str, str], ...]:
    """Cached on the object's canonical JSON: kubernetes-validate reloads its schema files on
    every call, and the same objects are validated again and again."""
    try:
        kubernetes_validate.validate(json.loads(text), k8s_version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        key = ".".join(str(p) for p in exc.path) or "(root)"
        return ((key, f"schema: {exc.message}"),)
    except kubernetes_validate.SchemaNotFoundError as exc:
        return (("apiVersion", f"schema: {exc.message}"),)
    return ()


# --------------------------------------------------------------------------- semantics


def semantic_problems(
    objects: Sequence[Mapping[str, Any]],
    node_labels: Mapping[str, Mapping[str, str]] | None = None,
    external: Iterable[tuple[str, str]] = (),
) -> list[Problem]:
    idx = _Index(objects, external)
    problems: list[Problem] = []
    problems += idx.duplicates()
    for obj in objects:
        problems += _names_and_labels(obj)
        problems += idx.namespace_exists(obj)
        kind = obj.get("kind")
        if kind == "ConfigMap":
            problems += _configmap_secrets(obj)
        elif kind == "Service":
            problems += idx.service(obj)
        elif kind == "Ingress":
            problems += idx.ingress(obj)
        elif kind in WORKLOAD_KINDS:
            problems += idx.workload(obj)
            if node_labels is not None:
                problems += _placement(obj, node_labels)
    problems += idx.node_ports()
    problems += idx.dependency_cycles()
    return problems


class _Index:
    def __init__(self, objects: Sequence[Mapping[str, Any]], external) -> None:
        self.objects = objects
        self.names: set[tuple[str, str, str]] = set()  # (kind, namespace, name)
        self.by_key: dict[tuple[str, str, str], Mapping[str, Any]] = {}
        self.external = {(k, n) for k, n in external}
        for obj in objects:
            meta = obj.get("metadata") or {}
            key = (obj.get("kind"), meta.get("namespace") or "", meta.get("name"))
            self.names.add(key)
            self.by_key.setdefault(key, obj)

    def has(self, kind: str, namespace: str, name: str) -> bool:
        return (kind, namespace, name) in self.names or (kind, name) in self.external

    def duplicates(self) -> list[Problem]:
        seen, out = set(), []
        for obj in self.objects:
            key = object_key(obj)
            if key in seen:
                out.append(_problem(obj, "metadata.name", "duplicate object"))
            seen.add(key)
        return out

    def namespace_exists(self, obj: Mapping[str, Any]) -> list[Problem]:
        ns = (obj.get("metadata") or {}).get("namespace")
        if ns and not self.has("Namespace", "", ns):
            return [_problem(obj, "metadata.namespace", f"Namespace {ns!r} is not defined")]
        return []

    def workloads(self, namespace: str):
        for obj in self.objects:
            if obj.get("kind") in WORKLOAD_KINDS and _ns(obj) == namespace:
                yield obj

    def get(self, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        return self.by_key.get((kind, namespace, name))

    def projected_source(self, w, key: str, item: Mapping[str, Any]) -> list[Problem]:
        """A projected volume's ConfigMap or Secret exists and holds the keys it projects."""
        for source, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
            ref = item.get(source)
            if not ref or ref.get("optional"):
                continue
            name = ref.get("name")
            if not self.has(kind, _ns(w), name):
                return [_problem(w, f"{key}.{source}", f"{kind} {name!r} is not defined")]
            obj = self.get(kind, _ns(w), name)
            if obj is None:  # external: its keys are not known here
                return []
            data = {**(obj.get("data") or {}), **(obj.get("stringData") or {})}
            return [
                _problem(
                    w, f"{key}.{source}.items[{k}].key", f"{kind} {name!r} has no key {i['key']!r}"
                )
                for k, i in enumerate(ref.get("items") or [])
                if i.get("key") not in data
            ]
        return []

    # ---- Service
    def service(self, svc: Mapping[str, Any]) -> list[Problem]:
        spec = svc.get("spec") or {}
        selector = spec.get("selector") or {}
        if not selector:
            return []
        selected = [
            w
            for w in self.workloads(_ns(svc))
            if w.get("kind") != "Job" and _subset(selector, _pod_labels(w))
        ]
        if not selected:
            return [_problem(svc, "spec.selector", f"selects no pods: {selector}")]
        out = []
        container_ports = {
            key
            for w in selected
            for c in _pod_spec(w).get("containers", [])
            for p in c.get("ports", [])
            for key in (p.get("containerPort"), p.get("name"))
            if key is not None
        }
        for i, port in enumerate(spec.get("ports") or []):
            target = port.get("targetPort", port.get("port"))
            if target not in container_ports:
                out.append(
                    _problem(
                        svc,
                        f"spec.ports[{i}].targetPort",
                        f"{target!r} is not a port of the selected containers",
                    )
                )
        return out

    def node_ports(self) -> list[Problem]:
        seen: dict[int, str] = {}
        out = []
        for obj in self.objects:
            if obj.get("kind") != "Service":
                continue
            for i, port in enumerate((obj.get("spec") or {}).get("ports") or []):
                node_port = port.get("nodePort")
                if node_port is None:
                    continue
                if node_port in seen:
                    out.append(
                        _problem(
                            obj,
                            f"spec.ports[{i}].nodePort",
                            f"{node_port} is already used by {seen[node_port]}",
                        )
                    )
                seen.setdefault(node_port, describe(obj))
        return out

    # ---- Ingress
    def ingress(self, ing: Mapping[str, Any]) -> list[Problem]:
        spec = ing.get("spec") or {}
        ns = _ns(ing)
        out = []
        if not spec.get("tls"):
            out.append(_problem(ing, "spec.tls", "TLS is mandatory"))
        for i, tls in enumerate(spec.get("tls") or []):
            name = tls.get("secretName")
            if name and not self.has("Secret", ns, name):
                out.append(
                    _problem(ing, f"spec.tls[{i}].secretName", f"Secret {name!r} is not defined")
                )
        services = {
            (o.get("metadata") or {}).get("name"): o
            for o in self.objects
            if o.get("kind") == "Service" and _ns(o) == ns
        }
        for i, rule in enumerate(spec.get("rules") or []):
            for j, path in enumerate(((rule.get("http") or {}).get("paths")) or []):
                backend = (path.get("backend") or {}).get("service") or {}
                key = f"spec.rules[{i}].http.paths[{j}].backend.service"
                svc = services.get(backend.get("name"))
                if svc is None:
                    out.append(
                        _problem(
                            ing, f"{key}.name", f"Service {backend.get('name')!r} is not defined"
                        )
                    )
                    continue
                port = backend.get("port") or {}
                ports = {p.get("port") for p in svc["spec"].get("ports", [])} | {
                    p.get("name") for p in svc["spec"].get("ports", [])
                }
                wanted = port.get("number", port.get("name"))
                if wanted not in ports:
                    svc_name = svc["metadata"]["name"]
                    out.append(
                        _problem(
                            ing, f"{key}.port", f"{wanted!r} is not a port of Service {svc_name!r}"
                        )
                    )
        return out

    # ---- workloads
    def workload(self, w: Mapping[str, Any]) -> list[Problem]:
        out = []
        spec = w.get("spec") or {}
        ns = _ns(w)
        labels = _pod_labels(w)
        if w.get("kind") != "Job":
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            if not selector:
                out.append(_problem(w, "spec.selector.matchLabels", "empty selector"))
            elif not _subset(selector, labels):
                out.append(
                    _problem(
                        w,
                        "spec.selector.matchLabels",
                        f"does not match the pod template labels {labels}",
                    )
                )
        if w.get("kind") == "StatefulSet":
            name = spec.get("serviceName")
            if name and not self.has("Service", ns, name):
                out.append(_problem(w, "spec.serviceName", f"Service {name!r} is not defined"))
        pod = _pod_spec(w)
        base = "spec.template.spec"
        account = pod.get("serviceAccountName")
        if account and not self.has("ServiceAccount", ns, account):
            out.append(
                _problem(
                    w, f"{base}.serviceAccountName", f"ServiceAccount {account!r} is not defined"
                )
            )
        for i, ref in enumerate(pod.get("imagePullSecrets") or []):
            if not self.has("Secret", ns, ref.get("name")):
                out.append(
                    _problem(
                        w,
                        f"{base}.imagePullSecrets[{i}]",
                        f"Secret {ref.get('name')!r} is not defined",
                    )
                )
        volume_names = set()
        for i, vol in enumerate(pod.get("volumes") or []):
            volume_names.add(vol.get("name"))
            for source, kind, field_name in (
                ("configMap", "ConfigMap", "name"),
                ("secret", "Secret", "secretName"),
            ):
                ref = vol.get(source)
                if ref and not ref.get("optional") and not self.has(kind, ns, ref.get(field_name)):
                    out.append(
                        _problem(
                            w,
                            f"{base}.volumes[{i}].{source}",
                            f"{kind} {ref.get(field_name)!r} is not defined",
                        )
                    )
            projected = (vol.get("projected") or {}).get("sources") or []
            for j, item in enumerate(projected):
                out += self.projected_source(w, f"{base}.volumes[{i}].projected.sources[{j}]", item)
        for group in ("initContainers", "containers"):
            for i, c in enumerate(pod.get(group) or []):
                for j, mount in enumerate(c.get("volumeMounts") or []):
                    if mount.get("name") not in volume_names:
                        out.append(
                            _problem(
                                w,
                                f"{base}.{group}[{i}].volumeMounts[{j}]",
                                f"volume {mount.get('name')!r} is not defined",
                            )
                        )
                for j, env in enumerate(c.get("env") or []):
                    value_from = env.get("valueFrom") or {}
                    for source, kind in (
                        ("configMapKeyRef", "ConfigMap"),
                        ("secretKeyRef", "Secret"),
                    ):
                        ref = value_from.get(source)
                        if (
                            ref
                            and not ref.get("optional")
                            and not self.has(kind, ns, ref.get("name"))
                        ):
                            out.append(
                                _problem(
                                    w,
                                    f"{base}.{group}[{i}].env[{j}]",
                                    f"{kind} {ref.get('name')!r} is not defined",
                                )
                            )
        for dep in _dependencies(w):
            kind, _, name = dep.partition("/")
            if kind == "job" and not self.has("Job", ns, name):
                out.append(
                    _problem(
                        w,
                        f"annotations.{DEPENDENCIES_ANNOTATION}",
                        f"dependency {name!r} is not a Job of this environment",
                    )
                )
            elif kind == "service" and not any(
                _pod_labels(o).get("app.kubernetes.io/name") == name
                for o in self.workloads(ns)
                if o.get("kind") != "Job"
            ):
                out.append(
                    _problem(
                        w,
                        f"annotations.{DEPENDENCIES_ANNOTATION}",
                        f"dependency {name!r} is not a service or job of this environment",
                    )
                )
        return out

    def dependency_cycles(self) -> list[Problem]:
        graph: dict[str, set[str]] = {}
        objs: dict[str, Mapping[str, Any]] = {}
        for w in self.objects:
            if w.get("kind") not in WORKLOAD_KINDS:
                continue
            me = ("job/" if w.get("kind") == "Job" else "service/") + w["metadata"]["name"]
            graph[me] = set(_dependencies(w))
            objs[me] = w
        out, reported = [], set()
        for start in sorted(graph):
            path = _find_cycle(graph, start)
            if path and frozenset(path) not in reported:
                reported.add(frozenset(path))
                out.append(
                    _problem(
                        objs[start],
                        f"annotations.{DEPENDENCIES_ANNOTATION}",
                        "dependency cycle: " + " -> ".join([*path, path[0]]),
                    )
                )
        return out


def _find_cycle(graph: Mapping[str, set[str]], start: str) -> list[str] | None:
    stack = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return path
            if nxt not in path:
                stack.append((nxt, [*path, nxt]))
    return None


def _ns(obj: Mapping[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("namespace") or ""


def _pod_spec(w: Mapping[str, Any]) -> Mapping[str, Any]:
    return ((w.get("spec") or {}).get("template") or {}).get("spec") or {}


def _pod_labels(w: Mapping[str, Any]) -> Mapping[str, str]:
    return (((w.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def _subset(small: Mapping[str, Any], big: Mapping[str, Any]) -> bool:
    return all(big.get(k) == v for k, v in small.items())


def _dependencies(w: Mapping[str, Any]) -> list[str]:
    meta = ((w.get("spec") or {}).get("template") or {}).get("metadata") or {}
    raw = (meta.get("annotations") or {}).get(DEPENDENCIES_ANNOTATION, "")
    return [d for d in raw.split(",") if d]


def _names_and_labels(obj: Mapping[str, Any]) -> list[Problem]:
    out = []
    meta = obj.get("metadata") or {}
    name = str(meta.get("name", ""))
    limit = 63 if obj.get("kind") in ("Service", "Namespace") else 253
    if obj.get("kind") in ("Service", "Namespace"):
        valid = bool(DNS1123_LABEL.match(name))
    else:
        valid = all(DNS1123_LABEL.match(part) for part in name.split("."))
    if not valid or len(name) > limit:
        out.append(_problem(obj, "metadata.name", f"{name!r} is not a valid object name"))
    label_sets = [("metadata.labels", meta.get("labels") or {})]
    template = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
    label_sets.append(("spec.template.metadata.labels", template.get("labels") or {}))
    for where, labels in label_sets:
        for key, value in labels.items():
            prefix, _, short = key.rpartition("/")
            if (
                len(short) > 63
                or not re.fullmatch(LABEL_NAME, short)
                or (prefix and not all(DNS1123_LABEL.match(p) for p in prefix.split(".")))
            ):
                out.append(_problem(obj, f"{where}.{key}", "invalid label key"))
            if len(str(value)) > 63 or (value and not re.fullmatch(LABEL_NAME, str(value))):
                out.append(_problem(obj, f"{where}.{key}", f"invalid label value {value!r}"))
    return out


def _configmap_secrets(cm: Mapping[str, Any]) -> list[Problem]:
    """No secret-looking key in a ConfigMap: neither a data key nor a key inside a YAML/JSON
    document stored as a value."""
    out = []
    for data_key, value in sorted((cm.get("data") or {}).items()):
        if is_secret_key(data_key.rsplit(".", 1)[0]):
            out.append(_problem(cm, f"data.{data_key}", "secret-looking key in a ConfigMap"))
            continue
        for path in _secret_paths(_parse(value)):
            out.append(
                _problem(
                    cm,
                    f"data.{data_key}:{path}",
                    "secret-looking key in a ConfigMap; put it in a Secret",
                )
            )
    return out


def _yaml_load(text: str) -> Any:
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    for loader in (json.loads, _yaml_load):
        try:
            return loader(text)
        except (ValueError, yaml.YAMLError):
            continue
    return None


def _secret_paths(tree: Any, path: str = "") -> list[str]:
    out = []
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            here = f"{path}.{key}" if path else str(key)
            if is_secret_key(str(key)):
                out.append(here)
            else:
                out.extend(_secret_paths(value, here))
    elif isinstance(tree, list):
        for i, item in enumerate(tree):
            out.extend(_secret_paths(item, f"{path}[{i}]"))
    return out


def _placement(w: Mapping[str, Any], node_labels: Mapping[str, Mapping[str, str]]) -> list:
    """Pods need an eligible node; required hostname anti-affinity needs one node per replica."""
    pod = _pod_spec(w)
    selector = pod.get("nodeSelector") or {}
    eligible = [n for n, labels in node_labels.items() if _subset(selector, labels)]
    if not eligible:
        return [
            _problem(w, "spec.template.spec.nodeSelector", f"no node carries the labels {selector}")
        ]
    replicas = (w.get("spec") or {}).get("replicas")
    if w.get("kind") not in ("Deployment", "StatefulSet") or replicas is None:
        return []
    terms = (
        ((pod.get("affinity") or {}).get("podAntiAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
    ) or []
    own = _pod_labels(w)
    for i, term in enumerate(terms):
        match = (term.get("labelSelector") or {}).get("matchLabels") or {}
        same_service = term.get("topologyKey") == _HOSTNAME_KEY and _subset(match, own)
        if same_service and replicas > len(eligible):
            return [
                _problem(
                    w,
                    "spec.replicas",
                    f"{replicas} replicas with required hostname anti-affinity "
                    f"(affinity term {i}) but only {len(eligible)} eligible nodes: "
                    f"{', '.join(sorted(eligible))}",
                )
            ]
    return []
