"""State module: the environment's workload on Kubernetes, from the model.

``k8s.validated`` renders and validates (no cluster needed); ``k8s.applied`` also applies it
with server-side apply, prunes what left the model and waits for rollouts. In test mode the
changes are predicted with a server dry-run. The workload is a state argument (the pillar
``ccp:control`` passed by the SLS): Salt 3008 masks pillar values read inside modules.
"""

from salt.exceptions import CommandExecutionError

__virtualname__ = "k8s"


def __virtual__():
    if "k8s.render" not in __salt__:
        return False, "k8s: execution module not available"
    return __virtualname__


def _ret(name):
    return {"name": name, "changes": {}, "result": False, "comment": ""}


def validated(name, workload, formula_roots=None, image_tags=None):
    """
    Render the workload of environment ``name`` and validate every object (schemas of the
    pinned Kubernetes version and semantic checks). Changes nothing.

    .. code-block:: yaml

        ccp-control-manifests-validated:
          k8s.validated:
            - name: openstack-local
            - workload: {{ pillar.ccp.control | json }}
    """
    ret = _ret(name)
    try:
        out = __salt__["k8s.render"](workload, formula_roots, image_tags)
    except CommandExecutionError as exc:
        ret["comment"] = str(exc)
        return ret
    if out["namespace"] != name:
        ret["comment"] = f"the workload renders namespace {out['namespace']!r}, not {name!r}"
        return ret
    if out["problems"]:
        ret["comment"] = f"{len(out['problems'])} problem(s); nothing applied:\n" + "\n".join(
            out["problems"]
        )
        return ret
    lines = [f"{len(out['objects'])} objects of {name} render and validate"]
    lines += [f"warning: {w}" for w in out["warnings"]]
    ret.update(result=True, comment="\n".join(lines))
    return ret


def applied(
    name, workload, kubeconfig=None, prune=True, timeout=600, formula_roots=None, image_tags=None
):
    """
    Apply the workload of environment ``name``: server-side apply with field manager
    ``stacksalt``, prune the objects this environment owns that left the model, wait for
    rollouts and Jobs (at most ``timeout`` seconds). Test mode predicts with a server dry-run.

    .. code-block:: yaml

        ccp-control-manifests-applied:
          k8s.applied:
            - name: openstack-local
            - workload: {{ pillar.ccp.control | json }}
            - kubeconfig: /etc/kubernetes/admin.conf
    """
    ret = validated(name, workload, formula_roots, image_tags)
    if not ret["result"]:
        return ret
    test = bool(__opts__["test"])
    try:
        out = __salt__["k8s.apply"](
            workload,
            kubeconfig=kubeconfig,
            dry_run=test,
            prune=prune,
            timeout=timeout,
            formula_roots=formula_roots,
            image_tags=image_tags,
        )
    except CommandExecutionError as exc:
        ret.update(result=False, comment=f"{exc}")
        return ret
    changes = out["changes"]
    if not changes:
        ret.update(result=True, comment=f"{name}: up to date ({out['summary']})")
        return ret
    if test:
        ret.update(
            result=None,
            changes={"old": None, "new": changes},
            comment=f"{name}: {len(changes)} changes predicted by a server dry-run",
        )
        return ret
    ret.update(
        result=True,
        changes=changes,
        comment=f"{name}: {len(changes)} changes applied; ready: {len(out['ready'])}",
    )
    return ret
