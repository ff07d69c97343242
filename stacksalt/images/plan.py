"""Exact rebuilds: which images to build, and why. Pure functions of plain data.

Every image's tag is a hash of its inputs: the files of the formulas it applies, its rendered
build pillar, its generated Dockerfile, its Debian packages, the files it copies (entrypoint,
Salt config), the wheel set and the stacksalt package (salt-base), the external base image's
id, and its parent's tag. An image whose tag exists is up to date; otherwise the reasons come
from comparing its inputs with those recorded on the last build of that image (the
``io.stacksalt.inputs`` label), or, with ``--since REF``, from the formula files git says
changed since REF.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

BUILD = "build"
UP_TO_DATE = "up to date"
SKIP = "skip"


@dataclass(frozen=True)
class Image:
    """An image's identity for planning: its name, its parent here (or None), its inputs.

    ``inputs`` keys: ``formulas`` ({formula: {path in formula: sha256}}), ``pillar``,
    ``dockerfile``, ``wheels``, ``package``, ``base`` (strings), ``packages`` (list),
    ``files`` ({name: sha256}). ``parent`` is added by :func:`resolve` as the parent's tag.
    """

    name: str
    parent: str | None
    inputs: Mapping


@dataclass(frozen=True)
class Step:
    name: str
    tag: str
    action: str  # BUILD, UP_TO_DATE or SKIP
    reasons: tuple[str, ...] = ()
    parent: str | None = None
    inputs: Mapping = field(default_factory=dict)

    @property
    def build(self) -> bool:
        return self.action == BUILD

    def line(self) -> str:
        why = "; ".join(self.reasons)
        return f"{self.name:<14} {self.tag:<12}  {self.action}{': ' + why if why else ''}"


def digest(data) -> str:
    """sha256 of the canonical JSON of ``data`` (sorted keys, no whitespace)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def resolve(images: Sequence[Image]) -> dict[str, dict]:
    """Each image's full inputs (with ``parent`` = the parent's tag) and tag, parents first.

    Returns ``{name: {"tag": str, "inputs": dict}}``.
    """
    out: dict[str, dict] = {}
    for image in images:
        inputs = dict(image.inputs)
        if image.parent is not None:
            if image.parent not in out:
                raise ValueError(f"image {image.name}: parent {image.parent} must come first")
            inputs["parent"] = f"{image.parent}:{out[image.parent]['tag']}"
        out[image.name] = {"tag": digest(inputs)[:12], "inputs": inputs}
    return out


