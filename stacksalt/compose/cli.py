"""``stacksalt compose render|up|down|status``: the cluster's Kubernetes workload, run here.

The local run is a projection of the Kubernetes objects the model renders
(:mod:`stacksalt.compose.project`): the same images, arguments, environment, pillar files and
probes, on the local Docker engine. :func:`register` adds the command to the main parser;
handlers read ``args.root`` and ``args.state`` as ``stacksalt.cli.main`` sets them.
"""

from __future__ import annotations

import subprocess
import sys
import time


def _log(msg: str) -> None:
    print(msg, flush=True)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _errors():
    from stacksalt.cluster.runtime import ClusterError
    from stacksalt.compose.project import ProjectionError
    from stacksalt.compose.runner import ComposeRunError
    from stacksalt.images.context import ImagesError
    from stacksalt.images.spec import SpecError
    from stacksalt.k8s.workload import WorkloadError

    return (
        ClusterError,
        ProjectionError,
        ComposeRunError,
        ImagesError,
        SpecError,
        WorkloadError,
        FileNotFoundError,
    )


def _network_exists(name: str) -> bool:
    res = subprocess.run(
        ["docker", "network", "inspect", name], capture_output=True, text=True, check=False
    )
    return res.returncode == 0


def _running(name: str) -> bool:
    res = subprocess.run(
        ["docker", "inspect", "--format", "{{.State.Running}}", name],
        capture_output=True,
        text=True,
        check=False,
    )
    return res.stdout.strip() == "true"


class Plan:
    """What a local run needs: the rendered objects, the images, the nodes, the projection."""

    def __init__(self, args, log=_log):
        from stacksalt import secrets
        from stacksalt.cluster import runtime
        from stacksalt.compose import project, runner
        from stacksalt.formulas import link_service_classes
        from stacksalt.images import build, plan, spec
        from stacksalt.images.context import Project
        from stacksalt.k8s.source import formula_roots, load_control
        from stacksalt.k8s.workload import WorkloadError, image_names, load_catalog, parse
        from stacksalt.k8s.workload import build as build_workload

        link_service_classes(args.root)
        secrets.init(args.root, args.cluster)
        self.cluster = args.cluster
        _node, control = load_control(args.root, args.cluster)
        # Local images, not the registry's: the same names and content tags.
        control = {**control, "registry": {}}
        roots = formula_roots(args.root)
        catalog = load_catalog(roots)
        components = args.components.split(",") if getattr(args, "components", None) else None
        parsed = parse(control, catalog)
        used = sorted(image_names(parsed) - {"kubectl"})
        self.project = Project.load(args.root, args.state, args.namespace)
        self.names = spec.select(self.project.images.images, [*used, "salt-base"])
        images = self.project.gather(self.names, log)
        present, recorded = build.local_state(self.project, self.names)
        self.steps = plan.plan(images, present, recorded)
        tags = {s.name: s.tag for s in self.steps}
        self.refs = {s.name: self.project.images.ref(s.name, s.tag) for s in self.steps}
        result = build_workload(control, roots, tags, catalog=catalog, components=components)
        if result.problems:
            raise WorkloadError([str(p) for p in result.problems])
        self.objects = result.objects
        topo = runtime.topology(args.root, args.cluster)
        hosts_network = f"stacksalt-{args.cluster}"
        external = _network_exists(hosts_network)
        nodes = []
        by_host = {n.hostname: n for n in topo.nodes}
        for name, labels in result.node_labels.items():
            if name not in by_host:
                raise WorkloadError([f"Kubernetes node {name}: no model node has that hostname"])
            host = by_host[name]
            container = (
                topo.container(host) if external and _running(topo.container(host)) else None
            )
            nodes.append(project.LocalNode(name, host.address, labels, container))
        subnet = topo.network
        self.settings = project.Settings(
            cluster=args.cluster,
            namespace=result.namespace,
            cluster_domain=(control.get("kubernetes") or {}).get("cluster_domain", "cluster.local"),
            subnet=subnet,
            network=hosts_network if external else f"stacksalt-compose-{args.cluster}",
            external_network=external,
            holder_image=self.refs["salt-base"],
            files_dir=str(runner.files_dir(args.state, args.cluster)),
        )
        self.projection = project.project(
            self.objects, nodes, self.settings, runner.previous_addresses(self.settings.project)
        )


