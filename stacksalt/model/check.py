"""``stacksalt model check``: every node renders, every pillar fits its formula's schema.

Each problem names where to look: ``file:line:column`` for YAML, the node and class for a
missing class, the key and file for an unresolved reference, the pillar path for a schema
violation. Checks never change anything.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml
from reclass.errors import ClassNotFound, ReclassException, ResolveError, ResolveErrorList

from stacksalt import secrets as secrets_mod
from stacksalt.formulas import discover
from stacksalt.model.loader import Model
from stacksalt.model.semantic import semantic_checks

TOP_KEYS = {"classes", "applications", "parameters", "environment", "exports"}


@dataclass(frozen=True)
class Problem:
    where: str  # a file (with line:column when known) or "node NAME"
    message: str
    level: str = "error"  # or "warning": printed, does not fail the check

    def __str__(self) -> str:
        prefix = "warning: " if self.level == "warning" else ""
        return f"{self.where}: {prefix}{self.message}"


def _rel(path: Path | str, root: Path) -> str:
    """Path relative to the project, through links: the file to edit, not the link."""
    try:
        return os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    except ValueError:
        return str(path)


def yaml_files(model: Model) -> list[Path]:
    """Every class and node file, following the links to the formulas' classes."""
    out = []
    for base in (model.classes_dir, model.nodes_dir):
        for dirpath, _dirs, files in os.walk(base, followlinks=True):
            out += [Path(dirpath) / f for f in sorted(files) if f.endswith(".yml")]
    return sorted(out)


