"""Render Kubernetes objects (plain dicts) from the services' descriptions, the topology and
the model's values.

Pure: same input, same output, no I/O. Per environment (= namespace, spec §2.1):

- ``Namespace``; ServiceAccount/Role/RoleBinding for the dependency waiters;
- optional registry pull Secret (``images.username``/``password``), Ingress TLS Secret;
- per service instance: ConfigMap ``<svc>-pillar`` and Secret ``<svc>-pillar-secret`` holding
  each container's pillar (the description's template rendered, the model's ``configs`` and
  ``secret_configs`` merged in, split by the one secret rule), one key per container or Job
  and per node with its own values; the workload of the definition's kind; a Service when it
  has ports (a headless ``<svc>-headless`` too for a non-headless StatefulSet); a Job per
  ``type: single`` command; a PersistentVolumeClaim per shared volume; an Ingress per port
  with an ``ingress`` subdomain when enabled.

Every container runs its image's entrypoint: no ``command`` is set, ``args`` only when the
description gives the daemon's or the Job's argv. The entrypoint reads the pillar mounted at
``/run/stacksalt/pillar`` (a projected volume of the container's keys), expands the pod's
``$(POD_NAME)``-style references, applies the image's formulas and execs the daemon.

Pods carry ``stacksalt.io/config-hash`` = sha256 of the pillar they read, so a config change
rolls them. Placement uses per-environment node labels ``<env>.stacksalt.io/<svc>=enabled``;
``RenderResult.node_labels`` is the plan.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from stacksalt import secrets
from stacksalt.k8s.common import (
    CONFIG_HASH_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    NAME_LABEL,
    sha256_of,
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
from stacksalt.k8s.pillar import Context as PillarContext
from stacksalt.k8s.pillar import PillarError, container_pillar, node_pillar
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

PILLAR_DIR = "/run/stacksalt/pillar"  # where the image's entrypoint reads its pillar
PILLAR_VOLUME = "stacksalt-pillar"
REGISTRY_SECRET = "stacksalt-registry"  # noqa: S105 - a Secret object name
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
    # instances provided outside this environment (on the hosts): dependencies on them are
    # satisfied, the model's configs give their addresses
    external: Sequence[str] = ()
    external_hosts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    secret_values: frozenset[str] = frozenset()  # deployment secrets (kept out of ConfigMaps)


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
    sources: Mapping[str, str] | None = None,
) -> RenderResult:
    """Render every object of ``topology.namespace``.

    ``definitions`` maps definition names to ``ServiceDefinition`` (or raw documents, which are
    validated here); ``configs`` is the merged global config; ``ingress`` defaults to
    ``configs["ingress"]``; ``sources`` names each definition's file in errors.
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
    ctx = _Context(topology, defs, images, options, sources=dict(sources or {}))
    if images.get("username") and images.get("password"):
        objects.append(_registry_secret(images, ns))
        ctx.pull_secrets = [{"name": REGISTRY_SECRET}]

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


