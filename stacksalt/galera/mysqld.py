"""Controlling one MariaDB Galera server process: datadir, recovery, start, status, stop.

All SQL goes through PyMySQL on the local socket as root (unix_socket authentication): no
password is ever put on a command line.
"""

from __future__ import annotations

import os
import pwd
import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pymysql

from stacksalt.galera.facts import (
    GraState,
    RecoveredPosition,
    parse_grastate,
    parse_recovered_position,
)


class MysqldError(RuntimeError):
    pass


@dataclass(frozen=True)
class MysqldConfig:
    defaults_file: str = "/etc/mysql/galera.cnf"
    datadir: str = "/var/lib/mysql"
    socket: str = "/run/mysqld/mysqld.sock"
    user: str = "mysql"
    binary: str = "/usr/sbin/mariadbd"
    log: str = "/var/log/mysql/galera-agent-mysqld.log"

    @property
    def grastate(self) -> Path:
        return Path(self.datadir) / "grastate.dat"

    @property
    def pidfile(self) -> Path:
        return Path(self.datadir) / "mariadbd.pid"


def read_grastate(cfg: MysqldConfig) -> tuple[str | None, GraState | None]:
    """The raw text and parsed ``grastate.dat``; ``(None, None)`` for a blank datadir and
    ``(text, None)`` for an empty file (what a join that died in its state transfer leaves:
    no recorded position, the same as none)."""
    try:
        text = cfg.grastate.read_text()
    except FileNotFoundError:
        return None, None
    if not any(line.strip() and not line.strip().startswith("#") for line in text.splitlines()):
        return text, None
    return text, parse_grastate(text, str(cfg.grastate))


def has_innodb_data(cfg: MysqldConfig) -> bool:
    """True when the datadir holds an InnoDB system tablespace (a position may be in it)."""
    return (Path(cfg.datadir) / "ibdata1").exists()


def set_safe_to_bootstrap(cfg: MysqldConfig) -> None:
    text = cfg.grastate.read_text()
    new = re.sub(r"(?m)^safe_to_bootstrap:\s*\d+\s*$", "safe_to_bootstrap: 1", text)
    if new == text and "safe_to_bootstrap" not in text:
        new = text.rstrip("\n") + "\nsafe_to_bootstrap: 1\n"
    cfg.grastate.write_text(new)


def forget_position(cfg: MysqldConfig) -> None:
    """``seqno: -1`` in grastate.dat: the next join asks for a full state transfer (SST)
    instead of the writesets after its position (IST), which a joiner whose history diverged
    (a forced bootstrap from an older member) cannot apply."""
    try:
        text = cfg.grastate.read_text()
    except FileNotFoundError:
        return
    cfg.grastate.write_text(re.sub(r"(?m)^seqno:\s*-?\d+\s*$", "seqno:   -1", text))


def _owner(path: str, user: str) -> None:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def prepare_dirs(cfg: MysqldConfig) -> None:
    for path in (
        os.path.dirname(cfg.socket),
        os.path.dirname(cfg.log),
        os.path.join(os.path.dirname(cfg.log), "sst"),
    ):
        os.makedirs(path, exist_ok=True)
        _owner(path, cfg.user)


