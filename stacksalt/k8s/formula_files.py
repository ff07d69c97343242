"""Config files rendered by the formulas' own templates, for ConfigMaps and Secrets.

A formula lists the files it renders in ``formulas/<f>/<f>/meta/config.yml``, per role::

    server:
      - name: memcached.conf                      # key in the ConfigMap (default: basename)
        path: /etc/memcached.conf                 # where the container sees it
        template: memcached/files/memcached.conf.jinja   # or "source:"
        secret: false                             # or "kind: secret|configmap"

The template is rendered exactly as the formula's state does it: with the context ``cfg`` =
the role's ``defaults.yaml`` section deep-merged with the role's pillar (here: the service
instance's ``configs.<formula>.<role>``). Nothing is copied from the formula; a secret entry
goes to a Secret, never to a ConfigMap. Entries whose path holds a per-instance placeholder
(``<instance>``) or that copy a raw pillar value are rendered inside the container by the
formula (docker-salt entrypoint) and are not supported here: asking for them is an error.

The only I/O is reading the formula's files from ``roots``: folders holding formula state
trees (Salt's ``file_roots``, e.g. ``formulas/memcached``) or a folder of formulas
(``formulas``, as ``_param:salt_master_formulas_dir`` on the master), expanded by
:func:`expand_roots`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from stacksalt.k8s.common import deep_merge

PLACEHOLDER = re.compile(r"<[a-z_]+>")


class FormulaFilesError(ValueError):
    """A formula's meta/config.yml or template cannot be used."""


@dataclass(frozen=True)
class Entry:
    name: str
    path: str
    template: str
    secret: bool = False
    mode: str | None = None


@dataclass(frozen=True)
class RenderedFile:
    name: str
    path: str
    content: str
    secret: bool = False
    mode: str | None = None


def expand_roots(roots: Sequence[Path | str]) -> list[str]:
    """Each root as given, plus ``<root>/<f>`` for every formula ``<root>/<f>/<f>/`` in it."""
    out: list[str] = []
    for root in roots:
        base = Path(root)
        out.append(str(base))
        if base.is_dir():
            out += [str(c) for c in sorted(base.iterdir()) if (c / c.name).is_dir()]
    return list(dict.fromkeys(out))


def _find(roots: Sequence[Path | str], rel: str) -> Path | None:
    for root in roots:
        candidate = Path(root) / rel
        if candidate.is_file():
            return candidate
    return None


def entries(roots: Sequence[Path | str], formula: str, role: str) -> list[Entry]:
    """The files ``formula`` renders for ``role``, from its meta/config.yml."""
    where = f"{formula}/meta/config.yml"
    path = _find(roots, where)
    if path is None:
        raise FormulaFilesError(f"formula {formula!r} has no {where} (searched {len(roots)} roots)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise FormulaFilesError(f"{path}: {exc}") from exc
    items = data.get(role) if isinstance(data, Mapping) else None
    if not isinstance(items, list) or not items:
        raise FormulaFilesError(f"{path}: no list of files for role {role!r}")
    out = []
    for i, item in enumerate(items):
        here = f"{path}: {role}[{i}]"
        if not isinstance(item, Mapping):
            raise FormulaFilesError(f"{here}: must be a mapping")
        dest = item.get("path")
        template = item.get("template") or item.get("source")
        if not isinstance(dest, str) or not dest.startswith("/"):
            raise FormulaFilesError(f"{here}.path: must be an absolute path, got {dest!r}")
        if "pillar" in item or PLACEHOLDER.search(dest):
            raise FormulaFilesError(
                f"{here}: {dest} is per instance or a raw pillar value; the formula renders it "
                "inside the container"
            )
        if not isinstance(template, str):
            raise FormulaFilesError(f"{here}.template: required")
        secret = bool(item.get("secret", False)) or item.get("kind") == "secret"
        name = item.get("name") or dest.rsplit("/", 1)[-1]
        out.append(Entry(str(name), dest, template, secret, item.get("mode")))
    return out


@functools.lru_cache(maxsize=8)
def _environment(roots: tuple[str, ...]) -> jinja2.Environment:
    """A Jinja environment with Salt's own template extensions and filters (``yaml``,
    ``json``, ``zip``, ``unique``...), so the formulas' templates render as under Salt."""
    from salt.utils.decorators.jinja import JinjaFilter
    from salt.utils.jinja import SerializerExtension

    env = jinja2.Environment(  # noqa: S701 - config files, not HTML
        loader=jinja2.FileSystemLoader(list(roots)),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols", SerializerExtension],
        keep_trailing_newline=True,
    )
    env.filters.update(JinjaFilter.salt_jinja_filters)
    return env


def defaults(roots: Sequence[Path | str], formula: str, role: str) -> dict[str, Any]:
    path = _find(roots, f"{formula}/defaults.yaml")
    if path is None:
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    section = data.get(role) if isinstance(data, Mapping) else None
    return dict(section) if isinstance(section, Mapping) else {}


def render_files(
    roots: Sequence[Path | str], formula: str, role: str, pillar: Mapping[str, Any]
) -> list[RenderedFile]:
    """Render every file of ``formula``/``role`` with ``cfg`` = defaults + ``pillar``."""
    roots = expand_roots(roots)
    cfg = deep_merge(defaults(roots, formula, role), pillar)
    env = _environment(tuple(str(r) for r in roots))
    out = []
    for entry in entries(roots, formula, role):
        try:
            text = env.get_template(entry.template).render(cfg=cfg)
        except jinja2.TemplateNotFound as exc:
            raise FormulaFilesError(
                f"formula {formula!r}: template {entry.template} not found"
            ) from exc
        except jinja2.UndefinedError as exc:
            raise FormulaFilesError(
                f"formula {formula!r}: {entry.template}: {exc.message} "
                f"(set it in configs.{formula}.{role})"
            ) from exc
        out.append(RenderedFile(entry.name, entry.path, text, entry.secret, entry.mode))
    return out
