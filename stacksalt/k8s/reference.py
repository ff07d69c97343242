"""A generated 1000-node reference cluster (seed 004 §5.4), in memory, in the model's shape.

516 compute nodes plus the dedicated control plane of the §5.4 placement table: keystone 5,
nova-api 3, nova-conductor 3, horizon 3, rabbitmq 3, mysqld 3, ceph-mon 3, lma-aggregator 1,
influxdb 3, elasticsearch 3 (30 nodes); nova-scheduler runs 8 single-threaded instances on the
6 nova control nodes (no anti-affinity: the table gives it no nodes of its own); etcd sits with
the databases, memcached with keystone. Every ``nodes`` pattern is anchored with ``$``.

:func:`workload` returns a ``ccp:control`` mapping (topology and values only, as the model's)
and :func:`catalog` the services' descriptions (DSL 1.2.0: each image's CMD through its
entrypoint, a Job applying a state) and their images, which
``stacksalt.k8s.workload.build(workload(), [], catalog=catalog())`` renders and validates like
the model's clusters.
"""

from __future__ import annotations

from typing import Any

COMPUTES = 516

# role -> (node prefix, node count, services on it)
PLACEMENT: dict[str, tuple[str, int, list[str]]] = {
    "identity": ("kst", 5, ["keystone", "memcached"]),
    "nova-api": ("napi", 3, ["nova-api", "nova-scheduler"]),
    "nova-conductor": ("ncnd", 3, ["nova-conductor", "nova-scheduler"]),
    "dashboard": ("hzn", 3, ["horizon"]),
    "messaging": ("msg", 3, ["rpc", "notifications"]),
    "database": ("dbs", 3, ["database", "etcd"]),
    "ceph-mon": ("cmn", 3, ["ceph-mon"]),
    "lma": ("lma", 1, ["lma-aggregator"]),
    "metrics": ("mtr", 3, ["influxdb"]),
    "logs": ("log", 3, ["elasticsearch"]),
    "compute": ("cmp", COMPUTES, ["nova-libvirt", "nova-compute"]),
}

PORTS = {
    "etcd": 2379,
    "galera": 3306,
    "rabbitmq": 5672,
    "memcached": 11211,
    "keystone": 5000,
    "nova-api": 8774,
    "horizon": 8080,
    "ceph-mon": 6789,
    "lma-aggregator": 5565,
    "influxdb": 8086,
    "elasticsearch": 9200,
}

REPLICAS = {
    "keystone": 5,
    "memcached": 5,
    "nova-api": 3,
    "nova-scheduler": 8,
    "nova-conductor": 3,
    "horizon": 3,
    "database": 3,
    "etcd": 3,
    "ceph-mon": 3,
    "lma-aggregator": 1,
    "influxdb": 3,
    "elasticsearch": 3,
}


def node_names() -> list[str]:
    out = []
    for prefix, count, _services in PLACEMENT.values():
        width = 3 if count > 99 else 2
        out += [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]
    return out


def _definition(
    name: str,
    kind: str = "Deployment",
    deps: tuple[str, ...] = (),
    anti: str | None = "local",
    **extra: Any,
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": name,
        "daemon": {"dependencies": list(deps)},  # the image's CMD
    }
    port = PORTS.get(name)
    if port:
        container["probes"] = {"readiness": {"type": "tcpSocket", "port": port}}
    if "pillar" in extra:
        container["pillar"] = extra.pop("pillar")
    if extra.pop("privileged", False):
        container["privileged"] = True
    container["volumes"] = extra.pop("volumes", [])
    container["pre"] = extra.pop("pre", [])
    service: dict[str, Any] = {"name": name, "kind": kind, "containers": [container], **extra}
    if port:
        service["ports"] = [f"{name}.port"]
    if anti:
        service["antiAffinity"] = anti
    return {"dsl_version": "1.2.0", "service": service}