def cmd_render(args) -> int:
    from stacksalt.compose import runner

    try:
        plan = Plan(args, _err)
    except _errors() as exc:
        _err(f"stacksalt compose render: {exc}")
        return 1
    if args.write:
        path = runner.write(args.state, args.cluster, plan.projection)
        _log(f"wrote {path} and {len(plan.projection.files)} pillar file(s) under files/")
    else:
        sys.stdout.write(runner.dump(plan.projection.compose))
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
        plan = Plan(args)
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
            plan = Plan(args)  # the tags as built (the tree may have changed meanwhile)
            late = [s.name for s in plan.steps if s.build]
            if late:
                _err(
                    f"stacksalt compose up: {', '.join(late)} changed while the images built; "
                    "nothing was started: run it again"
                )
                return 1
        path = runner.write(args.state, args.cluster, plan.projection)
        pods = plan.projection.pods
        _log(
            f"{plan.settings.project}: {path}: {len(pods)} pods "
            f"({len(plan.projection.compose['services'])} containers) on "
            f"{plan.settings.network}; at most {args.timeout} s"
        )
        runner.remove_orphans(plan.settings.project, plan.projection, _log)
        walk = runner.Walk(plan.projection, plan.settings.project, path, _log)
        took = walk.run(args.timeout)
    except _errors() as exc:
        _err(f"stacksalt compose up: {exc}")
        return 1
    _log(
        f"{plan.settings.project}: every pod ready, every Job done in {took:.0f} s "
        f"({time.monotonic() - started:.0f} s in all); pods:"
    )
    for pod in plan.projection.pods:
        _log(f"  {pod.name:<28} {pod.kind:<12} {pod.node:<8} {pod.address}")
    return 0


def cmd_down(args) -> int:
    import shutil

    from stacksalt.compose import runner

    project = f"stacksalt-compose-{args.cluster}"
    path = runner.compose_file(args.state, args.cluster)
    try:
        if path.exists():
            flags = ["down", "--remove-orphans", "--timeout", "30"]
            if not args.keep_volumes:
                flags.append("--volumes")
            runner.docker_compose(project, path, *flags, log=_log)
        runner.remove_by_label(project, _log)
    except _errors() as exc:
        _err(f"stacksalt compose down: {exc}")
        return 1
    fdir = runner.files_dir(args.state, args.cluster)
    if fdir.exists():
        shutil.rmtree(fdir)
    _log(f"{project}: down (pillar files removed)")
    return 0


def cmd_status(args) -> int:
    import json

    from stacksalt.compose import runner

    path = runner.compose_file(args.state, args.cluster)
    if not path.exists():
        _err(f"no {path}: run 'stacksalt compose up --cluster {args.cluster}'")
        return 1
    import yaml

    services = yaml.safe_load(path.read_text(encoding="utf-8"))["services"]
    names = [body["container_name"] for body in services.values()]
    states = runner.inspect(names)
    bad = 0
    for name in names:
        text = runner.describe(states.get(name))
        bad += not (text.startswith("running") and "unhealthy" not in text) and not text.startswith(
            "exited (0)"
        )
        _log(f"{name:<56} {text}")
    pods = json.loads((runner.workdir(args.state, args.cluster) / "pods.json").read_text())
    _log(f"{len(pods)} pods:")
    for pod in pods:
        _log(f"  {pod['name']:<28} {pod['kind']:<12} {pod['node']:<8} {pod['address']}")
    return 1 if bad else 0


def register(subparsers) -> None:
    """Add ``compose`` to the ``stacksalt`` command's subparsers."""
    compose = subparsers.add_parser(
        "compose",
        help="run the cluster's Kubernetes workload here, on the Docker engine (a projection "
        "of the rendered objects)",
    )
    csub = compose.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(p) -> None:
        p.add_argument("--cluster", default="local", help="cluster of the model (default: local)")
        p.add_argument("--namespace", help="image namespace (default: images.yml's, stacksalt)")
        p.add_argument(
            "--components",
            help="only these instances, comma-separated (like 'ccp deploy -c'), e.g. etcd,database",
        )

    p = csub.add_parser(
        "render",
        help="print the compose file projected from the Kubernetes objects (no secret in it); "
        "--write also writes it and the pods' pillar files under the state dir",
    )
    common(p)
    p.add_argument("--write", action="store_true", help="write the files instead of printing")
    p.set_defaults(func=cmd_render)

    p = csub.add_parser(
        "up",
        help="check the model, build missing images, start each pod once what it depends on "
        "is ready, run the Jobs, wait until every pod is ready",
    )
    common(p)
    p.add_argument("--no-build", action="store_true", help="fail instead of building images")
    p.add_argument(
        "--timeout",
        type=int,
        default=1200,
        help="seconds to wait for every pod and Job (default: 1200)",
    )
    p.set_defaults(func=cmd_up)

    p = csub.add_parser(
        "down", help="remove the project's containers, network and volumes, and its files"
    )
    p.add_argument("--cluster", default="local")
    p.add_argument("--keep-volumes", action="store_true", help="keep the data volumes")
    p.set_defaults(func=cmd_down)

    p = csub.add_parser("status", help="each container's state and health, and the pods")
    p.add_argument("--cluster", default="local")
    p.set_defaults(func=cmd_status)