def check_yaml(model: Model, root: Path) -> tuple[list[Problem], dict[Path, dict]]:
    """Parse every file; report syntax errors with file:line:column and bad shapes."""
    problems, parsed = [], {}
    for path in yaml_files(model):
        rel = _rel(path, root)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            problems.append(Problem(f"{rel}:{line}:{col}", f"YAML syntax error: {exc.problem}"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(rel, f"cannot read: {exc}"))
            continue
        if data is None:
            data = {}
        if not isinstance(data, dict):
            problems.append(Problem(rel, "a class or node must be a mapping at the top"))
            continue
        unknown = sorted(set(data) - TOP_KEYS)
        if unknown:
            problems.append(
                Problem(
                    rel,
                    f"unknown top-level key(s) {', '.join(unknown)}; "
                    f"allowed: {', '.join(sorted(TOP_KEYS))}",
                )
            )
        classes = data.get("classes", [])
        if classes is not None and (
            not isinstance(classes, list) or not all(isinstance(c, str) for c in classes)
        ):
            problems.append(Problem(rel, "key 'classes' must be a list of class names"))
        params = data.get("parameters")
        if params is not None and not isinstance(params, dict):
            problems.append(Problem(rel, "key 'parameters' must be a mapping"))
        parsed[path] = data
    return problems, parsed


def _referencing_files(parsed: dict[Path, dict], classname: str, root: Path) -> list[str]:
    return sorted(
        _rel(path, root)
        for path, data in parsed.items()
        if isinstance(data.get("classes"), list) and classname in data["classes"]
    )


def _resolve_problems(node: str, exc: ResolveErrorList, root: Path) -> list[Problem]:
    out = []
    for err in exc.resolve_errors:
        ref = "${" + str(err.reference) + "}"
        uri = str(err.uri or "").replace("yaml_fs://", "")
        where = _rel(uri, root) if uri else f"node {node}"
        name = str(err.reference)
        hint = ""
        if name.startswith("_param:"):
            param = name.split(":", 1)[1]
            if secrets_mod.is_secret_name(param):
                hint = "; it is a secret: run 'stacksalt secrets init --cluster CLUSTER'"
            else:
                hint = f"; define _param:{param} in the cluster's init.yml"
        out.append(
            Problem(where, f"node {node}: unresolved reference {ref} at key '{err.context}'{hint}")
        )
    return out


def render_problems(model: Model, node: str, parsed: dict[Path, dict], root: Path):
    """Render one node; return (pillar or None, problems)."""
    try:
        return model.pillar(node), []
    except ClassNotFound as exc:
        refs = _referencing_files(parsed, exc.name, root) or [
            _rel(str(exc.uri).replace("yaml_fs://", ""), root)
        ]
        hint = ""
        if exc.name.endswith(".secrets"):
            cluster = exc.name.split(".")[1] if exc.name.count(".") >= 2 else "CLUSTER"
            hint = f"; generate it with 'stacksalt secrets init --cluster {cluster}'"
        elif exc.name.startswith("service."):
            hint = "; link the formulas' classes with 'stacksalt formulas link'"
        return None, [
            Problem(
                f"node {node}",
                f"class '{exc.name}' not found (referenced in {', '.join(refs)}){hint}",
            )
        ]
    except ResolveErrorList as exc:
        return None, _resolve_problems(node, exc, root)
    except ResolveError as exc:
        errs = ResolveErrorList()
        errs.add(exc)
        return None, _resolve_problems(node, errs, root)
    except ReclassException as exc:
        text = " ".join(str(exc.message).split())
        return None, [Problem(f"node {node}", f"reclass: {text}")]


def _path(parts) -> str:
    return ":".join(str(p) for p in parts)


_SCHEMAS: dict[tuple, dict] = {}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


def _schemas(formulas_dir: Path) -> dict[str, dict]:
    """Every formula's schema.yaml, read once per set of files (name, size, mtime)."""
    found = [f for f in discover(formulas_dir) if f.schema.exists()]
    key = tuple((f.name, f.schema.stat().st_size, f.schema.stat().st_mtime_ns) for f in found)
    if key not in _SCHEMAS:
        _SCHEMAS.clear()
        _SCHEMAS[key] = {
            f.name: yaml.load(f.schema.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506
            for f in found
        }
    return _SCHEMAS[key]


def schema_problems(node: str, pillar: dict, formulas_dir: Path) -> list[Problem]:
    """Validate each top-level pillar key against the schema of the formula of that name."""
    problems = []
    schemas = _schemas(formulas_dir)
    for key, value in sorted(pillar.items()):
        if key.startswith("_"):
            continue
        if key not in schemas:
            problems.append(
                Problem(
                    f"node {node}",
                    f"pillar key '{key}' belongs to no formula "
                    f"(formulas with a schema: {', '.join(sorted(schemas))})",
                )
            )
            continue
        validator = jsonschema.Draft202012Validator(
            schemas[key], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        for err in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
            path = _path([key, *err.absolute_path])
            problems.append(Problem(f"node {node}", f"pillar {path}: {schema_message(err)}"))
    return problems


def schema_message(err) -> str:
    """The validator's message; for a value matching none of several forms (``anyOf``), the
    forms' own ``description`` says what was expected."""
    described = err.schema.get("description") if isinstance(err.schema, dict) else None
    if err.validator in ("anyOf", "oneOf") and described:
        return f"{err.instance!r} is not {described}"
    return err.message


_SECRET_DEF = re.compile(r"^\s+([A-Za-z0-9_]+):\s*\S")


def committed_secret_problems(parsed: dict[Path, dict], root: Path) -> list[Problem]:
    """A secret-named ``_param`` defined in a model file (rather than in pillar/) is an error."""
    problems = []
    for path, data in parsed.items():
        if path.name == "secrets.yml":
            continue
        params = (data.get("parameters") or {}) if isinstance(data, dict) else {}
        local = params.get("_param") if isinstance(params, dict) else None
        if not isinstance(local, dict):
            continue
        for name, value in local.items():
            if secrets_mod.is_secret_name(name) and not (
                isinstance(value, str) and value.startswith("${")
            ):
                problems.append(
                    Problem(
                        _rel(path, root),
                        f"secret _param:{name} is defined in the model; "
                        "secrets belong in pillar/<cluster>/secrets.yml "
                        "('stacksalt secrets init'), never in git",
                    )
                )
    return problems


def catalog_problems(root: Path):
    """(catalog or None, problems): every service's description (formulas/<f>/<f>/meta/
    service.yml) and the base images, each problem with its file and key."""
    from stacksalt.service.catalog import CatalogError, load

    try:
        return load(root), []
    except CatalogError as exc:
        out = []
        for line in exc.problems:
            where, _, message = line.partition(": ")
            out.append(Problem(where, message or line))
        return None, out


def check(root: Path, cluster: str | None = None) -> tuple[list[Problem], dict[str, dict]]:
    """Run every check; return the problems and the pillars of the nodes that rendered."""
    model = Model(root / "reclass_model")
    problems, parsed = check_yaml(model, root)
    if problems:
        return problems, {}
    problems += committed_secret_problems(parsed, root)
    if cluster and cluster not in model.clusters():
        return problems + [
            Problem(
                "reclass_model/classes/cluster",
                f"no cluster named '{cluster}'; clusters: {', '.join(model.clusters()) or 'none'}",
            )
        ], {}
    nodes = model.nodes(cluster)
    if not nodes:
        where = f"reclass_model/nodes/{cluster}" if cluster else "reclass_model/nodes"
        return problems + [Problem(where, "no node files (*.yml)")], {}
    catalog, found = catalog_problems(root)
    problems += found
    pillars = {}
    for node in nodes:
        pillar, found = render_problems(model, node, parsed, root)
        problems += found
        if pillar is None:
            continue
        found = schema_problems(node, pillar, root / "formulas")
        if not found:
            found = semantic_checks(node, pillar, catalog)
        problems += found
        pillars[node] = pillar
    return problems, pillars