def definitions() -> dict[str, dict[str, Any]]:
    host = [{"name": "data", "type": "host", "path": "/var/lib/ccp/data"}]
    defs = [
        _definition("etcd", "StatefulSet", headless=True, volumes=host),
        _definition("galera", "StatefulSet", ("etcd",), volumes=host),
        _definition("rabbitmq", "DaemonSet", ("etcd",), anti=None),
        _definition("memcached"),
        _definition(
            "keystone",
            deps=("memcached", "rpc"),
            pre=[
                {
                    "name": "keystone-db-sync",
                    "type": "single",
                    "command": ["--apply", "keystone.server.db_sync"],
                    "dependencies": ["database"],
                }
            ],
        ),
        _definition("nova-api", deps=("keystone", "database", "rpc")),
        _definition("nova-scheduler", deps=("nova-api", "rpc"), anti=None),
        _definition("nova-conductor", deps=("database", "rpc")),
        _definition("horizon", deps=("keystone",)),
        _definition("ceph-mon", volumes=host),
        _definition("lma-aggregator"),
        _definition("influxdb", "StatefulSet", volumes=host),
        _definition("elasticsearch", "StatefulSet", volumes=host),
        _definition(
            "nova-libvirt",
            "DaemonSet",
            anti=None,
            hostNetwork=True,
            hostPID=True,
            privileged=True,
            volumes=[{"name": "libvirt-run", "type": "host", "path": "/run/libvirt"}],
        ),
        _definition(
            "nova-compute",
            "DaemonSet",
            ("nova-libvirt", "rpc", "nova-conductor"),
            anti=None,
            hostNetwork=True,
            privileged=True,
            volumes=[{"name": "libvirt-run", "type": "host", "path": "/run/libvirt"}],
            pillar={"nova": {"compute": {"enabled": True}}},
        ),
    ]
    return {d["service"]["name"]: d for d in defs}


def workload(namespace: str = "openstack-reference") -> dict[str, Any]:
    defs = definitions()
    ports = {
        name: {"port": {"cont": PORTS[name], "name": "main"}}
        for name, d in defs.items()
        if d["service"].get("ports")
    }
    nodes: dict[str, Any] = {}
    for role, (prefix, count, _services) in PLACEMENT.items():
        digits = r"\d{3}" if count > 99 else r"\d{2}"
        nodes[f"{prefix}{digits}$"] = {"roles": [role]}
    # per-node overrides, merged in lexicographic order of the patterns (spec §1.4)
    nodes[r"cmp[0-4]\d\d$"] = {"configs": {"nova": {"compute": {"cpu_allocation_ratio": 4.0}}}}
    nodes[r"cmp5\d\d$"] = {"configs": {"nova": {"compute": {"cpu_allocation_ratio": 8.0}}}}
    return {
        "kubernetes": {"namespace": namespace, "nodes": node_names()},
        "registry": {"address": "registry.reference.example:5000"},
        "images": {"namespace": "stacksalt", "tag": "reference"},
        "nodes": nodes,
        "roles": {role: list(services) for role, (_p, _c, services) in PLACEMENT.items()},
        "replicas": dict(REPLICAS),
        "services": {
            "database": {"service_def": "galera"},
            "rpc": {"service_def": "rabbitmq"},
            "notifications": {
                "service_def": "rabbitmq",
                "configs": {"rabbitmq": {"port": {"cont": 5673, "name": "main"}}},
            },
        },
        "configs": {**ports, "nova": {"compute": {"cpu_allocation_ratio": 1.0}}},
        "secret_configs": {"keystone": {"admin_password": "reference-only-not-a-secret"}},
    }


def catalog():
    """The reference services and their images: each service image is built on salt-base
    (it runs the entrypoint) and runs its daemon as CMD; keystone's applies its formula (its
    Job applies keystone.server.db_sync)."""
    from stacksalt.images import spec
    from stacksalt.k8s.dsl import validate_definition
    from stacksalt.service.catalog import Catalog

    debian = "stacksalt/debian:bookworm"
    images = {
        "salt-base": spec.ImageSpec("salt-base", base=debian, wheels="docker-salt/wheels.txt"),
        "kubectl": spec.ImageSpec(
            "kubectl", base=debian, packages=("kubernetes-client",), command=("kubectl",)
        ),
    }
    for name in definitions():
        formulas = ("keystone",) if name == "keystone" else ()
        images[name] = spec.ImageSpec(
            name, parent="salt-base", formulas=formulas, command=(f"/usr/bin/{name}",)
        )
    defs = {name: validate_definition(doc) for name, doc in definitions().items()}
    sources = {f"service:{name}": "stacksalt/k8s/reference.py" for name in defs}
    return Catalog(spec.finish("stacksalt", images), defs, sources)
