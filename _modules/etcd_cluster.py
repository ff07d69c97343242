"""Execution module: facts about an etcd v3 cluster, gathered with etcdctl.

Thin adapter: the verdict comes from :mod:`stacksalt.etcd`.
"""

import os
import shutil

from salt.exceptions import CommandExecutionError

try:
    from stacksalt import etcd as logic

    HAS_STACKSALT = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_STACKSALT = False

__virtualname__ = "etcd_cluster"


def __virtual__():
    if not HAS_STACKSALT:
        return False, "etcd_cluster: the stacksalt package is not installed"
    if not shutil.which("etcdctl"):
        return False, "etcd_cluster: etcdctl is not installed (package etcd-client)"
    return __virtualname__


def _etcdctl(args, endpoints, dial_timeout=3):
    cmd = [
        "etcdctl",
        f"--endpoints={','.join(endpoints)}",
        f"--dial-timeout={dial_timeout}s",
        "--command-timeout=5s",
        "-w",
        "json",
        *args,
    ]
    env = dict(os.environ, ETCDCTL_API="3")
    res = __salt__["cmd.run_all"](cmd, python_shell=False, env=env, ignore_retcode=True)
    return res


def member_list(endpoints):
    """
    Return the cluster's members as seen from the first endpoint that answers.

    CLI Example:

    .. code-block:: bash

        salt ctl01 etcd_cluster.member_list '["http://10.0.0.11:2379"]'
    """
    errors = []
    for endpoint in endpoints:
        res = _etcdctl(["member", "list"], [endpoint])
        if res["retcode"] == 0:
            return logic.parse_member_list(res["stdout"])
        errors.append(f"{endpoint}: {res['stderr'].strip() or res['stdout'].strip()}")
    raise CommandExecutionError("no etcd endpoint answered: " + "; ".join(errors))


def endpoint_health(endpoints):
    """
    Return ``{endpoint: healthy}`` for every given client endpoint.

    CLI Example:

    .. code-block:: bash

        salt ctl01 etcd_cluster.endpoint_health '["http://10.0.0.11:2379"]'
    """
    out = {}
    for endpoint in endpoints:
        res = _etcdctl(["endpoint", "health"], [endpoint])
        try:
            out.update(logic.parse_endpoint_health(res["stdout"]))
        except ValueError:
            out[endpoint] = False
    return out


def health(members, endpoints):
    """
    Return ``{"ok": bool, "reason": str, "members": [...]}`` for the cluster.

    ``members`` are the member names the model expects.

    CLI Example:

    .. code-block:: bash

        salt ctl01 etcd_cluster.health '[ctl01, ctl02, ctl03]' '["http://10.0.0.11:2379"]'
    """
    try:
        listed = member_list(endpoints)
    except CommandExecutionError as exc:
        return {"ok": False, "reason": str(exc), "members": []}
    urls = sorted({url for m in listed for url in m["client_urls"]})
    verdict = logic.evaluate(list(members), listed, endpoint_health(urls))
    return {"ok": verdict.ok, "reason": verdict.reason, "members": list(verdict.members)}
