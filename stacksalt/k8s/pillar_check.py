"""The pillars the rendered pods will read, checked before anything runs.

A container's pillar (its ConfigMap and Secret keys) is what the image's entrypoint applies
the formulas with at start: a wrong key or a missing password would only show as a container
that fails its states. Here every unit's pillar is put back together, its ``$(POD_NAME)``-style
references replaced by the first pod's values, and checked against the formulas' schemas
(``formulas/<f>/schema.yaml``) and their semantic checks (those ``stacksalt model check``
runs on hosts' pillars). Each problem names the instance, the container or Job and the key.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from stacksalt.k8s.common import deep_merge

_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
SAMPLE = {"POD_IP": "10.0.0.1", "POD_NAMESPACE": "sample", "NODE_NAME": "node"}


def _units(objects: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], dict]:
    """(instance, unit) -> the unit's pillar (ConfigMap key merged with its Secret key)."""
    maps = {o["metadata"]["name"]: o for o in objects if o["kind"] in ("ConfigMap", "Secret")}
    out: dict[tuple[str, str], dict] = {}
    for name, obj in maps.items():
        if obj["kind"] != "ConfigMap" or not name.endswith("-pillar"):
            continue
        instance = name[: -len("-pillar")]
        secret = (maps.get(f"{name}-secret") or {}).get("data") or {}
        for key, text in (obj.get("data") or {}).items():
            if ".node." in key:
                continue
            pillar = yaml.safe_load(text) or {}
            if key in secret:
                pillar = deep_merge(pillar, yaml.safe_load(base64.b64decode(secret[key])) or {})
            out[(instance, key.removesuffix(".yaml"))] = pillar
    return out


def _expand(data: Any, values: Mapping[str, str]) -> Any:
    if isinstance(data, dict):
        return {k: _expand(v, values) for k, v in data.items()}
    if isinstance(data, list):
        return [_expand(v, values) for v in data]
    if isinstance(data, str):
        return _REF.sub(lambda m: values.get(m.group(1), m.group(0)), data)
    return data


def problems(objects: Sequence[Mapping[str, Any]], formulas_dir: Path) -> list[str]:
    """Schema and semantic problems of every unit's pillar, as the entrypoint will see it."""
    from stacksalt.model.check import schema_problems
    from stacksalt.model.semantic import semantic_checks

    out = []
    for (instance, unit), pillar in sorted(_units(objects).items()):
        values = {**SAMPLE, "POD_NAME": f"{instance}-0"}
        expanded = _expand(pillar, values)
        who = f"service '{instance}' {unit}"
        found = schema_problems(who, expanded, formulas_dir)
        if not found:
            found = [p for p in semantic_checks(who, expanded) if p.level == "error"]
        out += [f"{p.where}: {p.message}" for p in found]
        if not found and "openstack" in expanded:  # the Jobs' day-1 objects, users, services
            from stacksalt.openstack import validate

            defaults = validate.formula_defaults(formulas_dir)
            out += [
                f"{who}: pillar {line}"
                for line in validate.find_problems(expanded["openstack"], defaults=defaults)
            ]
    return out
