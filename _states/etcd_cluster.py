"""State module: wait until an etcd cluster has exactly the model's members, all healthy.

It only looks (it never changes the cluster), so it reports no changes; it fails with the
reason when the cluster is not healthy within ``timeout`` seconds.
"""

import time

__virtualname__ = "etcd_cluster"


def __virtual__():
    if "etcd_cluster.health" not in __salt__:
        return False, "etcd_cluster: execution module not available"
    return __virtualname__


def healthy(name, members, endpoints, timeout=120, interval=2):
    """
    Ensure the etcd cluster has exactly ``members`` and every member is healthy.

    .. code-block:: yaml

        etcd-server-cluster-healthy:
          etcd_cluster.healthy:
            - members: [ctl01, ctl02, ctl03]
            - endpoints: ["http://10.0.0.11:2379"]
            - timeout: 120
    """
    ret = {"name": name, "changes": {}, "result": False, "comment": ""}
    verdict = __salt__["etcd_cluster.health"](members, endpoints)
    if verdict["ok"]:
        ret.update(result=True, comment=verdict["reason"])
        return ret
    if __opts__["test"]:
        ret.update(result=None, comment=f"etcd not healthy yet: {verdict['reason']}")
        return ret
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(interval)
        verdict = __salt__["etcd_cluster.health"](members, endpoints)
        if verdict["ok"]:
            ret.update(result=True, comment=verdict["reason"])
            return ret
    ret["comment"] = (
        f"etcd cluster not healthy after {timeout} s: {verdict['reason']}. "
        "Check 'journalctl -u etcd' on the members."
    )
    return ret