def statefulset_pods(topology: Topology, definitions: Mapping[str, ServiceDefinition]):
    """instance -> (pod names, serviceName) of every StatefulSet of the environment."""
    out = {}
    for name, inst in topology.instances.items():
        d = definitions.get(inst.service_def)
        if d is None or d.kind != "StatefulSet":
            continue
        replicas, _ = effective_replicas(topology, name, d.kind)
        service = name if d.headless else f"{name}-headless"
        out[name] = (tuple(f"{name}-{i}" for i in range(replicas or 0)), service)
    return out


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
    tls_secret: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # definition -> its file
    pillar_keys: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    # ------------------------------------------------------------------ per instance

    def instance_objects(self, name, configs, secret_configs, ing, warnings) -> list[dict]:
        topo = self.topology
        ns = topo.namespace
        inst = topo.instances[name]
        definition = self.definitions[inst.service_def]
        config = topo.instance_config(configs, name)
        ports = [self._resolve_port(p, config, name) for p in definition.ports]
        replicas, replica_warnings = effective_replicas(topo, name, definition.kind)
        warnings.extend(replica_warnings)
        nodes = topo.service_nodes.get(name, ())

        pillar_ctx = PillarContext(
            instance=name,
            namespace=ns,
            cluster_domain=topo.cluster_domain,
            replicas=replicas if replicas is not None else len(nodes),
            statefulsets=statefulset_pods(topo, self.definitions),
            instances=frozenset(topo.instances),
            configs=config,
            published_ports=self.published_ports(configs),
            external=self.options.external_hosts,
        )
        public: dict[str, str] = {}
        secret: dict[str, str] = {}
        keys: dict[str, list[tuple[str, str, str]]] = {}  # pillar key -> projected items
        for unit, template in _pillar_units(definition):
            source = self.sources.get(inst.service_def, "its description")
            where = f"service '{name}' ({source}): {unit}.pillar"
            try:
                pillar = container_pillar(template, pillar_ctx, config, secret_configs, where)
            except PillarError as exc:
                raise RenderError(str(exc)) from exc
            items = []
            pub, sec = secrets.split(pillar, self.options.secret_values)
            public[f"{unit}.yaml"] = _yaml(pub)
            items.append(("configmap", f"{unit}.yaml", "10-pillar.yaml"))
            if sec:
                secret[f"{unit}.yaml"] = _b64(_yaml(sec))
                items.append(("secret", f"{unit}.yaml", "20-secret.yaml"))
            for node in nodes:
                own = node_pillar(template, topo.node_configs.get(node) or {})
                if not own:
                    continue
                npub, nsec = secrets.split(own, self.options.secret_values)
                if npub:
                    public[f"{unit}.node.{node}.yaml"] = _yaml(npub)
                    items.append(("configmap", f"{unit}.node.{node}.yaml", f"node.{node}.yaml"))
                if nsec:
                    secret[f"{unit}.node.{node}.yaml"] = _b64(_yaml(nsec))
                    items.append(("secret", f"{unit}.node.{node}.yaml", f"node.{node}.secret.yaml"))
            keys[unit] = items
        self.pillar_keys = keys
        config_hash = sha256_of({"pillar": public, "secret": secret})
        objects = [_config_map(f"{name}-pillar", ns, public, "config")]
        if secret:
            objects.append(_secret(f"{name}-pillar-secret", ns, secret, "config"))
        objects.extend(self._claims(name, definition))
        objects.extend(self._services(name, definition, ports))
        objects.append(self._workload(name, definition, ports, replicas, config_hash))
        objects += self._jobs(name, definition)
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

    def published_ports(self, configs) -> dict[str, dict[str, Any]]:
        """Every port with an Ingress subdomain, by ``<instance>-<port name>``: its Service
        in cluster DNS and the port (HAProxy's backends)."""
        topo = self.topology
        out = {}
        for name, inst in sorted(topo.instances.items()):
            d = self.definitions.get(inst.service_def)
            if d is None:
                continue
            config = topo.instance_config(configs, name)
            for port in (self._resolve_port(p, config, name) for p in d.ports):
                if not port.ingress:
                    continue
                out[f"{name}-{_port_name(port)}"] = {
                    "host": f"{name}.{topo.namespace}.svc.{topo.cluster_domain}",
                    "port": port.internal,
                }
        return out

    def _claims(self, name: str, d: ServiceDefinition) -> list[dict]:
        """A ReadWriteMany claim per shared volume: every replica mounts the same data."""
        ns = self.topology.namespace
        out, seen = [], set()
        for c in d.containers:
            for v in c.volumes:
                if v.type != "shared" or v.name in seen:
                    continue
                seen.add(v.name)
                claim = f"{name}-{v.name}"
                out.append(
                    {
                        "apiVersion": "v1",
                        "kind": "PersistentVolumeClaim",
                        "metadata": {
                            "name": claim,
                            "namespace": ns,
                            "labels": object_labels(claim, ns, "storage", d.name),
                        },
                        "spec": {
                            "accessModes": ["ReadWriteMany"],
                            "resources": {"requests": {"storage": v.size}},
                        },
                    }
                )
        return out

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
                # peers find each other before they are ready (etcd's initial cluster)
                spec["publishNotReadyAddresses"] = True
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
            if target in self.options.external:
                continue  # provided outside this environment (the hosts)
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
        containers = [
            self._container(
                c,
                c.daemon,
                c.name,
                ports if i == 0 else [],
                PILLAR_VOLUME + _container_suffix(d, c.name),
            )
            for i, c in enumerate(d.containers)
        ]
        spec: dict[str, Any] = {
            "serviceAccountName": SERVICE_ACCOUNT,
            "nodeSelector": {service_node_label(ns, name): ENABLED},
            "containers": containers,
            "volumes": _pod_volumes(name, d, self.pillar_keys),
        }
        if d.kind == "StatefulSet":
            # the pod's DNS name <pod>.<service>.<ns>.svc.<domain> (its peers' address)
            spec["subdomain"] = name if d.headless else f"{name}-headless"
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

    def _container(
        self, c: Container, cmd: Command, unit: str, ports: list[Port], volume: str
    ) -> dict:
        """One container running its image's entrypoint: ``args`` only when the description
        gives an argv (a Job's, or a daemon other than the image's CMD)."""
        image = cmd.image or c.image
        out: dict[str, Any] = {
            "name": unit if cmd.type == "single" else c.name,
            "image": image_ref(image, self.images),
        }
        if cmd.argv is not None:
            out["args"] = list(cmd.argv)
        out["env"] = _env(c)
        out["volumeMounts"] = [
            {"name": volume, "mountPath": PILLAR_DIR, "readOnly": True},
            *(
                {"name": v.name, "mountPath": v.mount_path, "readOnly": v.read_only}
                for v in c.volumes
            ),
        ]
        if ports:
            out["ports"] = [
                {"name": _port_name(p), "containerPort": p.internal, "protocol": "TCP"}
                for p in ports
            ]
        if cmd.type != "single":
            for key, field_name in (("readiness", "readinessProbe"), ("liveness", "livenessProbe")):
                if key in c.probes:
                    out[field_name] = _probe(c.probes[key])
        security: dict[str, Any] = {}
        if c.privileged:
            security["privileged"] = True
        if c.capabilities:
            security["capabilities"] = {"add": list(c.capabilities)}
        if security:
            out["securityContext"] = security
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
        commands: list[Command] = [c.daemon for c in d.containers]
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
            spec["podManagementPolicy"] = d.pod_management
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
                "containers": [self._container(container, cmd, jname, [], PILLAR_VOLUME)],
                "volumes": _pod_volumes(name, d, self.pillar_keys, only=container, unit=jname),
            }
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


