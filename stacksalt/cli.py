"""The ``stacksalt`` command: one entry point, one subcommand per job, ``--help`` on each."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

from stacksalt import __version__
from stacksalt.paths import project_root, state_dir


def _log(msg: str) -> None:
    print(msg, flush=True)


def cmd_formulas_link(args) -> int:
    from stacksalt.formulas import link_service_classes

    done = link_service_classes(args.root)
    for line in done:
        _log(line)
    _log("formula classes linked" if done else "formula classes already linked")
    return 0


def cmd_secrets_init(args) -> int:
    from stacksalt import secrets

    clusters = [args.cluster] if args.cluster else _clusters(args.root)
    for cluster in clusters:
        path, new = secrets.init(args.root, cluster)
        what = f"generated {len(new)}: {', '.join(new)}" if new else "nothing new"
        _log(f"{cluster}: {path.relative_to(args.root)} (mode 0600; {what})")
    return 0


def _clusters(root: Path) -> list[str]:
    from stacksalt.model.loader import Model

    return Model(root / "reclass_model").clusters()


def cmd_model_check(args) -> int:
    from stacksalt.model.check import check

    started = time.monotonic()
    problems, pillars = check(args.root, args.cluster)
    for problem in problems:
        print(str(problem), file=sys.stderr)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        print(f"model check: {len(errors)} problem(s); nothing was applied", file=sys.stderr)
        return 1
    _log(
        f"model check: {len(pillars)} nodes render and match their formulas' schemas "
        f"({time.monotonic() - started:.2f} s)"
    )
    return 0


def cmd_model_show(args) -> int:
    from stacksalt import secrets
    from stacksalt.model.check import render_problems
    from stacksalt.model.loader import Model

    model = Model(args.root / "reclass_model")
    if args.node not in model.nodes():
        print(f"no node '{args.node}'; nodes: {', '.join(model.nodes())}", file=sys.stderr)
        return 1
    pillar, problems = render_problems(model, args.node, {}, args.root)
    if problems:
        for problem in problems:
            print(str(problem), file=sys.stderr)
        return 1
    cluster = model.cluster_of(args.node)
    values = set()
    if cluster:
        values = {str(v) for v in secrets.load(secrets.secrets_file(args.root, cluster)).values()}
    shown = secrets.mask(pillar, values)
    if args.key:
        for part in args.key.split(":"):
            if not isinstance(shown, dict) or part not in shown:
                print(f"node {args.node}: no pillar key '{args.key}'", file=sys.stderr)
                return 1
            shown = shown[part]
    if args.json:
        print(json.dumps(shown, indent=2, sort_keys=True))
    else:
        print(yaml.safe_dump(shown, default_flow_style=False, sort_keys=True), end="")
    return 0


def cmd_model_nodes(args) -> int:
    from stacksalt.model.loader import Model

    for node in Model(args.root / "reclass_model").nodes(args.cluster):
        print(node)
    return 0


def cmd_model_clusters(args) -> int:
    for cluster in _clusters(args.root):
        print(cluster)
    return 0


def _prepare(args) -> int:
    """Link classes, generate missing secrets and check the model before touching hosts."""
    from stacksalt import secrets
    from stacksalt.formulas import link_service_classes
    from stacksalt.model.check import check

    link_service_classes(args.root)
    _path, new = secrets.init(args.root, args.cluster)
    if new:
        _log(f"generated secrets for cluster {args.cluster}: {', '.join(new)}")
    problems, _ = check(args.root, args.cluster)
    for problem in problems:
        print(str(problem), file=sys.stderr)
    if any(p.level == "error" for p in problems):
        print("model check failed: nothing was started", file=sys.stderr)
        return 1
    return 0


def cmd_up(args) -> int:
    from stacksalt.cluster import image, runtime

    if _prepare(args):
        return 1
    started = time.monotonic()
    try:
        host_image = image.ensure_host_image(args.root, args.state, _log)
        rows = runtime.up(args.root, args.state, args.cluster, host_image, _log)
        topo = runtime.topology(args.root, args.cluster)
        if args.second_run:
            _log("second highstate (idempotency check):")
            again = runtime.highstate(runtime.client(), topo, _log)
            changed = sum(r.changed for r in again)
            _log(f"second highstate: {changed} changes")
            rows = again
        _log("what runs where:")
        for node, services in runtime.running_services(runtime.client(), topo).items():
            _log(f"  {node:<28} {', '.join(services) or '-'}")
    except (image.ImageError, runtime.ClusterError) as exc:
        print(f"stacksalt up: {exc}", file=sys.stderr)
        return 1
    failed = [r.node for r in rows if not r.ok]
    _log(
        f"stacksalt up: {len(rows)} nodes in {time.monotonic() - started:.0f} s; "
        f"{'failures on ' + ', '.join(failed) if failed else 'no failures'}"
    )
    return 1 if failed else 0


def cmd_highstate(args) -> int:
    from stacksalt.cluster import runtime

    try:
        topo = runtime.topology(args.root, args.cluster)
        rows = runtime.highstate(runtime.client(), topo, _log, test=args.test)
    except runtime.ClusterError as exc:
        print(f"stacksalt highstate: {exc}", file=sys.stderr)
        return 1
    return 0 if all(r.ok for r in rows) else 1


def cmd_down(args) -> int:
    from stacksalt.cluster import runtime

    try:
        runtime.down(args.state, args.cluster, _log)
    except runtime.ClusterError as exc:
        print(f"stacksalt down: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stacksalt",
        description="Deploy OpenStack's control plane from one reclass model with SaltStack.",
    )
    parser.add_argument("--version", action="version", version=f"stacksalt {__version__}")
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="the stacksalt tree (default: $STACKSALT_HOME or this checkout)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        help="runtime state: keys, caches (default: $STACKSALT_STATE or /var/lib/stacksalt)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    formulas = sub.add_parser("formulas", help="the formulas and their reclass classes")
    fsub = formulas.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = fsub.add_parser(
        "link", help="link each formula's metadata/service into reclass_model/classes/service"
    )
    p.set_defaults(func=cmd_formulas_link)

    sec = sub.add_parser("secrets", help="per-deployment secrets in pillar/ (never in git)")
    ssub = sec.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = ssub.add_parser(
        "init",
        help="generate the secrets the model references (keeps "
        "existing values; prints names, never values)",
    )
    p.add_argument("--cluster", help="one cluster (default: all)")
    p.set_defaults(func=cmd_secrets_init)

    model = sub.add_parser("model", help="check and inspect the reclass model")
    msub = model.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = msub.add_parser(
        "check",
        help="render every node; exit 1 with clear messages on "
        "YAML errors, missing classes, unresolved references, schema errors",
    )
    p.add_argument("--cluster", help="only this cluster's nodes")
    p.set_defaults(func=cmd_model_check)
    p = msub.add_parser("show", help="print a node's merged pillar, secrets masked")
    p.add_argument("node", help="node name, e.g. ctl01.local.stacksalt")
    p.add_argument("--key", help="only this pillar path, e.g. etcd:server")
    p.add_argument("--json", action="store_true", help="JSON instead of YAML")
    p.set_defaults(func=cmd_model_show)
    p = msub.add_parser("nodes", help="list nodes")
    p.add_argument("--cluster", help="only this cluster's nodes")
    p.set_defaults(func=cmd_model_nodes)
    p = msub.add_parser("clusters", help="list clusters")
    p.set_defaults(func=cmd_model_clusters)

    p = sub.add_parser(
        "up", help="start the cluster's salt master and host containers, then highstate them"
    )
    p.add_argument("--cluster", default="local", help="cluster to start (default: local)")
    p.add_argument(
        "--second-run",
        action="store_true",
        help="run highstate a second time and report its changes (expect 0)",
    )
    p.set_defaults(func=cmd_up)
    p = sub.add_parser("highstate", help="run state.highstate from the cluster's master")
    p.add_argument("--cluster", default="local")
    p.add_argument("--test", action="store_true", help="test=True: predict, change nothing")
    p.set_defaults(func=cmd_highstate)
    p = sub.add_parser("down", help="remove the cluster's containers, network and keys")
    p.add_argument("--cluster", default="local")
    p.set_defaults(func=cmd_down)

    from stacksalt.images.cli import register as register_images

    register_images(sub)
    __import__("stacksalt.compose.cli", fromlist=["register"]).register(sub)
    from stacksalt.k8s.cli import register as register_k8s

    register_k8s(sub)
    from stacksalt.openstack.cli import register as register_openstack

    register_openstack(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.root = (args.root or project_root()).resolve()
    args.state = (args.state or state_dir()).resolve()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
