"""Names, labels and image references shared by the renderer and the validator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stacksalt.k8s.common import (
    COMPONENT_LABEL,
    DEFINITION_LABEL,
    ENVIRONMENT_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    NAME_LABEL,
)

LABEL_DOMAIN = "stacksalt.io"
ENABLED = "enabled"

# Seed well-known node labels (MOSK architecture): which service definitions put them on a node.
# A definition matches an entry when it equals it or starts with "<entry>-".
SEED_LABEL_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("openstack-compute-node", ("nova-compute", "nova-libvirt")),
    ("openvswitch", ("openvswitch", "neutron-openvswitch-agent")),
    (
        "openstack-gateway",
        ("neutron-l3-agent", "neutron-dhcp-agent", "neutron-metadata-agent", "octavia"),
    ),
    (
        "openstack-control-plane",
        (
            "keystone",
            "glance",
            "nova-api",
            "nova-conductor",
            "nova-scheduler",
            "nova-consoleauth",
            "nova-novncproxy",
            "placement",
            "neutron-server",
            "cinder",
            "heat",
            "horizon",
            "galera",
            "mariadb",
            "percona",
            "rabbitmq",
            "memcached",
            "etcd",
        ),
    ),
)


def image_ref(name: str, images: Mapping[str, Any]) -> str:
    """``<registry>/<namespace>/<name>:<tag>``; the registry part is left out when empty.

    ``images`` keys: ``registry`` (e.g. "127.0.0.1:31500"), ``namespace`` (default "ccp"),
    ``tag`` (default "latest"), ``tags`` (per-image tag overrides), ``refs`` (per-image full
    references, used as given: e.g. a public kubectl image for the dependency waiters).
    """
    ref = (images.get("refs") or {}).get(name)
    if ref:
        return str(ref)
    namespace = images.get("namespace", "ccp")
    tag = (images.get("tags") or {}).get(name, images.get("tag", "latest"))
    registry = str(images.get("registry") or "").rstrip("/")
    path = f"{namespace}/{name}" if namespace else name
    return f"{registry}/{path}:{tag}" if registry else f"{path}:{tag}"


def job_name(instance: str, service_def: str, command_name: str) -> str:
    """Name of the Job for a ``type: single`` command of ``instance``.

    Unchanged for an instance named like its definition; otherwise the definition-name prefix
    is swapped for the instance name (rabbitmq's ``rabbitmq-bootstrap`` in instance ``rpc``
    becomes ``rpc-bootstrap``) or the instance name is prepended, so two instances of one
    definition never share a Job.
    """
    if instance == service_def or command_name.startswith(f"{instance}-"):
        return command_name
    if command_name.startswith(f"{service_def}-"):
        return f"{instance}{command_name[len(service_def) :]}"
    return f"{instance}-{command_name}"


def owner_labels(environment: str) -> dict[str, str]:
    return {MANAGED_BY_LABEL: MANAGED_BY_VALUE, ENVIRONMENT_LABEL: environment}


def selector_labels(name: str, environment: str) -> dict[str, str]:
    return {NAME_LABEL: name, ENVIRONMENT_LABEL: environment}


def object_labels(
    name: str, environment: str, component: str, service_def: str | None = None
) -> dict[str, str]:
    labels = {**owner_labels(environment), NAME_LABEL: name, COMPONENT_LABEL: component}
    if service_def:
        labels[DEFINITION_LABEL] = service_def
    return labels


def service_node_label(environment: str, instance: str) -> str:
    """Node label that places ``instance`` of ``environment`` (value ``enabled``)."""
    return f"{environment}.{LABEL_DOMAIN}/{instance}"


def role_node_label(environment: str, role: str) -> str:
    return f"{environment}.{LABEL_DOMAIN}/role-{role}"


def seed_labels(service_defs: list[str]) -> dict[str, str]:
    """The well-known labels implied by the definitions running on a node."""
    labels = {}
    for label, names in SEED_LABEL_RULES:
        for svc in service_defs:
            if any(svc == n or svc.startswith(f"{n}-") for n in names):
                labels[label] = ENABLED
    return labels