def _file_changes(label: str, old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    out = []
    for path in sorted(set(old) | set(new)):
        if path not in old:
            out.append(f"{label}: {path} added")
        elif path not in new:
            out.append(f"{label}: {path} removed")
        elif old[path] != new[path]:
            out.append(f"{label}: {path} changed")
    return out


def reasons(old: Mapping | None, new: Mapping) -> list[str]:
    """Why ``new`` inputs differ from the ``old`` recorded ones, most specific first."""
    if not old:
        return ["not built yet"]
    out: list[str] = []
    if old.get("parent") != new.get("parent"):
        parent = str(new.get("parent", "")).split(":", 1)[0]
        out.append(f"parent {parent} rebuilt")
    if old.get("base") != new.get("base"):
        out.append(f"base image changed ({new.get('base')})")
    old_f, new_f = old.get("formulas") or {}, new.get("formulas") or {}
    for formula in sorted(set(old_f) | set(new_f)):
        if formula not in old_f:
            out.append(f"formula {formula} added")
        elif formula not in new_f:
            out.append(f"formula {formula} removed")
        else:
            out += _file_changes(f"formula {formula}", old_f[formula], new_f[formula])
    if old.get("pillar") != new.get("pillar"):
        out.append("build pillar changed")
    old_p, new_p = list(old.get("packages") or []), list(new.get("packages") or [])
    if old_p != new_p:
        added = [p for p in new_p if p not in old_p]
        removed = [p for p in old_p if p not in new_p]
        diff = " ".join([*(f"+{p}" for p in added), *(f"-{p}" for p in removed)])
        out.append(f"packages changed ({diff or 'order'})")
    elif old.get("dockerfile") != new.get("dockerfile"):
        out.append("Dockerfile changed")
    if old.get("wheels") != new.get("wheels"):
        out.append("wheel set changed")
    if old.get("package") != new.get("package"):
        out.append("stacksalt package changed")
    out += _file_changes("file", old.get("files") or {}, new.get("files") or {})
    known = {
        "parent",
        "base",
        "formulas",
        "pillar",
        "packages",
        "dockerfile",
        "wheels",
        "package",
        "files",
    }
    for key in sorted((set(old) | set(new)) - known):
        if old.get(key) != new.get(key):
            out.append(f"{key} changed")
    return out or ["image missing (inputs unchanged)"]


def _since_reasons(inputs: Mapping, changed: Mapping[str, set[str]], ref: str) -> list[str]:
    out = []
    for formula, files in sorted((inputs.get("formulas") or {}).items()):
        for path in sorted(changed.get(formula, set())):
            verb = "changed" if path in files else "removed"
            out.append(f"formula {formula}: {path} {verb} since {ref}")
    return out


def plan(
    images: Sequence[Image],
    present: set[str] | frozenset[str] = frozenset(),
    recorded: Mapping[str, Mapping | None] | None = None,
    since: Mapping[str, set[str]] | None = None,
    ref: str = "REF",
) -> list[Step]:
    """Decide, parents first, which images to build.

    ``present``: the ``name:tag`` pairs that exist locally. ``recorded``: each image's inputs
    recorded at its last build (None if never built). ``since``: formula files changed since
    ``ref`` ({formula: {path in formula}}, e.g. from ``git diff --name-only``); when given,
    only images applying a changed formula, their descendants, and missing parents of those
    are built, the others are skipped ("unchanged since REF").
    """
    recorded = recorded or {}
    resolved = resolve(images)
    steps: dict[str, Step] = {}
    for image in images:
        tag, inputs = resolved[image.name]["tag"], resolved[image.name]["inputs"]
        exists = f"{image.name}:{tag}" in present
        parent = steps.get(image.parent) if image.parent else None
        if exists:
            action, why = UP_TO_DATE, []
        elif since is None:
            action, why = BUILD, reasons(recorded.get(image.name), inputs)
        else:
            why = _since_reasons(inputs, since, ref)
            if parent is not None and parent.build:
                why.insert(0, f"parent {image.parent} rebuilt")
            action = BUILD if why else SKIP
            if not why:
                why = [f"unchanged since {ref}"]
        steps[image.name] = Step(image.name, tag, action, tuple(why), image.parent, inputs)
    if since is not None:
        # A child to build needs its parent: build the missing ones (not present locally).
        for image in reversed(images):
            step = steps[image.name]
            if step.build and image.parent and steps[image.parent].action == SKIP:
                p = steps[image.parent]
                steps[image.parent] = Step(
                    p.name,
                    p.tag,
                    BUILD,
                    (f"missing locally, needed by {image.name}",),
                    p.parent,
                    p.inputs,
                )
    return [steps[image.name] for image in images]


@dataclass(frozen=True)
class Result:
    name: str
    status: str  # "built", "failed", "not built", "up to date", "skip"
    detail: str = ""
    seconds: float = 0.0


def run(
    steps: Sequence[Step],
    build_one: Callable[[Step], None],
    workers: int,
    log: Callable[[str], None] = print,
    clock: Callable[[], float] | None = None,
) -> list[Result]:
    """Build the steps marked BUILD in dependency order, up to ``workers`` at a time.

    ``build_one(step)`` builds one image and raises on failure. A failed image's descendants
    are "not built". Returns one result per step, in the steps' order.
    """
    import time

    clock = clock or time.monotonic
    todo = [s for s in steps if s.build]
    results: dict[str, Result] = {s.name: Result(s.name, s.action) for s in steps if not s.build}
    total = len(todo)
    waiting = list(todo)
    running: dict[Future, tuple[Step, float]] = {}
    started = finished = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while waiting or running:
            for step in list(waiting):
                if step.parent in results and results[step.parent].status in (
                    "failed",
                    "not built",
                ):
                    waiting.remove(step)
                    results[step.name] = Result(
                        step.name, "not built", f"parent {step.parent} failed"
                    )
                    log(f"[-/{total}] {step.name}: not built (parent {step.parent} failed)")
                    continue
                parent_pending = any(s.name == step.parent for s in waiting) or any(
                    s.name == step.parent for s, _ in running.values()
                )
                if parent_pending or len(running) >= max(1, workers):
                    continue
                waiting.remove(step)
                started += 1
                why = "; ".join(step.reasons)
                log(f"[{started}/{total}] building {step.name}:{step.tag}: {why}")
                running[pool.submit(build_one, step)] = (step, clock())
            if not running:
                continue
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                step, t0 = running.pop(future)
                seconds = clock() - t0
                finished += 1
                exc = future.exception()
                if exc is None:
                    results[step.name] = Result(step.name, "built", "", seconds)
                    log(
                        f"[{finished}/{total} done] built {step.name}:{step.tag} in {seconds:.1f} s"
                    )
                else:
                    results[step.name] = Result(step.name, "failed", str(exc), seconds)
                    log(f"[{finished}/{total} done] FAILED {step.name}:{step.tag}: {exc}")
    return [results[s.name] for s in steps]


def changed_formula_files(paths: Sequence[str]) -> dict[str, set[str]]:
    """``git diff --name-only`` paths → ``{formula: {path in formula}}``, for the files an
    image copies (the state tree ``formulas/<f>/<f>/``); tests, metadata and schema are not
    in images."""
    out: dict[str, set[str]] = {}
    for path in paths:
        parts = path.strip().split("/")
        if len(parts) >= 4 and parts[0] == "formulas" and parts[2] == parts[1]:
            out.setdefault(parts[1], set()).add("/".join(parts[2:]))
    return out
