"""State module: Galera membership (looks only), databases and users (on the leader).

States start from ``{"result": False}``, look first, predict in test mode, act, and look again.
"""

import logging
import time

try:
    from stacksalt.etcdstore import EtcdStore, EtcdUnavailable
    from stacksalt.galera import restart as rolling
except ImportError:  # pragma: no cover - __virtual__ below reports the missing module
    rolling = None

log = logging.getLogger(__name__)

__virtualname__ = "galera_cluster"


def __virtual__():
    if "galera_cluster.wsrep_status" not in __salt__ or rolling is None:
        return False, "galera_cluster: execution module or the stacksalt package not available"
    return __virtualname__


def _ret(name):
    return {"name": name, "changes": {}, "result": False, "comment": ""}


def synced(name, size, socket=None, timeout=900, interval=2):
    """
    Wait until the local member is Synced and ready in a cluster of ``size`` members.

    It never changes anything: the stacksalt Galera agent starts, joins and recovers the
    server; this state makes the highstate report when it has succeeded.

    .. code-block:: yaml

        galera-server-cluster-synced:
          galera_cluster.synced:
            - size: 3
    """
    ret = _ret(name)

    def look():
        ok, _state, what = _member(socket, size)
        return ok, what

    ok, what = look()
    if ok:
        ret.update(result=True, comment=f"member Synced: {what}")
        return ret
    if __opts__["test"]:
        ret.update(
            result=None, comment=f"member not Synced yet ({what}); the agent will bring it in"
        )
        return ret
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(interval)
        ok, what = look()
        if ok:
            ret.update(result=True, comment=f"member Synced: {what}")
            return ret
    ret["comment"] = (
        f"member not Synced after {timeout} s ({what}); read the agent's decision "
        "with 'etcdctl get --prefix /galera/' or 'journalctl -u stacksalt-galera'"
    )
    return ret


def _member(socket, size):
    status = __salt__["galera_cluster.wsrep_status"](socket)
    state = status.get("wsrep_local_state_comment", "not answering")
    cluster = int(status.get("wsrep_cluster_size") or 0)
    ok = state == "Synced" and status.get("wsrep_ready") == "ON" and cluster >= size
    what = f"{state}, wsrep_ready={status.get('wsrep_ready', '-')}, cluster size {cluster}/{size}"
    return ok, state, what


def restarted_in_turn(
    name, files, size, cluster, node, endpoints, socket=None, timeout=900, lock_ttl=30
):
    """
    Restart the Galera agent (and so mariadbd) when one of ``files`` changed after it
    started, one member at a time: under the cluster's restart lock in etcd, once every
    member is Synced, and waiting until this member is Synced again before the next one
    goes. A highstate on all members at once never takes the cluster down.

    .. code-block:: yaml

        galera-server-agent-restarted-in-turn:
          galera_cluster.restarted_in_turn:
            - name: stacksalt-galera
            - files: [/etc/mysql/galera.cnf, /etc/stacksalt/galera.yaml]
            - size: 3
            - cluster: openstack
            - node: ctl01
            - endpoints: ["http://10.0.0.11:2379"]
    """
    ret = _ret(name)
    stale = __salt__["galera_cluster.restart_due"](list(files), name)
    if not stale:
        ret.update(result=True, comment=f"{name} runs the current configuration")
        return ret
    changes = {"restarted": name, "changed since it started": stale}
    if __opts__["test"]:
        ret.update(
            result=None,
            comment=f"{name} would restart in its turn ({', '.join(stale)} changed)",
            changes=changes,
        )
        return ret
    running = _member(socket, size)[1] != "not answering"
    store = EtcdStore(list(endpoints), f"/galera/{cluster}")

    def look():
        ok, _state, what = _member(socket, size)
        return rolling.Look(ok, what)

    def restart():
        if not __salt__["service.restart"](name):
            raise rolling.RestartError(f"systemctl restart {name} failed")

    try:
        waited = rolling.restart_in_turn(
            store,
            node,
            restart,
            look,
            timeout,
            lock_ttl=lock_ttl,
            whole_first=running,
            log=log.info,
        )
    except (rolling.RestartError, EtcdUnavailable) as exc:
        ret["comment"] = (
            f"{name} not restarted in turn: {exc}; read 'journalctl -u {name}' and "
            f"'etcdctl get --prefix /galera/{cluster}/'"
        )
        return ret
    if __salt__["galera_cluster.restart_due"](list(files), name):
        ret["comment"] = f"{name} restarted but still reports an older start than its files"
        return ret
    ret.update(
        result=True,
        comment=f"{name} restarted in its turn (waited {waited:.0f} s for it); Synced again",
        changes=changes,
    )
    return ret


