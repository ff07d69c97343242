"""``stacksalt manifests`` (render / validate / apply), ``stacksalt domains list`` and
``stacksalt cleanup``: the cluster's workload from the model to Kubernetes.

:func:`register` adds them to the main parser; handlers read ``args.root`` and ``args.state``
as ``stacksalt.cli.main`` sets them. Nothing is written or applied when the workload does not
render or validate; every problem names the service (or object) and the key.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import yaml


def _log(msg: str) -> None:
    """Progress and summaries go to stderr: stdout carries only the manifests or domains."""
    print(msg, file=sys.stderr, flush=True)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _image_tags(args) -> dict[str, str] | None:
    """Tags from --image-tags FILE (``stacksalt images plan --json`` output or a mapping),
    else the docker-salt content tags computed here, else None (the model's tag)."""
    from stacksalt.k8s.source import docker_salt_tags

    if args.image_tags:
        data = json.loads(Path(args.image_tags).read_text(encoding="utf-8"))
        if isinstance(data, list):
            return {str(i["name"]): str(i["tag"]) for i in data}
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items()}
        raise ValueError(f"{args.image_tags}: expected a list of {{name, tag}} or a mapping")
    if args.model_tags:
        return None
    _log("image tags: computing the docker-salt content tags ...")
    tags, why = docker_salt_tags(args.root, args.state)
    if tags is None:
        _err(
            f"warning: image tags: cannot compute the docker-salt tags here ({why}); using the "
            "model's images:tag (pin them with --image-tags FILE from "
            "'stacksalt images plan --json')"
        )
    return tags


def _build(args, validate: bool = True):
    """(build, control) or None after printing why (nothing is written or applied then)."""
    from stacksalt.k8s.source import formula_roots, load_control
    from stacksalt.k8s.workload import WorkloadError, build

    started = time.monotonic()
    try:
        _log(f"{args.cluster}: reading the workload from the model ...")
        node, control = load_control(args.root, args.cluster)
        tags = _image_tags(args)
        _log(f"{args.cluster}: rendering the workload of {node} ...")
        result = build(control, formula_roots(args.root), tags, validate=validate)
    except (WorkloadError, ValueError, OSError) as exc:
        problems = exc.problems if isinstance(exc, WorkloadError) else [str(exc)]
        for line in problems:
            _err(f"{args.cluster}: {line}")
        _err(f"{args.cluster}: the workload does not render; nothing was written or applied")
        return None
    for warning in result.warnings:
        _err(f"warning: {warning}")
    if result.problems:
        for problem in result.problems:
            _err(f"{args.cluster}: {problem}")
        _err(
            f"{args.cluster}: {len(result.problems)} problem(s) in the rendered objects; "
            "nothing was written or applied"
        )
        return None
    what = "rendered and validated" if validate else "rendered (not validated)"
    _log(
        f"{args.cluster}: {len(result.objects)} objects in namespace {result.namespace} "
        f"{what} in {time.monotonic() - started:.2f} s"
    )
    return result, control


def _file_name(index: int, obj: dict) -> str:
    return f"{index:03d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def write_manifests(objects: list[dict], out: Path) -> list[Path]:
    """One YAML file per object, numbered in apply order; stale files of an earlier render
    in ``out`` are removed (only ``NNN-*.yaml``)."""
    from stacksalt.k8s.apply_plan import KIND_ORDER

    order = {k: i for i, k in enumerate(KIND_ORDER)}
    ordered = sorted(
        objects, key=lambda o: (order.get(o["kind"], len(order)), o["metadata"]["name"])
    )
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("[0-9][0-9][0-9]-*.yaml"):
        old.unlink()
    paths = []
    for i, obj in enumerate(ordered, 1):
        path = out / _file_name(i, obj)
        path.write_text(yaml.safe_dump(obj, sort_keys=True, default_flow_style=False))
        paths.append(path)
    return paths


def cmd_render(args) -> int:
    built = _build(args, validate=not args.no_validate)
    if built is None:
        return 1
    result, _ = built
    if args.out:
        paths = write_manifests(result.objects, Path(args.out))
        _log(f"{args.cluster}: wrote {len(paths)} files to {args.out}")
    else:
        sys.stdout.write(yaml.safe_dump_all(result.objects, sort_keys=True))
    if args.labels:
        _log(yaml.safe_dump({"node_labels": result.node_labels}, sort_keys=True))
    return 0


def cmd_validate(args) -> int:
    if args.paths:
        from stacksalt.k8s.validate import validate_objects

        objects = []
        for path in args.paths:
            files = sorted(Path(path).glob("*.yaml")) if Path(path).is_dir() else [Path(path)]
            for file in files:
                objects += [o for o in yaml.safe_load_all(file.read_text()) if o]
        problems = validate_objects(objects)
        for problem in problems:
            _err(str(problem))
        _log(f"{len(objects)} objects, {len(problems)} problem(s)")
        return 1 if problems else 0
    if not args.cluster:
        _err("give --cluster NAME or manifest files/folders to validate")
        return 2
    return 0 if _build(args) is not None else 1


def cmd_domains(args) -> int:
    from stacksalt.k8s.source import formula_roots, load_control
    from stacksalt.k8s.workload import WorkloadError, domains, load_catalog, parse

    try:
        _node, control = load_control(args.root, args.cluster)
        parsed = parse(control, load_catalog(formula_roots(args.root)))
    except WorkloadError as exc:
        for line in exc.problems:
            _err(f"{args.cluster}: {line}")
        return 1
    configs = control.get("configs") or {}
    found = domains(parsed, configs)
    if not args.quiet:
        ingress = configs.get("ingress") or {}
        state = "enabled" if ingress.get("enabled") else "disabled"
        _log(f"{args.cluster}: {len(found)} Ingress domains (Ingress {state}):")
    for domain in found:
        print(domain)
    return 0