def ensure_datadir(cfg: MysqldConfig) -> bool:
    """Create the system tables when the datadir has none; True when it did."""
    if (Path(cfg.datadir) / "mysql").is_dir():
        return False
    os.makedirs(cfg.datadir, exist_ok=True)
    _owner(cfg.datadir, cfg.user)
    res = subprocess.run(
        [
            "mariadb-install-db",
            f"--defaults-file={cfg.defaults_file}",
            f"--user={cfg.user}",
            f"--datadir={cfg.datadir}",
            "--skip-test-db",
            "--auth-root-authentication-method=socket",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise MysqldError(f"mariadb-install-db failed: {res.stderr[-2000:]}")
    return True


def wsrep_recover(cfg: MysqldConfig, timeout: float = 120) -> RecoveredPosition:
    """Run ``mariadbd --wsrep-recover`` and parse "Recovered position" from its log."""
    # mariadbd opens its socket before it recovers: without the socket's folder (a fresh
    # container, or a host whose /run/mysqld no unit or tmpfiles.d created) it aborts first.
    prepare_dirs(cfg)
    with tempfile.NamedTemporaryFile("r", suffix=".log", dir="/tmp") as log:
        _owner(log.name, cfg.user)
        res = subprocess.run(
            [
                cfg.binary,
                f"--defaults-file={cfg.defaults_file}",
                f"--user={cfg.user}",
                "--wsrep-recover",
                f"--log-error={log.name}",
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        text = Path(log.name).read_text()
    if res.returncode != 0:
        raise MysqldError(f"mariadbd --wsrep-recover exited {res.returncode}: {text[-1500:]}")
    return parse_recovered_position(text, "mariadbd --wsrep-recover")


def start(
    cfg: MysqldConfig,
    new_cluster: bool,
    start_position: str | None,
    donors: list[str] | tuple[str, ...] = (),
) -> subprocess.Popen:
    """Start mariadbd in the background (its own session) and return the process. ``donors``
    (member names, best first) become ``--wsrep-sst-donor`` with a trailing comma: Galera
    tries them in order for SST and IST, then any other member."""
    prepare_dirs(cfg)
    cmd = [
        cfg.binary,
        f"--defaults-file={cfg.defaults_file}",
        f"--user={cfg.user}",
        f"--pid-file={cfg.pidfile}",
    ]
    if new_cluster:
        cmd.append("--wsrep-new-cluster")
    if start_position:
        cmd.append(f"--wsrep-start-position={start_position}")
    if donors and not new_cluster:
        cmd.append(f"--wsrep-sst-donor={','.join(donors)},")
    log = open(cfg.log, "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def running_pid(cfg: MysqldConfig) -> int | None:
    """The pid of a mariadbd serving this datadir (from its pid file), if alive."""
    try:
        pid = int(cfg.pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return None
    return pid if b"mariadbd" in cmdline or b"mysqld" in cmdline else None


def stop(pid: int, timeout: float = 60) -> None:
    """SIGTERM, wait, then SIGKILL."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)


def connect(cfg: MysqldConfig, timeout: float = 2):
    return pymysql.connect(
        unix_socket=cfg.socket,
        user="root",
        connect_timeout=timeout,
        read_timeout=timeout * 3,
        write_timeout=timeout * 3,
        autocommit=True,
    )


def wsrep_status(cfg: MysqldConfig) -> dict[str, str]:
    """``SHOW GLOBAL STATUS LIKE 'wsrep%'`` as lower-case names → strings.

    Raises ``pymysql.MySQLError`` when the server does not answer.
    """
    with connect(cfg) as conn, conn.cursor() as cur:
        cur.execute("SHOW GLOBAL STATUS LIKE 'wsrep%%'")
        return {str(k).lower(): str(v) for k, v in cur.fetchall()}


def ensure_admin(cfg: MysqldConfig, user: str, password: str) -> bool:
    """The cluster's administrator account ``user@'%'`` (all privileges, grant option): what
    Jobs that create a service's database and user log in as, over TCP through the writer.
    Run by the leader; DDL replicates to every member. The password goes as a query
    parameter, never on a command line or in a log. Writes only when the account differs from
    the configuration; returns whether it wrote."""
    if not re.fullmatch(r"[A-Za-z0-9_]{1,80}", user):
        raise MysqldError(f"admin user {user!r}: letters, digits and '_' only")
    with connect(cfg) as conn, conn.cursor() as cur:
        # never hold the agent's loop for long behind a lock (a donor's backup stage)
        cur.execute("SET SESSION lock_wait_timeout = 5")
        # with arguments PyMySQL formats the statement ('%%' is a '%'), without it does not
        cur.execute("SELECT PASSWORD(%s)", (password,))
        (digest,) = cur.fetchone()
        if admin_as_configured(_grants(cur, user), user, digest):
            return False  # no write: a write replicates to joiners in the middle of their IST
        cur.execute(f"CREATE USER IF NOT EXISTS `{user}`@'%%' IDENTIFIED BY %s", (password,))
        cur.execute(f"ALTER USER `{user}`@'%%' IDENTIFIED BY %s", (password,))
        cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO `{user}`@'%' WITH GRANT OPTION")
        return True


def _grants(cur, user: str) -> list[str]:
    try:
        cur.execute(f"SHOW GRANTS FOR `{user}`@'%'")
    except pymysql.err.OperationalError as exc:
        if exc.args and exc.args[0] == 1141:  # no such grant: the account does not exist
            return []
        raise
    return [row[0] for row in cur.fetchall()]


def admin_as_configured(grants: list[str], user: str, digest: str) -> bool:
    """Whether ``SHOW GRANTS`` lines give ``user``@'%' every privilege with grant option and
    the password whose ``PASSWORD()`` digest is ``digest``."""
    want = (
        f"GRANT ALL PRIVILEGES ON *.* TO `{user}`@`%` IDENTIFIED BY PASSWORD '{digest}' "
        "WITH GRANT OPTION"
    )
    return want in grants
