"""Execution module: facts and operator actions for a Galera member run by the stacksalt agent.

Thin adapter: parsing and decisions live in :mod:`stacksalt.galera`; SQL goes through PyMySQL
on the local socket (unix_socket authentication), never with a password on a command line.
"""

import json

from salt.exceptions import CommandExecutionError

try:
    import pymysql

    from stacksalt.etcdstore import EtcdStore, EtcdUnavailable
    from stacksalt.galera import mysqld, restart

    HAS_LIBS = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_LIBS = False

__virtualname__ = "galera_cluster"


def __virtual__():
    if not HAS_LIBS:
        return False, "galera_cluster: PyMySQL or the stacksalt package is not installed"
    return __virtualname__


def _cfg(socket=None, datadir=None):
    kwargs = {}
    if socket:
        kwargs["socket"] = socket
    if datadir:
        kwargs["datadir"] = datadir
    return mysqld.MysqldConfig(**kwargs)


def wsrep_status(socket=None):
    """
    Return the wsrep status variables of the local server (empty when it does not answer).

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.wsrep_status
    """
    try:
        return mysqld.wsrep_status(_cfg(socket))
    except pymysql.MySQLError:
        return {}


def grastate(datadir="/var/lib/mysql"):
    """
    Return uuid, seqno and safe_to_bootstrap from grastate.dat (None for a blank datadir).

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.grastate
    """
    try:
        _text, state = mysqld.read_grastate(_cfg(datadir=datadir))
    except ValueError as exc:
        raise CommandExecutionError(str(exc)) from exc
    if state is None:
        return None
    return {"uuid": state.uuid, "seqno": state.seqno, "safe_to_bootstrap": state.safe_to_bootstrap}


def etcd_status(cluster, endpoints):
    """
    Return the cluster's records in etcd: state, uuid, leader, live nodes, per-node status.

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.etcd_status local '["http://10.77.1.11:2379"]'
    """
    store = EtcdStore(list(endpoints), f"/galera/{cluster}")
    try:
        statuses = {k: json.loads(v) for k, v in store.get_prefix("status").items()}
        return {
            "state": store.get("state"),
            "uuid": store.get("uuid"),
            "leader": store.get("leader"),
            "nodes": sorted(store.get_prefix("nodes")),
            "status": statuses,
        }
    except EtcdUnavailable as exc:
        raise CommandExecutionError(str(exc)) from exc


def set_recovery(cluster, endpoints):
    """
    Ask for a full recovery (spec "Full cluster restart"): set state to RECOVERY.

    Restart the members' agents afterwards; the member with the newest data bootstraps.

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.set_recovery local '["http://10.77.1.11:2379"]'
    """
    store = EtcdStore(list(endpoints), f"/galera/{cluster}")
    store.put("state", "RECOVERY")
    return True


def database_exists(name, socket=None):
    """
    True when the database exists on the local server.

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.database_exists keystone
    """
    with mysqld.connect(_cfg(socket)) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name=%s", (name,))
        return cur.fetchone() is not None


def database_create(name, socket=None):
    """
    Create a database (utf8mb4).

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.database_create keystone
    """
    if not _valid_name(name):
        raise CommandExecutionError(f"invalid database name {name!r}")
    with mysqld.connect(_cfg(socket)) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    return True


def _valid_name(name):
    return bool(name) and all(c.isalnum() or c == "_" for c in name)


def user_state(name, host, password, grants, socket=None):
    """
    Compare an account with the wanted password and grants; return what differs.

    Returns ``{"exists": bool, "password_ok": bool, "missing_grants": [...]}``. The password
    is checked by logging in over TCP to the local server, never shown.
    """
    cfg = _cfg(socket)
    with mysqld.connect(cfg) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM mysql.user WHERE user=%s AND host=%s", (name, host))
        exists = cur.fetchone() is not None
        have = []
        if exists:
            cur.execute("SHOW GRANTS FOR %s@%s", (name, host))
            have = [row[0] for row in cur.fetchall()]
        password_ok = False
        if exists:
            cur.execute(
                "SELECT authentication_string = PASSWORD(%s) FROM mysql.user "
                "WHERE user=%s AND host=%s",
                (password, name, host),
            )
            row = cur.fetchone()
            password_ok = bool(row and row[0])
    missing = [g for g in grants if not any(_grant_matches(g, h, name) for h in have)]
    return {"exists": exists, "password_ok": password_ok, "missing_grants": missing}


def _grant_matches(wanted, have, user):
    privs, _, target = wanted.partition(" ON ")
    have_upper = have.upper()
    return (
        f" ON {target.strip()} TO ".upper() in have_upper
        and privs.strip().upper() in have_upper
        and f"`{user}`".upper() in have_upper
    )


def user_apply(name, host, password, grants, socket=None):
    """
    Create or update an account and its grants (password through PyMySQL only).
    """
    with mysqld.connect(_cfg(socket)) as conn, conn.cursor() as cur:
        cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (name, host, password))
        cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (name, host, password))
        for grant in grants:
            privs, _, target = grant.partition(" ON ")
            cur.execute(f"GRANT {privs} ON {target} TO %s@%s", (name, host))  # noqa: S608
    return True


def is_leader(cluster, node, endpoints):
    """
    True when ``node`` is the cluster's leader (the single writer) in etcd.

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.is_leader local ctl01 '["http://10.77.1.11:2379"]'
    """
    store = EtcdStore(list(endpoints), f"/galera/{cluster}")
    try:
        return store.get("leader") == node
    except EtcdUnavailable as exc:
        raise CommandExecutionError(str(exc)) from exc


def agent_started_at(service="stacksalt-galera"):
    """
    When the agent's main process started (epoch seconds), or None when it is not running.

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.agent_started_at
    """
    out = __salt__["cmd.run_stdout"](
        ["systemctl", "show", "--property=MainPID", "--value", service], python_shell=False
    ).strip()
    pid = int(out) if out.isdigit() else 0
    if not pid:
        return None
    try:
        return restart.process_started_at(pid)
    except (OSError, ValueError):  # it exited while we looked
        return None


def restart_due(files, service="stacksalt-galera"):
    """
    The configuration files modified after the agent started (it runs an older
    configuration); empty when it runs the current one.

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.restart_due '["/etc/mysql/galera.cnf"]'
    """
    return restart.changed_since(files, agent_started_at(service))
