"""Execution module: facts and operator actions for a Galera member run by the stacksalt agent.

Thin adapter: parsing and decisions live in :mod:`stacksalt.galera`; SQL goes through PyMySQL,
never with a password on a command line: on the local socket (unix_socket authentication),
or — for a Job in its own pod — over TCP to ``db_host:db_port`` (the Galera writer) as
``admin_user``, whose password is read from the pillar at ``admin_pillar``. An account's
own password may likewise be read from the pillar at ``password_pillar``.
"""

from salt.exceptions import CommandExecutionError

try:
    import pymysql

    from stacksalt.etcdstore import EtcdUnavailable
    from stacksalt.galera import mysqld, restart
    from stacksalt.galera.store import GaleraStore

    HAS_LIBS = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_LIBS = False

__virtualname__ = "galera_cluster"


def __virtual__():
    if not HAS_LIBS:
        return False, "galera_cluster: PyMySQL or the stacksalt package is not installed"
    return __virtualname__


def _secret(pillar_key):
    # Salt 3008 masks pillar values read by modules unless asked plainly; the value stays
    # inside this module (errors name the key, never the value).
    value = __salt__["pillar.get"](pillar_key, None, unmask=True)
    if not value:
        raise CommandExecutionError(
            f"pillar {pillar_key} is empty: generate the secret with "
            "'stacksalt secrets init --cluster CLUSTER' or fix the pillar key"
        )
    return str(value)


def _password(password=None, password_pillar=None):
    """The account's password: from the pillar at ``password_pillar`` (preferred), else the
    ``password`` argument (the socket-mode callers of before)."""
    if password_pillar:
        return _secret(password_pillar)
    if not password:
        raise CommandExecutionError("no password: give password_pillar (a pillar key)")
    return password


def _where(socket=None, db_host=None, db_port=3306, admin_user="root"):
    if db_host:
        return f"MariaDB at {db_host}:{db_port} as {admin_user}"
    return f"MariaDB on socket {socket or mysqld.MysqldConfig().socket}"


def _connect(socket=None, db_host=None, db_port=3306, admin_user="root", admin_pillar=None):
    """A PyMySQL connection: over TCP as ``admin_user`` when ``db_host`` is given, else on the
    local socket as root."""
    if not db_host:
        return mysqld.connect(_cfg(socket))
    try:
        return pymysql.connect(
            host=db_host,
            port=int(db_port),
            user=admin_user,
            password=_secret(admin_pillar) if admin_pillar else "",
            connect_timeout=5,
            read_timeout=30,
            write_timeout=30,
            autocommit=True,
        )
    except pymysql.MySQLError as exc:
        raise CommandExecutionError(
            f"cannot connect to {_where(socket, db_host, db_port, admin_user)}: {exc}; check "
            f"that the Galera writer answers there and the admin password (pillar "
            f"{admin_pillar})"
        ) from exc


def _sql(what, conn_args, fn):
    """Run ``fn(cursor)`` on a connection made from ``conn_args``; SQL errors become
    CommandExecutionError naming the server and what was attempted."""
    try:
        with _connect(**conn_args) as conn, conn.cursor() as cur:
            return fn(cur)
    except pymysql.MySQLError as exc:
        raise CommandExecutionError(f"{_where(**_no_secret(conn_args))}: {what}: {exc}") from exc


def _no_secret(conn_args):
    return {k: v for k, v in conn_args.items() if k != "admin_pillar"}


def _conn_args(socket, db_host, db_port, admin_user, admin_pillar):
    return {
        "socket": socket,
        "db_host": db_host,
        "db_port": db_port,
        "admin_user": admin_user,
        "admin_pillar": admin_pillar,
    }


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
    try:
        return GaleraStore.connect(endpoints, cluster).summary()
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
    try:
        GaleraStore.connect(endpoints, cluster).request_recovery()
    except EtcdUnavailable as exc:
        raise CommandExecutionError(str(exc)) from exc
    return True


