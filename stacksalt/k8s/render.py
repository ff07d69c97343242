"""Render Kubernetes objects (plain dicts) from definitions + topology + configs.

Pure: same input, same output, no I/O. Per environment (= namespace, spec §2.1):

- ``Namespace``; ServiceAccount/Role/RoleBinding for the dependency waiters;
- optional registry pull Secret (``images.username``/``password``), Ingress TLS Secret;
- ConfigMap ``stacksalt-nodes-config`` (+ Secret ``stacksalt-nodes-secret``): per-node config
  overrides, one key ``<node>.yaml`` each; pods read their own through ``$NODE_NAME``;
- per service instance: ConfigMap ``<svc>-config`` (non-secret config, service metadata),
  Secret ``<svc>-secret`` (``secret_configs`` and every secret-looking key of ``configs``,
  see ``common.is_secret_key``), the workload of the definition's kind, a Service when it has
  ports (a headless ``<svc>-headless`` too for a non-headless StatefulSet), a Job per
  ``type: single`` command, an Ingress per port with an ``ingress`` subdomain when enabled.

Pods carry ``stacksalt.io/config-hash`` = sha256 of everything they read (config, secret,
their nodes' overrides), so a config change rolls them. Placement uses per-environment node
labels ``<env>.stacksalt.io/<svc>=enabled``; ``RenderResult.node_labels`` is the plan.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from stacksalt.k8s.common import (
    CONFIG_HASH_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    NAME_LABEL,
    deep_merge,
    sha256_of,
    split_secrets,
)
from stacksalt.k8s.dsl import (
    PORT_REFERENCE,
    Command,
    Container,
    DefinitionError,
    Port,
    Probe,
    ServiceDefinition,
    port_from_section,
    validate_definition,
)
from stacksalt.k8s.formula_files import RenderedFile
from stacksalt.k8s.ingress import (
    IngressError,
    domains_list,
    ingress_config,
    ingress_object,
    tls_secret_objects,
)
from stacksalt.k8s.naming import (
    ENABLED,
    image_ref,
    job_name,
    object_labels,
    owner_labels,
    role_node_label,
    seed_labels,
    selector_labels,
    service_node_label,
)
from stacksalt.k8s.topology import Topology, effective_replicas
from stacksalt.k8s.waiter import (
    DEPENDENCIES_ANNOTATION,
    SERVICE_ACCOUNT,
    Dependency,
    wait_container,
    waiter_rbac,
)

__all__ = [
    "RenderError",
    "RenderOptions",
    "RenderResult",
    "domains_list",
    "image_ref",
    "render",
]

CONFIG_DIR = "/etc/stacksalt"
REGISTRY_SECRET = "stacksalt-registry"  # noqa: S105 - a Secret object name
NODES_CONFIG = "stacksalt-nodes-config"
NODES_SECRET = "stacksalt-nodes-secret"  # noqa: S105 - a Secret object name
HOSTNAME_KEY = "kubernetes.io/hostname"


class RenderError(ValueError):
    """The inputs cannot be rendered (missing definition, unresolvable port reference...)."""


@dataclass(frozen=True)
class RenderOptions:
    dependency_timeout: int = 600  # seconds an init container waits before failing
    poll_interval: int = 5
    waiter_image: str = "kubectl"  # bare image name, resolved like any other image
    job_backoff_limit: int = 6
    components: Sequence[str] | None = None  # like `ccp deploy -c`: only these instances


@dataclass
class RenderResult:
    objects: list[dict[str, Any]]
    node_labels: dict[str, dict[str, str]]
    warnings: list[str] = field(default_factory=list)


_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when available


def _yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_YAML_DUMPER, sort_keys=True, default_flow_style=False)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def render(
    definitions: Mapping[str, ServiceDefinition | Mapping[str, Any]],
    topology: Topology,
    configs: Mapping[str, Any],
    secret_configs: Mapping[str, Any],
    images: Mapping[str, Any],
    ingress: Mapping[str, Any] | None = None,
    options: RenderOptions = RenderOptions(),
    config_files: Mapping[str, Sequence[RenderedFile]] | None = None,
) -> RenderResult:
    """Render every object of ``topology.namespace``.

    ``definitions`` maps definition names to ``ServiceDefinition`` (or raw documents, which are
    validated here); ``configs`` is the merged global config; ``ingress`` defaults to
    ``configs["ingress"]``; ``config_files`` maps instance names to the config files their
    formula rendered (``formula_files.render_files``): a ConfigMap ``<svc>-files`` (a Secret
    ``<svc>-files-secret`` for secret ones) mounted file by file at their paths.
    """
    ns = topology.namespace
    defs = _definitions(definitions)
    warnings = list(topology.warnings)
    wanted = _components(topology, options)
    missing = sorted({topology.instances[n].service_def for n in wanted} - set(defs))
    if missing:
        raise RenderError(f"no service definition for: {', '.join(missing)}")

    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": owner_labels(ns)},
        },
        *waiter_rbac(ns),
    ]
    ctx = _Context(topology, defs, images, options, config_files=dict(config_files or {}))
    if images.get("username") and images.get("password"):
        objects.append(_registry_secret(images, ns))
        ctx.pull_secrets = [{"name": REGISTRY_SECRET}]

    node_public, node_secret = {}, {}
    for node in sorted(topology.node_configs):
        public, secret = split_secrets(topology.node_configs[node])
        node_public[f"{node}.yaml"] = _yaml(public)
        if secret:
            node_secret[f"{node}.yaml"] = _b64(_yaml(secret))
    objects.append(_config_map(NODES_CONFIG, ns, node_public, "config"))
    if node_secret:
        objects.append(_secret(NODES_SECRET, ns, node_secret, "config"))
        ctx.nodes_secret = node_secret
    ctx.nodes_config = node_public

    ing = ingress_config(ingress if ingress is not None else configs.get("ingress"))
    if ing["enabled"]:
        try:
            ctx.tls_secret, tls_objects = tls_secret_objects(ing, ns)
        except IngressError as exc:
            raise RenderError(str(exc)) from exc
        objects.extend(tls_objects)
        if ns != "ccp" and ing["domain"] == "external":
            warnings.append(
                f"ingress.domain: environment {ns!r} uses the default domain 'external'; "
                "parallel environments need their own domain"
            )

    for name in wanted:
        objects.extend(ctx.instance_objects(name, configs, secret_configs, ing, warnings))
    # a JSON round trip gives every object its own dicts (no aliasing between objects)
    objects = [json.loads(json.dumps(obj)) for obj in objects]
    return RenderResult(
        objects=objects, node_labels=node_labels_plan(topology, defs), warnings=warnings
    )


def _definitions(definitions) -> dict[str, ServiceDefinition]:
    out = {}
    for key, value in definitions.items():
        definition = value if isinstance(value, ServiceDefinition) else validate_definition(value)
        if definition.name != key:
            raise RenderError(f"definitions[{key!r}] defines service {definition.name!r}")
        out[key] = definition
    return out


def _components(topology: Topology, options: RenderOptions) -> list[str]:
    if options.components is None:
        return sorted(topology.instances)
    unknown = sorted(set(options.components) - set(topology.instances))
    if unknown:
        raise RenderError(f"components not in the topology: {', '.join(unknown)}")
    return sorted(set(options.components))


def node_labels_plan(
    topology: Topology, definitions: Mapping[str, ServiceDefinition] | None = None
) -> dict[str, dict[str, str]]:
    """node -> labels it must carry: one per role and per service of this environment, plus
    the seed's well-known labels (openstack-control-plane, openstack-compute-node, openvswitch,
    openstack-gateway) implied by the definitions it runs."""
    ns = topology.namespace
    plan = {}
    for node in sorted(topology.node_roles):
        labels = {role_node_label(ns, r): ENABLED for r in topology.node_roles[node]}
        services = topology.node_services[node]
        labels.update({service_node_label(ns, s): ENABLED for s in services})
        labels.update(seed_labels([topology.instances[s].service_def for s in services]))
        plan[node] = dict(sorted(labels.items()))
    return plan


def _config_map(name: str, ns: str, data: Mapping[str, str], component: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": object_labels(name, ns, component)},
        "data": dict(data),
    }


def _secret(
    name: str,
    ns: str,
    data: Mapping[str, str],
    component: str,
    secret_type: str = "Opaque",  # noqa: S107
) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": secret_type,
        "metadata": {"name": name, "namespace": ns, "labels": object_labels(name, ns, component)},
        "data": dict(data),
    }


def _registry_secret(images: Mapping[str, Any], ns: str) -> dict:
    user, password = str(images["username"]), str(images["password"])
    registry = str(images.get("registry") or "https://index.docker.io/v1/")
    auth = {"username": user, "password": password, "auth": _b64(f"{user}:{password}")}
    config = json.dumps({"auths": {registry: auth}}, sort_keys=True)
    return _secret(
        REGISTRY_SECRET,
        ns,
        {".dockerconfigjson": _b64(config)},
        "registry",
        "kubernetes.io/dockerconfigjson",
    )


@dataclass
class _Context:
    topology: Topology
    definitions: Mapping[str, ServiceDefinition]
    images: Mapping[str, Any]
    options: RenderOptions
    pull_secrets: list[dict[str, str]] = field(default_factory=list)
    nodes_config: Mapping[str, str] = field(default_factory=dict)
    nodes_secret: Mapping[str, str] = field(default_factory=dict)
    tls_secret: str | None = None
    config_files: Mapping[str, Sequence[RenderedFile]] = field(default_factory=dict)

    # ------------------------------------------------------------------ per instance

    def instance_objects(self, name, configs, secret_configs, ing, warnings) -> list[dict]:
        topo = self.topology
        ns = topo.namespace
        inst = topo.instances[name]
        definition = self.definitions[inst.service_def]
        config = topo.instance_config(configs, name)
        public, secret = split_secrets(config)
        secret = deep_merge(secret, secret_configs)
        ports = [self._resolve_port(p, config, name) for p in definition.ports]

        meta = {
            "name": name,
            "service_def": inst.service_def,
            "namespace": ns,
            "cluster_domain": topo.cluster_domain,
            "mapping": dict(inst.mapping),
            # a list, not a mapping: file keys such as "ssh-key" are names, not secrets
            "files": [_file_dict(k, f) for k, f in sorted(definition.files.items())],
        }
        cm_data = {"config.yaml": _yaml(public), "service.yaml": _yaml(meta)}
        secret_data = {"secret-config.yaml": _b64(_yaml(secret))}
        nodes = topo.service_nodes.get(name, ())
        node_keys = [f"{n}.yaml" for n in nodes]
        files = list(self.config_files.get(name, ()))
        public_files = {f.name: f.content for f in files if not f.secret}
        secret_files = {f.name: _b64(f.content) for f in files if f.secret}
        config_hash = sha256_of(
            {
                "config": cm_data,
                "secret": secret_data,
                "files": public_files,
                "files-secret": secret_files,
                "nodes": {k: self.nodes_config.get(k) for k in node_keys},
                "nodes-secret": {k: self.nodes_secret.get(k) for k in node_keys},
            }
        )
        objects = [
            _config_map(f"{name}-config", ns, cm_data, "config"),
            _secret(f"{name}-secret", ns, secret_data, "config"),
        ]
        if public_files:
            objects.append(_config_map(f"{name}-files", ns, public_files, "config"))
        if secret_files:
            objects.append(_secret(f"{name}-files-secret", ns, secret_files, "config"))
        objects.extend(self._services(name, definition, ports))
        replicas, replica_warnings = effective_replicas(topo, name, definition.kind)
        warnings.extend(replica_warnings)
        workloads = [self._workload(name, definition, ports, replicas, config_hash)]
        workloads += self._jobs(name, definition)
        for obj in workloads:
            _mount_files(obj["spec"]["template"]["spec"], name, files)
        objects.extend(workloads)
        if ing["enabled"]:
            for port in ports:
                if port.ingress:
                    objects.append(
                        ingress_object(
                            name,
                            inst.service_def,
                            port.ingress,
                            port.internal,
                            ing,
                            ns,
                            self.tls_secret,
                        )
                    )
        return objects

    def _resolve_port(self, port: Port, config: Mapping[str, Any], name: str) -> Port:
        if port.ref is None:
            return port
        assert PORT_REFERENCE.match(port.ref)
        section: Any = config
        for part in port.ref.split("."):
            if not isinstance(section, Mapping) or part not in section:
                raise RenderError(
                    f"service {name!r}: ports: config reference {port.ref!r} does not exist"
                )
            section = section[part]
        if not isinstance(section, Mapping):
            raise RenderError(
                f"service {name!r}: ports: {port.ref!r} is not a port section {{cont, node}}"
            )
        try:
            resolved = port_from_section(section, port.ref)
        except DefinitionError as exc:
            detail = "; ".join(f"{p}: {m}" for p, m in exc.problems)
            raise RenderError(f"service {name!r}: ports: {detail}") from exc
        return resolved

    # ------------------------------------------------------------------ Services

    def _services(self, name: str, d: ServiceDefinition, ports: list[Port]) -> list[dict]:
        ns = self.topology.namespace
        out = []
        svc_ports = [_service_port(p) for p in ports]
        if ports or d.headless:
            spec: dict[str, Any] = {"selector": selector_labels(name, ns), "ports": svc_ports}
            if d.headless:
                spec["clusterIP"] = "None"
            else:
                spec["type"] = "NodePort" if any(p.node for p in ports) else "ClusterIP"
            out.append(self._service_obj(name, d, spec))
        if d.kind == "StatefulSet" and not d.headless:
            spec = {
                "selector": selector_labels(name, ns),
                "clusterIP": "None",
                "publishNotReadyAddresses": True,
                "ports": [{k: v for k, v in sp.items() if k != "nodePort"} for sp in svc_ports],
            }
            out.append(self._service_obj(f"{name}-headless", d, spec))
        return out

    def _service_obj(self, obj_name: str, d: ServiceDefinition, spec: dict) -> dict:
        ns = self.topology.namespace
        meta: dict[str, Any] = {
            "name": obj_name,
            "namespace": ns,
            "labels": object_labels(obj_name, ns, "service", d.name),
        }
        if d.service_annotations:
            meta["annotations"] = dict(d.service_annotations)
        return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}

    # ------------------------------------------------------------------ workloads

    def _dependencies(self, name: str, d: ServiceDefinition, names: Sequence[str]) -> set:
        """Resolve dependency names of instance ``name`` to services and jobs."""
        topo = self.topology
        inst = topo.instances[name]
        own_jobs = {c.name for _, _, c in d.single_commands()}
        all_jobs = self._all_jobs()
        containers = {
            c.name: other
            for other, oi in topo.instances.items()
            if oi.service_def in self.definitions
            for c in self.definitions[oi.service_def].containers
        }
        deps = set()
        for dep in names:
            target = inst.mapping.get(dep, dep)
            if target in own_jobs:
                deps.add(Dependency("job", job_name(name, d.name, target)))
            elif target in topo.instances:
                deps.add(Dependency("service", target))
            elif target in all_jobs:
                deps.add(Dependency("job", target))
            elif target in containers:
                deps.add(Dependency("service", containers[target]))
            else:  # left for validate.py to report: not a known service or job
                deps.add(Dependency("service", target))
        return deps

    def _all_jobs(self) -> set[str]:
        jobs = set()
        for other, oi in self.topology.instances.items():
            od = self.definitions.get(oi.service_def)
            if od:
                jobs.update(job_name(other, od.name, c.name) for _, _, c in od.single_commands())
        return jobs

    def _pod_spec(self, name: str, d: ServiceDefinition, ports: list[Port]) -> dict[str, Any]:
        ns = self.topology.namespace
        volumes = _pod_volumes(name, d, bool(self.nodes_secret))
        containers = [
            self._container(c, ports if i == 0 else [], bool(self.nodes_secret))
            for i, c in enumerate(d.containers)
        ]
        spec: dict[str, Any] = {
            "serviceAccountName": SERVICE_ACCOUNT,
            "nodeSelector": {service_node_label(ns, name): ENABLED},
            "containers": containers,
            "volumes": volumes,
        }
        if d.host_network:
            spec["hostNetwork"] = True
            spec["dnsPolicy"] = "ClusterFirstWithHostNet"
        if d.host_pid:
            spec["hostPID"] = True
        if self.pull_secrets:
            spec["imagePullSecrets"] = copy.deepcopy(self.pull_secrets)
        affinity = _anti_affinity(name, ns, d.anti_affinity)
        if affinity:
            spec["affinity"] = affinity
        return spec

    def _container(self, c: Container, ports: list[Port], nodes_secret: bool) -> dict:
        lines = ["set -e"]
        lines += [cmd.command for cmd in c.pre if cmd.type == "local"]
        lines.append(f"exec {c.daemon.command}")
        out: dict[str, Any] = {
            "name": c.name,
            "image": image_ref(c.image, self.images),
            "command": ["/bin/sh", "-c", "\n".join(lines) + "\n"],
            "env": _env(c),
            "volumeMounts": _mounts(c, nodes_secret),
        }
        if ports:
            out["ports"] = [
                {"name": _port_name(p), "containerPort": p.internal, "protocol": "TCP"}
                for p in ports
            ]
        for key, field_name in (("readiness", "readinessProbe"), ("liveness", "livenessProbe")):
            if key in c.probes:
                out[field_name] = _probe(c.probes[key])
        local_post = [cmd.command for cmd in c.post if cmd.type == "local"]
        if local_post:
            out["lifecycle"] = {
                "postStart": {"exec": {"command": ["/bin/sh", "-c", " && ".join(local_post)]}}
            }
        if c.privileged:
            out["securityContext"] = {"privileged": True}
        return out

    def _waiters(
        self, name: str, d: ServiceDefinition, deps: set, waiter_of: str, timeouts: list[int | None]
    ) -> list[dict]:
        if not deps:
            return []
        timeout = max([t for t in timeouts if t] or [self.options.dependency_timeout])
        image = image_ref(self.options.waiter_image, self.images)
        return [
            wait_container(
                sorted(deps),
                self.topology.namespace,
                waiter_of,
                image,
                timeout,
                self.options.poll_interval,
            )
        ]

    def _workload(self, name, d: ServiceDefinition, ports, replicas, config_hash) -> dict:
        ns = self.topology.namespace
        spec_pod = self._pod_spec(name, d, ports)
        commands: list[Command] = []
        for c in d.containers:
            commands += [c.daemon, *(x for x in (*c.pre, *c.post) if x.type == "local")]
        dep_names = [n for cmd in commands for n in cmd.dependencies]
        deps = self._dependencies(name, d, dep_names)
        # pre single commands run before the daemon: wait for their Jobs
        deps |= {
            Dependency("job", job_name(name, d.name, cmd.name))
            for _, phase, cmd in d.single_commands()
            if phase == "pre"
        }
        waiters = self._waiters(
            name, d, deps, f"{d.kind}/{name}", [cmd.timeout for cmd in commands]
        )
        if waiters:
            spec_pod["initContainers"] = waiters
        labels = {**object_labels(name, ns, "service", d.name)}
        annotations = {**d.pod_annotations, CONFIG_HASH_ANNOTATION: config_hash}
        if deps:
            annotations[DEPENDENCIES_ANNOTATION] = ",".join(str(x) for x in sorted(deps))
        template = {"metadata": {"labels": labels, "annotations": annotations}, "spec": spec_pod}
        spec: dict[str, Any] = {
            "selector": {"matchLabels": selector_labels(name, ns)},
            "template": template,
        }
        if d.kind == "Deployment":
            spec["replicas"] = replicas
            spec["strategy"] = {"type": d.strategy}
        elif d.kind == "StatefulSet":
            spec["replicas"] = replicas
            spec["serviceName"] = name if d.headless else f"{name}-headless"
            spec["podManagementPolicy"] = "Parallel"
            spec["updateStrategy"] = {"type": "RollingUpdate"}
        else:
            spec["updateStrategy"] = {"type": "RollingUpdate"}
        return {
            "apiVersion": "apps/v1",
            "kind": d.kind,
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": object_labels(name, ns, "service", d.name),
            },
            "spec": spec,
        }

    def _jobs(self, name: str, d: ServiceDefinition) -> list[dict]:
        ns = self.topology.namespace
        out = []
        for container, phase, cmd in d.single_commands():
            jname = job_name(name, d.name, cmd.name)
            deps = self._dependencies(name, d, cmd.dependencies)
            if phase == "post":  # runs after the daemon has started
                deps.add(Dependency("service", name))
            deps.discard(Dependency("job", jname))
            pod: dict[str, Any] = {
                "serviceAccountName": SERVICE_ACCOUNT,
                "restartPolicy": "OnFailure",
                "nodeSelector": {service_node_label(ns, name): ENABLED},
                "containers": [
                    {
                        "name": jname,
                        "image": image_ref(cmd.image or container.image, self.images),
                        "command": ["/bin/sh", "-c", cmd.command],
                        "env": _env(container),
                        "volumeMounts": _mounts(container, bool(self.nodes_secret)),
                    }
                ],
                "volumes": _pod_volumes(name, d, bool(self.nodes_secret), only=container),
            }
            if container.privileged:
                pod["containers"][0]["securityContext"] = {"privileged": True}
            if d.host_network:
                pod["hostNetwork"] = True
                pod["dnsPolicy"] = "ClusterFirstWithHostNet"
            if self.pull_secrets:
                pod["imagePullSecrets"] = copy.deepcopy(self.pull_secrets)
            waiters = self._waiters(name, d, deps, f"Job/{jname}", [cmd.timeout])
            if waiters:
                pod["initContainers"] = waiters
            labels = object_labels(jname, ns, "job", d.name)
            annotations = {}
            if deps:
                annotations[DEPENDENCIES_ANNOTATION] = ",".join(str(x) for x in sorted(deps))
            out.append(
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "metadata": {"name": jname, "namespace": ns, "labels": labels},
                    "spec": {
                        "backoffLimit": self.options.job_backoff_limit,
                        "completions": 1,
                        "parallelism": 1,
                        "template": {
                            "metadata": {"labels": labels, "annotations": annotations},
                            "spec": pod,
                        },
                    },
                }
            )
        return out


def _mount_files(pod: dict[str, Any], name: str, files: Sequence[RenderedFile]) -> None:
    """Mount each formula-rendered file at its path (subPath) in every container of ``pod``."""
    if not files:
        return
    sources = (
        (False, "stacksalt-files", {"configMap": {"name": f"{name}-files"}}),
        (True, "stacksalt-files-secret", {"secret": {"secretName": f"{name}-files-secret"}}),
    )
    for secret, volume, source in sources:
        chosen = sorted((f for f in files if f.secret == secret), key=lambda f: f.name)
        if not chosen:
            continue
        ref = copy.deepcopy(source)
        if secret:
            ref["secret"]["defaultMode"] = 0o400
        pod["volumes"].append({"name": volume, **ref})
        for container in pod["containers"]:
            container["volumeMounts"].extend(
                {"name": volume, "mountPath": f.path, "subPath": f.name, "readOnly": True}
                for f in chosen
            )


def _file_dict(key: str, f) -> dict[str, Any]:
    fields = (("path", f.path), ("content", f.content), ("perm", f.perm), ("user", f.user))
    return {"name": key, **{k: v for k, v in fields if v is not None}}


def _port_name(p: Port) -> str:
    return p.name or f"p{p.internal}"


def _service_port(p: Port) -> dict[str, Any]:
    port = {"name": _port_name(p), "port": p.internal, "targetPort": p.internal, "protocol": "TCP"}
    if p.node:
        port["nodePort"] = p.node
    return port


def _probe(probe: Probe) -> dict[str, Any]:
    if probe.type == "exec":
        action: dict[str, Any] = {"exec": {"command": ["/bin/sh", "-c", probe.command]}}
    else:
        action = {"httpGet": {"path": probe.path, "port": probe.port, "scheme": probe.scheme}}
    return {
        **action,
        "initialDelaySeconds": probe.initial_delay,
        "timeoutSeconds": probe.timeout,
        "periodSeconds": probe.period,
    }


def _env(c: Container) -> list[dict[str, Any]]:
    base = [
        {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "STACKSALT_CONFIG_DIR", "value": CONFIG_DIR},
    ]
    own = {e["name"] for e in c.env}
    return [e for e in base if e["name"] not in own] + [dict(e) for e in c.env]


def _config_volumes(name: str, nodes_secret: bool) -> list[tuple[dict, str]]:
    vols = [
        ({"name": "stacksalt-config", "configMap": {"name": f"{name}-config"}}, "config"),
        (
            {
                "name": "stacksalt-secret",
                "secret": {"secretName": f"{name}-secret", "defaultMode": 0o400},
            },
            "secret",
        ),
        ({"name": "stacksalt-nodes", "configMap": {"name": NODES_CONFIG}}, "nodes"),
    ]
    if nodes_secret:
        vols.append(
            (
                {
                    "name": "stacksalt-nodes-secret",
                    "secret": {"secretName": NODES_SECRET, "defaultMode": 0o400},
                },
                "nodes-secret",
            )
        )
    return vols


def _pod_volumes(
    name: str, d: ServiceDefinition, nodes_secret: bool, only: Container | None = None
) -> list[dict]:
    volumes = [v for v, _ in _config_volumes(name, nodes_secret)]
    seen = set()
    for c in d.containers:
        if only is not None and c is not only:
            continue
        for v in c.volumes:
            if v.name in seen:
                continue
            seen.add(v.name)
            if v.type == "host":
                volumes.append({"name": v.name, "hostPath": {"path": v.path}})
            else:
                volumes.append({"name": v.name, "emptyDir": {}})
    return volumes


def _mounts(c: Container, nodes_secret: bool) -> list[dict]:
    mounts = [
        {"name": v["name"], "mountPath": f"{CONFIG_DIR}/{sub}", "readOnly": True}
        for v, sub in _config_volumes("", nodes_secret)
    ]
    mounts += [
        {"name": v.name, "mountPath": v.mount_path, "readOnly": v.read_only} for v in c.volumes
    ]
    return mounts


def _anti_affinity(name: str, ns: str, mode: str | None) -> dict | None:
    """local: no two pods of this service of this environment on one node;
    global: no two pods of this service of any stacksalt environment on one node."""
    if mode is None:
        return None
    if mode == "local":
        term = {
            "labelSelector": {"matchLabels": selector_labels(name, ns)},
            "topologyKey": HOSTNAME_KEY,
        }
    else:
        term = {
            "labelSelector": {
                "matchLabels": {NAME_LABEL: name, MANAGED_BY_LABEL: MANAGED_BY_VALUE}
            },
            "namespaceSelector": {},
            "topologyKey": HOSTNAME_KEY,
        }
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