def _pillar_units(d: ServiceDefinition) -> list[tuple[str, Mapping[str, Any]]]:
    """(unit, pillar template) for every container and every Job of a definition: a Job
    without a template of its own gets its container's."""
    out = []
    for c in d.containers:
        out.append((c.name, c.pillar or {}))
    for container, _phase, cmd in d.single_commands():
        out.append((cmd.name, cmd.pillar if cmd.pillar is not None else container.pillar or {}))
    return out


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
    elif probe.type == "tcpSocket":
        action = {"tcpSocket": {"port": probe.port}}
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
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
    ]
    own = {e["name"] for e in c.env}
    return [e for e in base if e["name"] not in own] + [dict(e) for e in c.env]


def _pod_volumes(
    name: str,
    d: ServiceDefinition,
    pillar_keys: Mapping[str, Sequence[tuple[str, str, str]]],
    only: Container | None = None,
    unit: str | None = None,
) -> list[dict]:
    """The pillar volume of each container (or of the Job ``unit``) and the definition's."""
    volumes = []
    units = [unit] if unit else [c.name for c in d.containers]
    for u in units:
        sources: list[dict[str, Any]] = []
        for kind, key, path in pillar_keys.get(u, ()):
            if kind == "configmap":
                sources.append(
                    {"configMap": {"name": f"{name}-pillar", "items": [{"key": key, "path": path}]}}
                )
            else:
                sources.append(
                    {
                        "secret": {
                            "name": f"{name}-pillar-secret",
                            "items": [{"key": key, "path": path, "mode": 0o400}],
                        }
                    }
                )
        vol_name = PILLAR_VOLUME if unit else f"{PILLAR_VOLUME}{_container_suffix(d, u)}"
        volumes.append({"name": vol_name, "projected": {"sources": sources, "defaultMode": 0o444}})
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
            elif v.type == "shared":
                volumes.append(
                    {"name": v.name, "persistentVolumeClaim": {"claimName": f"{name}-{v.name}"}}
                )
            else:
                volumes.append({"name": v.name, "emptyDir": {}})
    return volumes


def _container_suffix(d: ServiceDefinition, unit: str) -> str:
    """The pillar volume of the first container is ``stacksalt-pillar``; others are
    ``stacksalt-pillar-<container>`` (one volume per container's own keys)."""
    return "" if d.containers[0].name == unit else f"-{unit}"


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
