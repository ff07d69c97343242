"""Execution module: the environment's workload on Kubernetes (render, validate, plan, apply).

Thin adapter over :mod:`stacksalt.k8s` (workload, apply, client). The workload (the pillar
``ccp:control``) is passed as an argument: Salt 3008 masks pillar values read inside modules.
Formula templates are read from the minion's ``file_roots`` (base).
"""

from salt.exceptions import CommandExecutionError

try:
    from stacksalt.k8s import apply as apply_mod
    from stacksalt.k8s import client as client_mod
    from stacksalt.k8s import workload as workload_mod

    HAS_STACKSALT = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_STACKSALT = False

try:
    import kubernetes_validate  # noqa: F401

    HAS_VALIDATE = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_VALIDATE = False

__virtualname__ = "k8s"


def __virtual__():
    if not HAS_STACKSALT:
        return False, "k8s: the stacksalt package is not installed"
    if not HAS_VALIDATE:
        return False, "k8s: kubernetes-validate is not installed"
    return __virtualname__


def _roots(formula_roots=None):
    if formula_roots:
        return list(formula_roots)
    return list((__opts__.get("file_roots") or {}).get("base") or [])


def _build(workload, formula_roots=None, image_tags=None):
    try:
        return workload_mod.build(workload, _roots(formula_roots), image_tags)
    except workload_mod.WorkloadError as exc:
        raise CommandExecutionError(
            "the workload does not render; nothing applied:\n" + "\n".join(exc.problems)
        ) from exc


def render(workload, formula_roots=None, image_tags=None):
    """
    Render and validate the workload; return its objects, warnings and problems.

    CLI Example:

    .. code-block:: bash

        salt-call k8s.render workload="$(salt-call --out=json pillar.get ccp:control)"
    """
    build = _build(workload, formula_roots, image_tags)
    return {
        "namespace": build.namespace,
        "objects": build.objects,
        "node_labels": build.node_labels,
        "warnings": build.warnings,
        "problems": [str(p) for p in build.problems],
        "domains": build.domains,
    }


def validate(workload, formula_roots=None, image_tags=None):
    """
    Render the workload and return the validation problems (an empty list when it is valid).

    CLI Example:

    .. code-block:: bash

        salt-call k8s.validate workload='{...}'
    """
    return [str(p) for p in _build(workload, formula_roots, image_tags).problems]


def apply(
    workload,
    kubeconfig=None,
    dry_run=False,
    prune=True,
    timeout=600,
    formula_roots=None,
    image_tags=None,
):
    """
    Server-side apply the workload (field manager ``stacksalt``), prune what left the model,
    wait for rollouts and Jobs (at most ``timeout`` seconds). With ``dry_run`` the server
    validates every change and stores nothing. Returns the actions taken or predicted.

    CLI Example:

    .. code-block:: bash

        salt-call k8s.apply workload='{...}' kubeconfig=/etc/kubernetes/admin.conf dry_run=True
    """
    build = _build(workload, formula_roots, image_tags)
    if build.problems:
        raise CommandExecutionError(
            "the rendered objects are invalid; nothing applied:\n"
            + "\n".join(str(p) for p in build.problems)
        )
    try:
        cluster = client_mod.Cluster(kubeconfig)
        report = apply_mod.apply(
            cluster,
            build.objects,
            build.node_labels,
            build.namespace,
            dry_run=dry_run,
            prune=prune,
            timeout=timeout,
        )
    except (client_mod.ClusterError, apply_mod.ApplyError) as exc:
        raise CommandExecutionError(str(exc)) from exc
    return {
        "namespace": build.namespace,
        "summary": report.summary(),
        "changes": report.as_changes(),
        "ready": report.waited,
        "warnings": build.warnings,
    }
