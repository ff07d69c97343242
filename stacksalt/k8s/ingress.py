"""Ingress objects and the domain list (spec §1.6).

``configs.ingress`` = ``{enabled: False, domain: "external", port: 8443}`` plus, here, the TLS
material: ``tls_secret`` (name of an existing ``kubernetes.io/tls`` Secret) or ``tls_cert`` and
``tls_key`` (PEM text, rendered into the Secret ``stacksalt-ingress-tls``), and an optional
``class`` (ingressClassName). There is no Ingress without TLS. A port config section with
``ingress: <sub>`` is exposed as host ``<sub>.<domain>``; one Ingress per such port.
Several environments must use different domains (spec §1.6), e.g. ``ccp-2.external``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from stacksalt.k8s.naming import object_labels

INGRESS_DEFAULTS: Mapping[str, Any] = {"enabled": False, "domain": "external", "port": 8443}
TLS_SECRET = "stacksalt-ingress-tls"  # noqa: S105 - a Secret object name


class IngressError(ValueError):
    """The ingress configuration cannot be rendered."""


def ingress_config(cfg: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**INGRESS_DEFAULTS, **(cfg or {})}


def _port_sections(tree: Any, path: str = ""):
    """Yield (path, section) for every mapping that looks like a port config section."""
    if isinstance(tree, Mapping):
        if "cont" in tree and "ingress" in tree:
            yield path, tree
        for key, value in sorted(tree.items(), key=lambda kv: str(kv[0])):
            yield from _port_sections(value, f"{path}.{key}" if path else str(key))


def domains_list(cfg: Mapping[str, Any]) -> list[str]:
    """Every Ingress domain of a deployment, like ``ccp domains list``.

    ``cfg`` is the merged ``configs`` tree; every port section carrying ``ingress: <sub>``
    contributes ``<sub>.<ingress.domain>``. Sorted and de-duplicated. Listed whether or not
    Ingress is enabled, so DNS or /etc/hosts can be prepared before enabling it.
    """
    domain = ingress_config(cfg.get("ingress"))["domain"]
    subs = {section["ingress"] for _, section in _port_sections(cfg) if section.get("ingress")}
    return sorted(f"{sub}.{domain}" for sub in subs)


def tls_secret_objects(cfg: Mapping[str, Any], namespace: str) -> tuple[str, list[dict]]:
    """(secret name, objects to create) for the Ingress TLS certificate."""
    if cfg.get("tls_secret"):
        return str(cfg["tls_secret"]), []
    cert, key = cfg.get("tls_cert"), cfg.get("tls_key")
    if not (cert and key):
        raise IngressError(
            "ingress: TLS is mandatory: set ingress.tls_secret, or ingress.tls_cert and "
            "ingress.tls_key"
        )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {
            "name": TLS_SECRET,
            "namespace": namespace,
            "labels": object_labels(TLS_SECRET, namespace, "ingress"),
        },
        "data": {
            "tls.crt": base64.b64encode(str(cert).encode()).decode(),
            "tls.key": base64.b64encode(str(key).encode()).decode(),
        },
    }
    return TLS_SECRET, [secret]


def ingress_object(
    instance: str,
    service_def: str,
    subdomain: str,
    port: int,
    cfg: Mapping[str, Any],
    namespace: str,
    secret_name: str,
) -> dict[str, Any]:
    host = f"{subdomain}.{cfg['domain']}"
    spec: dict[str, Any] = {
        "tls": [{"hosts": [host], "secretName": secret_name}],
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": instance, "port": {"number": port}}},
                        }
                    ]
                },
            }
        ],
    }
    if cfg.get("class"):
        spec["ingressClassName"] = cfg["class"]
    name = f"{instance}-{subdomain}"
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": object_labels(name, namespace, "ingress", service_def),
        },
        "spec": spec,
    }
