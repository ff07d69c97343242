"""``stacksalt images`` (plan / build / list / scan / dockerfile) and ``stacksalt registry``
(up / down).

:func:`register` adds both to the main parser; handlers read ``args.root`` and
``args.state`` as ``stacksalt.cli.main`` sets them. ``python -m stacksalt.images.cli`` runs
them on their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _log(msg: str) -> None:
    print(msg, flush=True)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _project(args):
    from stacksalt.images.context import Project

    return Project.load(args.root, args.state, getattr(args, "namespace", None))


def _since_changes(root: Path, ref: str) -> dict[str, set[str]]:
    """Formula files changed between ``ref`` and the work tree (untracked ones included)."""
    from stacksalt.images.plan import changed_formula_files

    paths: list[str] = []
    for cmd in (
        ["git", "-C", str(root), "diff", "--name-only", ref, "--", "formulas"],
        ["git", "-C", str(root), "ls-files", "--others", "--exclude-standard", "--", "formulas"],
    ):
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[3:])}: {res.stderr.strip()}")
        paths += res.stdout.split()
    return changed_formula_files(paths)


def _plan(args, project):
    from stacksalt.images import build, plan, spec

    names = spec.select(project.images.images, args.names)
    images = project.gather(names, _log)
    present, recorded = build.local_state(project, names)
    since = _since_changes(project.root, args.since) if args.since else None
    return plan.plan(images, present, recorded, since, args.since or "REF")


def _print_plan(steps, as_json: bool = False) -> None:
    if as_json:
        print(
            json.dumps(
                [
                    {"name": s.name, "tag": s.tag, "action": s.action, "reasons": list(s.reasons)}
                    for s in steps
                ],
                indent=2,
            )
        )
        return
    for step in steps:
        _log(step.line())
    todo = sum(s.build for s in steps)
    _log(f"{todo} to build, {len(steps) - todo} not")


def _errors():
    from stacksalt.images.context import ImagesError
    from stacksalt.images.registry import RegistryError
    from stacksalt.images.spec import SpecError

    return (ImagesError, RegistryError, SpecError, RuntimeError, OSError)


def cmd_plan(args) -> int:
    try:
        project = _project(args)
        steps = _plan(args, project)
    except _errors() as exc:
        _err(f"stacksalt images plan: {exc}")
        return 1
    _print_plan(steps, args.json)
    return 0


def _registry_password(args) -> str:
    from stacksalt import secrets
    from stacksalt.images.context import ImagesError
    from stacksalt.images.registry import PASSWORD_PARAM

    value = secrets.load(secrets.secrets_file(args.root, args.cluster)).get(PASSWORD_PARAM)
    if not value:
        raise ImagesError(
            f"no {PASSWORD_PARAM} in pillar/{args.cluster}/secrets.yml: "
            f"run 'stacksalt registry up --cluster {args.cluster}'"
        )
    return str(value)


def cmd_build(args) -> int:
    from stacksalt.images import build, plan

    started = time.monotonic()
    try:
        project = _project(args)
        if not build.docker_available():
            _err("stacksalt images build: docker is not reachable (run 'make setup')")
            return 1
        steps = _plan(args, project)
        _print_plan(steps)
        builder = build.Builder(project, _log, no_cache=args.no_cache)
        results = plan.run(steps, builder, args.workers, builder.say)
    except _errors() as exc:
        _err(f"stacksalt images build: {exc}")
        return 1
    bad = [r for r in results if r.status in ("failed", "not built")]
    built = [r for r in results if r.status == "built"]
    for r in bad:
        _err(f"{r.name}: {r.status}: {r.detail.splitlines()[0] if r.detail else ''}")
    _log(
        f"images build: {len(built)} built, {len(bad)} failed or not built, "
        f"{len(results) - len(built) - len(bad)} unchanged ({time.monotonic() - started:.1f} s)"
    )
    if bad:
        return 1
    if args.push:
        try:
            refs = [project.images.ref(s.name, s.tag) for s in steps if s.action != plan.SKIP]
            address = f"127.0.0.1:{args.registry_port}"
            password = _registry_password(args)
            build.push(refs, address, args.registry_user, password, _log)
        except _errors() as exc:
            _err(f"stacksalt images build --push: {exc}")
            return 1
    return 0


def cmd_list(args) -> int:
    from stacksalt.images import build

    try:
        project = _project(args)
        steps = _plan(args, project)
    except _errors() as exc:
        _err(f"stacksalt images list: {exc}")
        return 1
    for step in steps:
        ref = project.images.ref(step.name, step.tag)
        res = build.docker("image", "inspect", "--format", "{{.Size}}", ref)
        size = f"{int(res.stdout) / 1e6:.0f} MB" if res.returncode == 0 else "not built"
        image = project.images.by_name()[step.name]
        what = ", ".join(image.formulas) or "salt"
        _log(f"{ref:<40} {size:>10}  {what}")
    return 0


def cmd_scan(args) -> int:
    from stacksalt.images import scan
    from stacksalt.images.registry import PASSWORD_PARAM

    try:
        project = _project(args)
        steps = _plan(args, project)
    except _errors() as exc:
        _err(f"stacksalt images scan: {exc}")
        return 1
    values = scan.deployment_secrets(args.root)
    if not values:
        _err("images scan: no pillar/*/secrets.yml to scan for (run 'stacksalt secrets init')")
        return 1
    problems = []
    for step in steps:
        ref = project.images.ref(step.name, step.tag)
        if step.action == "skip":
            _log(f"{ref}: skipped ({'; '.join(step.reasons)})")
            continue
        if step.action != "up to date":
            problems.append(f"{ref}: not built; build it first")
            continue
        found = scan.scan(ref, values)
        problems += found
        _log(f"{ref}: {'clean' if not found else f'{len(found)} finding(s)'}")
    for problem in problems:
        _err(problem)
    names = ", ".join(sorted({k.split("/", 1)[1] for k in values} | {PASSWORD_PARAM}))
    _log(f"images scan: {len(steps)} images, {len(problems)} problem(s); looked for {names}")
    return 1 if problems else 0


def cmd_dockerfile(args) -> int:
    try:
        project = _project(args)
        image = project.images.by_name().get(args.name)
        if image is None:
            _err(f"no image '{args.name}'; images: {', '.join(project.images.by_name())}")
            return 1
        sys.stdout.write(project.dockerfile(image))
    except _errors() as exc:
        _err(f"stacksalt images dockerfile: {exc}")
        return 1
    return 0


def _registry(args):
    from stacksalt.images.registry import Registry

    return Registry(args.state / "registry", args.port)


def cmd_registry_up(args) -> int:
    from stacksalt import secrets
    from stacksalt.images import registry

    try:
        secrets.init(args.root, args.cluster)
        password = _registry_password(args)
        registry.up(_registry(args), args.user, password, _log)
    except (*_errors(), FileNotFoundError) as exc:
        _err(f"stacksalt registry up: {exc}")
        return 1
    return 0


def cmd_registry_down(args) -> int:
    from stacksalt.images import registry

    try:
        registry.down(_registry(args), _log)
    except _errors() as exc:
        _err(f"stacksalt registry down: {exc}")
        return 1
    return 0


def register(subparsers) -> None:
    """Add ``images`` and ``registry`` to the ``stacksalt`` command's subparsers."""
    from stacksalt.images.registry import DEFAULT_PORT, DEFAULT_USER

    images = subparsers.add_parser(
        "images", help="docker-salt: plan, build, list and scan the service images"
    )
    isub = images.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(p, names: bool = True) -> None:
        p.add_argument(
            "--namespace", help="image namespace (default: images.yml's, e.g. stacksalt)"
        )
        if names:
            p.add_argument(
                "names", nargs="*", metavar="IMAGE", help="only these images (and their parents)"
            )
            p.add_argument(
                "--since",
                metavar="GIT_REF",
                help="rebuild what applies formula files changed since GIT_REF "
                "(default: compare with the inputs recorded on the last build)",
            )

    p = isub.add_parser(
        "plan", help="each image's tag (hash of its inputs): up to date, or why it must build"
    )
    common(p)
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(func=cmd_plan)

    p = isub.add_parser("build", help="build the images the plan says, parents first, in parallel")
    common(p)
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="parallel docker builds (default: CPU count)",
    )
    p.add_argument("--no-cache", action="store_true", help="docker build --no-cache")
    p.add_argument(
        "--push", action="store_true", help="then push them to the local registry (registry up)"
    )
    p.add_argument("--cluster", default="local", help="whose secrets hold the registry password")
    p.add_argument("--registry-port", type=int, default=DEFAULT_PORT)
    p.add_argument("--registry-user", default=DEFAULT_USER)
    p.set_defaults(func=cmd_build)

    p = isub.add_parser("list", help="the images, their current tags and sizes")
    common(p, names=False)
    p.set_defaults(func=cmd_list, names=None, since=None)

    p = isub.add_parser(
        "scan",
        help="look for the deployment's secrets and private keys in every layer, the "
        "history and the config of each built image; exit 1 on a finding",
    )
    common(p)
    p.set_defaults(func=cmd_scan)

    p = isub.add_parser("dockerfile", help="print an image's generated Dockerfile")
    common(p, names=False)
    p.add_argument("name", metavar="IMAGE")
    p.set_defaults(func=cmd_dockerfile)

    reg = subparsers.add_parser(
        "registry", help="the local image registry (TLS, htpasswd) on 127.0.0.1"
    )
    rsub = reg.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = rsub.add_parser(
        "up",
        help="start Debian's docker-registry on 127.0.0.1 with TLS (CA made per "
        "deployment) and htpasswd auth; Docker trusts the CA",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--cluster", default="local", help="whose secrets hold the password")
    p.add_argument("--user", default=DEFAULT_USER)
    p.set_defaults(func=cmd_registry_up)
    p = rsub.add_parser("down", help="stop the registry (its data and CA are kept)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.set_defaults(func=cmd_registry_down)


def main(argv: list[str] | None = None) -> int:
    """``python -m stacksalt.images.cli`` is ``stacksalt``: the same parser and defaults."""
    from stacksalt.cli import main as stacksalt_main

    return stacksalt_main(argv)


if __name__ == "__main__":
    sys.exit(main())