def _connect(args):
    from stacksalt.k8s.client import Cluster, ClusterError

    try:
        return Cluster(args.kubeconfig, args.context)
    except ClusterError as exc:
        _err(f"{args.cluster}: {exc}")
        return None


def cmd_apply(args) -> int:
    from stacksalt.k8s.apply import ApplyError, apply
    from stacksalt.k8s.client import ClusterError, kubeconfig_path

    try:
        kubeconfig_path(args.kubeconfig)  # fail before the (slower) rendering
    except ClusterError as exc:
        _err(f"{args.cluster}: {exc}\n{args.cluster}: nothing was applied")
        return 1
    built = _build(args)
    if built is None:
        return 1
    result, control = built
    cluster = _connect(args)
    if cluster is None:
        _err(f"{args.cluster}: nothing was applied")
        return 1
    started = time.monotonic()
    try:
        report = apply(
            cluster,
            result.objects,
            result.node_labels,
            result.namespace,
            dry_run=args.dry_run,
            prune=not args.no_prune,
            timeout=args.timeout or control.get("timeout", 600),
            log=_log,
        )
    except (ApplyError, ClusterError) as exc:
        _err(f"{args.cluster}: {exc}")
        return 1
    for key, change in report.as_changes().items():
        _log(f"  {'would ' if args.dry_run else ''}{change.get('action', 'label')}: {key}")
    verb = "predicted (server dry-run)" if args.dry_run else "applied and rolled out"
    _log(
        f"{args.cluster}: {len(report.changes)} changes {verb} in "
        f"{time.monotonic() - started:.1f} s ({report.summary()})"
    )
    return 0


def cmd_cleanup(args) -> int:
    from stacksalt.k8s.apply import cleanup
    from stacksalt.k8s.client import ClusterError, kubeconfig_path

    try:
        kubeconfig_path(args.kubeconfig)
    except ClusterError as exc:
        _err(f"{args.cluster}: {exc}\n{args.cluster}: nothing was deleted")
        return 1
    namespace = args.namespace
    if not namespace:
        built = _build(args, validate=False)
        if built is None:
            return 1
        namespace = built[0].namespace
    cluster = _connect(args)
    if cluster is None:
        _err(f"{args.cluster}: nothing was deleted")
        return 1
    try:
        report = cleanup(cluster, namespace, namespace, dry_run=args.dry_run, log=_log)
    except ClusterError as exc:
        _err(f"{args.cluster}: {exc}")
        return 1
    verb = "would delete" if args.dry_run else "deleted"
    _log(f"{args.cluster}: {verb} {len(report.actions)} objects of environment {namespace}")
    return 0


def _common(p, cluster_required: bool = True) -> None:
    p.add_argument(
        "--cluster", required=cluster_required, help="the cluster in the model (local, ...)"
    )
    p.add_argument(
        "--image-tags",
        metavar="FILE",
        help="image tags as printed by 'stacksalt images plan --json' (default: computed)",
    )
    p.add_argument(
        "--model-tags",
        action="store_true",
        help="use the model's images:tag instead of computing the docker-salt tags",
    )


def _cluster_args(p) -> None:
    p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG)")
    p.add_argument("--context", help="kubeconfig context (default: the current one)")


def register(sub) -> None:
    """Add ``manifests``, ``domains`` and ``cleanup`` to the main parser's subcommands."""
    man = sub.add_parser("manifests", help="Kubernetes manifests of a cluster's workload")
    msub = man.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = msub.add_parser(
        "render",
        help="render the workload from the model (validated first: nothing is written when "
        "it is broken)",
    )
    _common(p)
    p.add_argument("--out", metavar="DIR", help="one YAML file per object (default: stdout)")
    p.add_argument("--no-validate", action="store_true", help="skip the validation")
    p.add_argument("--labels", action="store_true", help="also print the node labels plan")
    p.set_defaults(func=cmd_render)
    p = msub.add_parser(
        "validate",
        help="render and validate a cluster's workload, or validate manifest files/folders "
        "(schemas of the pinned Kubernetes version + semantic checks)",
    )
    _common(p, cluster_required=False)
    p.add_argument("paths", nargs="*", help="manifest files or folders (instead of --cluster)")
    p.set_defaults(func=cmd_validate)
    p = msub.add_parser(
        "apply",
        help="server-side apply the workload (field manager stacksalt), prune what left the "
        "model, wait for rollouts and Jobs",
    )
    _common(p)
    _cluster_args(p)
    p.add_argument("--dry-run", action="store_true", help="server dry-run: predict, change nothing")
    p.add_argument("--no-prune", action="store_true", help="keep objects that left the model")
    p.add_argument("--timeout", type=int, help="seconds to wait for rollouts (default: model)")
    p.set_defaults(func=cmd_apply)

    dom = sub.add_parser("domains", help="the Ingress domains of a cluster's workload")
    dsub = dom.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = dsub.add_parser("list", help="list the Ingress domains (one a line with -q)")
    p.add_argument("--cluster", required=True, help="the cluster in the model")
    p.add_argument("-q", "--quiet", action="store_true", help="only the domains")
    p.set_defaults(func=cmd_domains)

    p = sub.add_parser(
        "cleanup",
        help="delete every object and node label of one environment (never another's)",
    )
    _common(p)
    _cluster_args(p)
    p.add_argument("--namespace", help="the environment's namespace (default: from the model)")
    p.add_argument("--dry-run", action="store_true", help="server dry-run: list, delete nothing")
    p.set_defaults(func=cmd_cleanup)