def _leader_only(ret, leader, present, wait=20, interval=1):
    """Schema changes run on the leader only (Galera replicates them); None when this member
    must apply the change itself.

    ``leader`` is ``{"cluster": ..., "node": ..., "endpoints": [...]}`` from the SLS;
    ``present()`` says whether the object is as wanted now. A non-leader waits up to ``wait``
    seconds for the leader's change to arrive. If it does not, the leadership moved during
    this run (a rolling restart moves it) to a member that had already passed this state, and
    nobody else would apply it: this member does. DDL and account statements run in total
    order on every member and these are idempotent, so two members applying them is safe.
    """
    if not leader or __salt__["galera_cluster.is_leader"](**leader):
        return None
    if __opts__["test"]:
        ret.update(
            result=True, comment="not the leader: the leader applies it and Galera replicates it"
        )
        return ret
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(interval)
        if present():
            ret.update(result=True, comment="applied by the leader and replicated by Galera")
            return ret
    log.warning(
        "galera_cluster: %s: the leader did not apply it within %s s; applying it here",
        ret["name"],
        wait,
    )
    return None


def database_present(name, socket=None, leader=None, leader_wait=20):
    """
    Ensure a database exists (created on the leader, replicated by Galera; a non-leader
    creates it when the leader has not within ``leader_wait`` seconds).
    """
    ret = _ret(name)

    def present():
        return __salt__["galera_cluster.database_exists"](name, socket)

    if present():
        ret.update(result=True, comment=f"database {name} exists")
        return ret
    if _leader_only(ret, leader, present, leader_wait):
        return ret
    if __opts__["test"]:
        ret.update(
            result=None,
            comment=f"database {name} would be created",
            changes={"database": {"old": None, "new": name}},
        )
        return ret
    __salt__["galera_cluster.database_create"](name, socket)
    if not __salt__["galera_cluster.database_exists"](name, socket):
        ret["comment"] = f"database {name} still missing after CREATE DATABASE"
        return ret
    ret.update(
        result=True,
        comment=f"database {name} created",
        changes={"database": {"old": None, "new": name}},
    )
    return ret


def user_present(name, password, host="%", grants=(), socket=None, leader=None, leader_wait=20):
    """
    Ensure an account exists with this password and grants (on the leader, or here when the
    leader has not within ``leader_wait`` seconds). The password never appears in changes,
    comments or logs.
    """
    ret = _ret(name)
    grants = list(grants)
    look = __salt__["galera_cluster.user_state"](name, host, password, grants, socket)
    todo = []
    if not look["exists"]:
        todo.append("create")
    elif not look["password_ok"]:
        todo.append("password")
    if look["missing_grants"]:
        todo.append("grants")
    if not todo:
        ret.update(result=True, comment=f"user {name}@{host} is as wanted")
        return ret

    def as_wanted():
        now = __salt__["galera_cluster.user_state"](name, host, password, grants, socket)
        return now["exists"] and now["password_ok"] and not now["missing_grants"]

    if _leader_only(ret, leader, as_wanted, leader_wait):
        return ret
    changes = {"user": f"{name}@{host}", "actions": todo, "grants": look["missing_grants"]}
    if __opts__["test"]:
        ret.update(
            result=None,
            comment=f"user {name}@{host} would change: {', '.join(todo)}",
            changes=changes,
        )
        return ret
    __salt__["galera_cluster.user_apply"](name, host, password, grants, socket)
    again = __salt__["galera_cluster.user_state"](name, host, password, grants, socket)
    if not again["exists"] or not again["password_ok"] or again["missing_grants"]:
        ret["comment"] = f"user {name}@{host} not as wanted after applying: {again}"
        return ret
    ret.update(
        result=True, comment=f"user {name}@{host} updated: {', '.join(todo)}", changes=changes
    )
    return ret