def database_exists(
    name, socket=None, db_host=None, db_port=3306, admin_user="root", admin_pillar=None
):
    """
    True when the database exists: on the local server (``socket``), or over TCP on
    ``db_host:db_port`` as ``admin_user`` with the password at pillar key ``admin_pillar``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.database_exists keystone
        salt-call galera_cluster.database_exists nova db_host=10.0.0.10 db_port=3306 \\
            admin_user=root admin_pillar=openstack:database:admin:password
    """
    args = _conn_args(socket, db_host, db_port, admin_user, admin_pillar)

    def look(cur):
        cur.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name=%s", (name,))
        return cur.fetchone() is not None

    return _sql(f"looking for database {name}", args, look)


def database_create(
    name, socket=None, db_host=None, db_port=3306, admin_user="root", admin_pillar=None
):
    """
    Create a database (utf8mb4), on the local server or over TCP (see
    :func:`database_exists`).

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.database_create keystone
    """
    if not _valid_name(name):
        raise CommandExecutionError(f"invalid database name {name!r}")
    args = _conn_args(socket, db_host, db_port, admin_user, admin_pillar)

    def create(cur):
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")

    _sql(f"CREATE DATABASE {name}", args, create)
    return True


def _valid_name(name):
    return bool(name) and all(c.isalnum() or c == "_" for c in name)


def user_state(
    name,
    host,
    password=None,
    grants=(),
    socket=None,
    password_pillar=None,
    db_host=None,
    db_port=3306,
    admin_user="root",
    admin_pillar=None,
):
    """
    Compare an account with the wanted password and grants; return what differs.

    Returns ``{"exists": bool, "password_ok": bool, "missing_grants": [...]}``. The password
    (from the pillar at ``password_pillar``, or ``password``) is compared by the server with
    ``PASSWORD()``, never shown. Over TCP with ``db_host`` (see :func:`database_exists`).

    CLI Example:

    .. code-block:: bash

        salt-call galera_cluster.user_state nova % \\
            password_pillar=openstack:database:users:nova:password \\
            grants='["ALL PRIVILEGES ON `nova`.*"]' db_host=10.0.0.10 \\
            admin_pillar=openstack:database:admin:password
    """
    secret = _password(password, password_pillar)
    args = _conn_args(socket, db_host, db_port, admin_user, admin_pillar)

    def look(cur):
        cur.execute("SELECT 1 FROM mysql.user WHERE user=%s AND host=%s", (name, host))
        exists = cur.fetchone() is not None
        have, password_ok = [], False
        if exists:
            cur.execute("SHOW GRANTS FOR %s@%s", (name, host))
            have = [row[0] for row in cur.fetchall()]
            cur.execute(
                "SELECT authentication_string = PASSWORD(%s) FROM mysql.user "
                "WHERE user=%s AND host=%s",
                (secret, name, host),
            )
            row = cur.fetchone()
            password_ok = bool(row and row[0])
        return exists, have, password_ok

    exists, have, password_ok = _sql(f"looking at account {name}@{host}", args, look)
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


def user_apply(
    name,
    host,
    password=None,
    grants=(),
    socket=None,
    password_pillar=None,
    db_host=None,
    db_port=3306,
    admin_user="root",
    admin_pillar=None,
):
    """
    Create or update an account and its grants (password through PyMySQL only; from the
    pillar at ``password_pillar``, or ``password``). Over TCP with ``db_host``.

    CLI Example:

    .. code-block:: bash

        salt-call galera_cluster.user_apply nova % \\
            password_pillar=openstack:database:users:nova:password \\
            grants='["ALL PRIVILEGES ON `nova`.*"]'
    """
    secret = _password(password, password_pillar)
    args = _conn_args(socket, db_host, db_port, admin_user, admin_pillar)

    def apply(cur):
        cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (name, host, secret))
        cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (name, host, secret))
        for grant in grants:
            privs, _, target = grant.partition(" ON ")
            cur.execute(f"GRANT {privs} ON {target} TO %s@%s", (name, host))  # noqa: S608

    _sql(f"creating or updating account {name}@{host}", args, apply)
    return True


def is_leader(cluster, node, endpoints):
    """
    True when ``node`` is the cluster's leader (the single writer) in etcd.

    CLI Example:

    .. code-block:: bash

        salt ctl01 galera_cluster.is_leader local ctl01 '["http://10.77.1.11:2379"]'
    """
    try:
        return GaleraStore.connect(endpoints, cluster).leader() == node
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
