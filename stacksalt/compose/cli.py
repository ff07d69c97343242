"""``stacksalt compose render|up|down|status``: the model's services from the docker-salt
images, run locally by docker-compose.

:func:`register` adds the command to the main parser; handlers read ``args.root`` and
``args.state`` as ``stacksalt.cli.main`` sets them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

COMPOSE_SPEC = Path("docker-salt") / "compose.yml"


def _log(msg: str) -> None:
    print(msg, flush=True)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _errors():
    from stacksalt.compose.model import ComposeModelError
    from stacksalt.compose.render import RenderError
    from stacksalt.compose.runner import ComposeRunError
    from stacksalt.compose.spec import ComposeSpecError
    from stacksalt.images.context import ImagesError
    from stacksalt.images.spec import SpecError

    return (
        ComposeModelError,
        RenderError,
        ComposeRunError,
        ComposeSpecError,
        ImagesError,
        SpecError,
        FileNotFoundError,
    )


def _services(root: Path, image_names: set[str]):
    import yaml

    from stacksalt.compose import spec

    path = root / COMPOSE_SPEC
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise spec.ComposeSpecError([f"{path}: {exc}"]) from exc
    try:
        return spec.parse(data, image_names)
    except spec.ComposeSpecError as exc:
        raise spec.ComposeSpecError([f"{path}:", *exc.problems]) from exc


class _Plan:
    """What a compose run needs: the cluster, the services, the images and their steps."""

    def __init__(self, args):
        from stacksalt import secrets
        from stacksalt.compose import model, render
        from stacksalt.formulas import link_service_classes
        from stacksalt.images import build, plan, spec
        from stacksalt.images.context import Project
        from stacksalt.model.check import schema_problems

        link_service_classes(args.root)
        secrets.init(args.root, args.cluster)
        self.cluster, raw = model.load(args.root, args.cluster)
        problems = [
            str(problem)
            for name, pillar in raw.items()
            for problem in schema_problems(name, pillar, args.root / "formulas")
        ]
        if problems:
            raise model.ComposeModelError(
                "the nodes with their compose classes do not match the formulas' schemas "
                f"(fix classes/cluster/{args.cluster}/compose/):\n  " + "\n  ".join(problems)
            )
        self.project = Project.load(args.root, args.state, args.namespace)
        self.services = _services(args.root, set(self.project.images.by_name()))
        placed = [s.name for s in self.services if render.members(self.cluster, s)]
        base = next(i.name for i in self.project.images.images if i.has_salt)
        self.node_image_name = base
        self.names = spec.select(self.project.images.images, [*placed, base])
        images = self.project.gather(self.names, _log)
        present, recorded = build.local_state(self.project, self.names)
        self.steps = plan.plan(images, present, recorded)
        self.refs = {s.name: self.project.images.ref(s.name, s.tag) for s in self.steps}
        self.secret_values = {
            str(v) for v in secrets.load(secrets.secrets_file(args.root, args.cluster)).values()
        }

    def render(self, state: Path):
        from stacksalt.compose import render, runner

        return render.render(
            self.cluster,
            self.services,
            self.refs,
            self.refs[self.node_image_name],
            self.secret_values,
            str(runner.secrets_dir(state, self.cluster.name)),
        )


def cmd_render(args) -> int:
    from stacksalt.compose import runner

    try:
        plan = _Plan(args)
        rendered = plan.render(args.state)
    except _errors() as exc:
        _err(f"stacksalt compose render: {exc}")
        return 1
    if args.write:
        path = runner.write(args.state, args.cluster, rendered)
        _log(f"wrote {path} and {len(rendered.secret_files)} secret pillar file(s) (0600)")
    else:
        sys.stdout.write(runner.dump(rendered.compose))
    missing = [s.name for s in plan.steps if s.build]
    if missing:
        _err(f"not built yet: {', '.join(missing)} ('stacksalt compose up' builds them)")
    return 0


def cmd_up(args) -> int:
    from stacksalt import secrets
    from stacksalt.cli import main as stacksalt_main
    from stacksalt.compose import runner
    from stacksalt.formulas import link_service_classes
    from stacksalt.model.check import check

    started = time.monotonic()
    try:
        link_service_classes(args.root)
        secrets.init(args.root, args.cluster)
        problems, _ = check(args.root, args.cluster)
        errors = [p for p in problems if p.level == "error"]
        for problem in errors:
            _err(str(problem))
        if errors:
            _err("stacksalt compose up: the model check failed; nothing was started")
            return 1
        plan = _Plan(args)
        todo = [s.name for s in plan.steps if s.build]
        if todo:
            if args.no_build:
                _err(
                    f"stacksalt compose up: not built: {', '.join(todo)}; run "
                    f"'stacksalt images build {' '.join(todo)}' or drop --no-build"
                )
                return 1
            _log(f"building the images first: {', '.join(todo)}")
            cmd = ["--root", str(args.root), "--state", str(args.state), "images", "build"]
            if args.namespace:
                cmd += ["--namespace", args.namespace]
            if stacksalt_main([*cmd, *sorted(plan.names)]) != 0:
                _err("stacksalt compose up: an image did not build; nothing was started")
                return 1
        rendered = plan.render(args.state)
        path = runner.write(args.state, args.cluster, rendered)
        project = plan.cluster.project
        _log(f"{project}: {path} ({len(rendered.compose['services'])} containers)")
        runner.docker_compose(project, path, "up", "-d", "--remove-orphans", log=_log)
        names = [body["container_name"] for body in rendered.compose["services"].values()]
        _log(f"waiting until all {len(names)} containers are healthy (at most {args.timeout} s)")
        runner.wait_healthy(names, args.timeout, _log)
        for container, states in rendered.posts:
            _log(f"post job on {container}: {states}")
            runner.run_post(container, states, _log)
    except _errors() as exc:
        _err(f"stacksalt compose up: {exc}")
        return 1
    _log(f"{project}: all containers healthy in {time.monotonic() - started:.0f} s; endpoints:")
    for endpoint in rendered.endpoints:
        _log(f"  {endpoint.line()}")
    return 0


def cmd_down(args) -> int:
    import shutil

    from stacksalt.compose import runner

    project = f"stacksalt-compose-{args.cluster}"
    path = runner.compose_file(args.state, args.cluster)
    try:
        if path.exists():
            flags = ["down", "--remove-orphans", "--timeout", "60"]
            if not args.keep_volumes:
                flags.append("--volumes")
            runner.docker_compose(project, path, *flags, log=_log)
        else:
            _log(f"no {path}: removing {project}'s containers by label")
            runner.remove_by_label(project, _log)
    except _errors() as exc:
        _err(f"stacksalt compose down: {exc}")
        return 1
    sdir = runner.secrets_dir(args.state, args.cluster)
    if sdir.exists():
        shutil.rmtree(sdir)
    _log(f"{project}: down (secret pillar files removed)")
    return 0


def cmd_status(args) -> int:
    from stacksalt.compose import runner

    path = runner.compose_file(args.state, args.cluster)
    if not path.exists():
        _err(f"no {path}: run 'stacksalt compose up --cluster {args.cluster}'")
        return 1
    import yaml

    services = yaml.safe_load(path.read_text(encoding="utf-8"))["services"]
    names = [body["container_name"] for body in services.values()]
    bad = 0
    for name, status in runner.states(names).items():
        bad += status not in ("running", "running healthy")
        _log(f"{name:<48} {status}")
    for endpoint in runner.read_endpoints(args.state, args.cluster):
        _log(f"  {endpoint.line()}")
    return 1 if bad else 0


def register(subparsers) -> None:
    """Add ``compose`` to the ``stacksalt`` command's subparsers."""
    compose = subparsers.add_parser(
        "compose",
        help="run the model's services from the docker-salt images with docker-compose",
    )
    csub = compose.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(p) -> None:
        p.add_argument("--cluster", default="local", help="cluster of the model (default: local)")
        p.add_argument(
            "--namespace", help="image namespace (default: images.yml's, e.g. stacksalt)"
        )

    p = csub.add_parser(
        "render",
        help="print the compose file rendered from the model (no secret in it); "
        "--write also writes it and the 0600 secret pillar files under the state dir",
    )
    common(p)
    p.add_argument("--write", action="store_true", help="write the files instead of printing")
    p.set_defaults(func=cmd_render)

    p = csub.add_parser(
        "up",
        help="check the model, build missing images, render, 'docker-compose up', wait "
        "until every container is healthy, print the endpoints on 127.0.0.1",
    )
    common(p)
    p.add_argument("--no-build", action="store_true", help="fail instead of building images")
    p.add_argument(
        "--timeout", type=int, default=900, help="seconds to wait for health (default: 900)"
    )
    p.set_defaults(func=cmd_up)

    p = csub.add_parser(
        "down", help="remove the project's containers, network and volumes, and its secrets"
    )
    p.add_argument("--cluster", default="local")
    p.add_argument("--keep-volumes", action="store_true", help="keep the data volumes")
    p.set_defaults(func=cmd_down)

    p = csub.add_parser("status", help="each container's state and health, and the endpoints")
    p.add_argument("--cluster", default="local")
    p.set_defaults(func=cmd_status)
