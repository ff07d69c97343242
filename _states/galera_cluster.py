"""State module: Galera membership (looks only), databases and users (on the leader, or over
TCP through the Galera writer from a Job in its own pod).

States start from ``{"result": False}``, look first, predict in test mode, act, and look again.

``database_present`` and ``user_present`` work two ways:

- on a member, through the local socket as root (``socket``, ``leader``): the galera formula;
- from anywhere, over TCP to ``db_host:db_port`` as ``admin_user`` with the password at the
  pillar key ``admin_pillar``: a service's bootstrap Job (the openstack formula).

An account's password is read from the pillar at ``password_pillar`` and never appears in
arguments, changes, comments or logs (``password`` is still accepted from the callers of
before).
"""

import logging
import time

from salt.exceptions import CommandExecutionError

try:
    from stacksalt.etcdstore import EtcdUnavailable
    from stacksalt.galera import leader_only
    from stacksalt.galera import restart as rolling
    from stacksalt.galera.store import GaleraStore, prefix
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
    store = GaleraStore.connect(endpoints, cluster)

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
            f"'etcdctl get --prefix {prefix(cluster)}/'"
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
    """None when this member applies the change itself (it is the leader, or the leader's
    change did not arrive in ``wait`` s: :mod:`stacksalt.galera.leader_only`), else ``ret``.
    ``leader`` is ``{"cluster": ..., "node": ..., "endpoints": [...]}`` from the SLS;
    ``present()`` says whether the object is as wanted here now."""
    if not leader or __salt__["galera_cluster.is_leader"](**leader):
        return None
    if __opts__["test"]:
        ret.update(
            result=True, comment="not the leader: the leader applies it and Galera replicates it"
        )
        return ret
    if leader_only.replicated_in_time(present, wait, interval):
        ret.update(result=True, comment="applied by the leader and replicated by Galera")
        return ret
    log.warning(
        "galera_cluster: %s: the leader did not apply it within %s s; applying it here",
        ret["name"],
        wait,
    )
    return None


def _tcp(db_host, db_port, admin_user, admin_pillar):
    """The execution module's TCP arguments; none in socket mode (the calls stay as before)."""
    if not db_host:
        return {}
    return {
        "db_host": db_host,
        "db_port": int(db_port),
        "admin_user": admin_user,
        "admin_pillar": admin_pillar,
    }


def database_present(
    name,
    socket=None,
    leader=None,
    leader_wait=20,
    db_host=None,
    db_port=3306,
    admin_user="root",
    admin_pillar=None,
):
    """
    Ensure a database exists (utf8mb4).

    On a member (``socket``): created on the leader, replicated by Galera; a non-leader
    creates it when the leader has not within ``leader_wait`` seconds. Over TCP
    (``db_host``): created through the Galera writer as ``admin_user``, whose password is read
    from the pillar at ``admin_pillar``.

    .. code-block:: yaml

        openstack-database-nova_api-present:
          galera_cluster.database_present:
            - name: nova_api
            - db_host: 10.0.0.10
            - db_port: 3306
            - admin_user: root
            - admin_pillar: openstack:database:admin:password
    """
    ret = _ret(name)
    tcp = _tcp(db_host, db_port, admin_user, admin_pillar)

    def present():
        return __salt__["galera_cluster.database_exists"](name, socket, **tcp)

    try:
        if present():
            ret.update(result=True, comment=f"database {name} exists")
            return ret
        if _leader_only(ret, leader if not tcp else None, present, leader_wait):
            return ret
        if __opts__["test"]:
            ret.update(
                result=None,
                comment=f"database {name} would be created",
                changes={"database": {"old": None, "new": name}},
            )
            return ret
        __salt__["galera_cluster.database_create"](name, socket, **tcp)
        if not present():
            ret["comment"] = f"database {name} still missing after CREATE DATABASE"
            return ret
    except CommandExecutionError as exc:
        ret["comment"] = f"database {name}: {exc}"
        return ret
    ret.update(
        result=True,
        comment=f"database {name} created",
        changes={"database": {"old": None, "new": name}},
    )
    return ret


def user_present(
    name,
    password=None,
    host="%",
    grants=(),
    socket=None,
    leader=None,
    leader_wait=20,
    password_pillar=None,
    db_host=None,
    db_port=3306,
    admin_user="root",
    admin_pillar=None,
):
    """
    Ensure an account exists with its password and grants. The password is read from the
    pillar at ``password_pillar`` (``password`` is still accepted, but puts the secret into the
    state's arguments: prefer the pillar key). It never appears in changes, comments or logs.

    On a member (``socket``): on the leader, or here when the leader has not within
    ``leader_wait`` seconds. Over TCP (``db_host``): through the Galera writer as
    ``admin_user`` with the password at pillar key ``admin_pillar``.

    .. code-block:: yaml

        openstack-database-user-nova-present:
          galera_cluster.user_present:
            - name: nova
            - password_pillar: openstack:database:users:nova:password
            - host: "%"
            - grants: ["ALL PRIVILEGES ON `nova`.*", "ALL PRIVILEGES ON `nova_api`.*"]
            - db_host: 10.0.0.10
            - admin_pillar: openstack:database:admin:password
    """
    ret = _ret(name)
    grants = list(grants)
    if not password and not password_pillar:
        ret["comment"] = f"user {name}@{host}: give password_pillar (a pillar key); nothing changed"
        return ret
    secret = {"password_pillar": password_pillar} if password_pillar else {"password": password}
    tcp = _tcp(db_host, db_port, admin_user, admin_pillar)

    def state():
        return __salt__["galera_cluster.user_state"](
            name, host, grants=grants, socket=socket, **secret, **tcp
        )

    try:
        look = state()
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
            now = state()
            return now["exists"] and now["password_ok"] and not now["missing_grants"]

        if _leader_only(ret, leader if not tcp else None, as_wanted, leader_wait):
            return ret
        changes = {"user": f"{name}@{host}", "actions": todo, "grants": look["missing_grants"]}
        if "create" in todo:
            changes["password"] = "set"  # noqa: S105 - what happens, never the value
        elif "password" in todo:
            changes["password"] = "changed"  # noqa: S105 - what happens, never the value
        if __opts__["test"]:
            ret.update(
                result=None,
                comment=f"user {name}@{host} would change: {', '.join(todo)}",
                changes=changes,
            )
            return ret
        __salt__["galera_cluster.user_apply"](
            name, host, grants=grants, socket=socket, **secret, **tcp
        )
        again = state()
    except CommandExecutionError as exc:
        ret["comment"] = f"user {name}@{host}: {exc}"
        return ret
    if not again["exists"] or not again["password_ok"] or again["missing_grants"]:
        ret["comment"] = f"user {name}@{host} not as wanted after applying: {again}"
        return ret
    ret.update(
        result=True, comment=f"user {name}@{host} updated: {', '.join(todo)}", changes=changes
    )
    return ret
