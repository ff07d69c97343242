"""Small helpers shared by the Kubernetes renderer modules (pure functions, no I/O)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from stacksalt import secrets
from stacksalt.secrets import is_secret_key  # noqa: F401 - the one rule, re-exported

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "stacksalt"
ENVIRONMENT_LABEL = "stacksalt.io/environment"
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
DEFINITION_LABEL = "stacksalt.io/service-def"
CONFIG_HASH_ANNOTATION = "stacksalt.io/config-hash"
DESIRED_HASH_ANNOTATION = "stacksalt.io/desired-hash"

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return a new dict: ``override`` merged into ``base``.

    Dicts merge recursively (sibling keys survive); every other value, lists included,
    replaces the base value wholesale (spec §1.3: a custom flavors list drops the defaults).
    """
    result = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def split_secrets(data: Mapping[str, Any], secret_values=frozenset()):
    """(public, secret) of a config tree by the one secret rule (``secrets.split``)."""
    return secrets.split(dict(data), secret_values)


def canonical_json(data: Any) -> str:
    """Deterministic JSON text (sorted keys, no whitespace) used for hashing and ConfigMaps."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def sha256_of(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def object_key(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """Identity of a Kubernetes object: (apiVersion group, kind, namespace, name)."""
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    meta = obj.get("metadata") or {}
    return (group, str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta["name"]))


def describe(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind', '?')}/{meta.get('name', '?')}"
