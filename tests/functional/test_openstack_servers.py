"""Real servers for the OpenStack bootstrap tests, started by their fixtures and stopped by
PID: MariaDB (Debian ``mariadb-server``), RabbitMQ with the management plugin (the
formula's own config templates, as ``rabbitmq_nodes`` starts them) and keystone (Debian
``python3-keystone``: SQLite in WAL mode, fernet tokens, served by ``wsgiref`` under the
system Python). Each on loopback, on ports found free, with its data in pytest's tmp dir.

A missing tool skips the tests that need it, except under ``CI=true``, where it fails them:
``make setup`` installs every package these tests use (docker-salt/bin/setup-host.sh).

The keystone tests can instead run against a keystone you give: ``STACKSALT_KEYSTONE_URL``
(its /v3 URL), ``STACKSALT_KEYSTONE_ADMIN_PASSWORD`` (admin of project admin, domain
Default; objects named ``ostest-*`` are created in it).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import jinja2
import pymysql
import pytest
import requests

from tests.tools import missing

from .rabbitmq_nodes import FILES, HAS_RABBITMQ, LoopbackCluster, free_port_block

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
SYSTEM_PYTHON = "/usr/bin/python3"
HAS_MARIADB = os.access(MARIADBD, os.X_OK) and os.access(INSTALL_DB, os.X_OK)


def has_keystone() -> bool:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    res = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import keystone.server.wsgi"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return res.returncode == 0


def need(available: bool, what: str) -> None:
    """Skip (or, under CI=true, fail) when a tool the test needs is missing."""
    if not available:
        missing(what)


def _wait_port(port: int, proc: subprocess.Popen, what: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {_tail(log)}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s: {_tail(log)}")


def _tail(path: Path, chars: int = 2000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


def _stop(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    """SIGTERM to the process's session, then SIGKILL; by PID only."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# ---------------------------------------------------------------------------------- MariaDB


class MariaDB:
    """One mariadbd: root over its socket (unix_socket auth), ``admin`` over TCP."""

    ADMIN = "stacksalt_admin"

    def __init__(self, base: Path, admin_password: str):
        self.base = base
        self.datadir = base / "data"
        self.socket = str(base / "mysqld.sock")
        self.port = free_port_block(1, 30000, 40000)
        self.log = base / "mariadbd.log"
        self.admin_password = admin_password
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        res = subprocess.run(
            [
                INSTALL_DB,
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--skip-test-db",
                "--auth-root-authentication-method=socket",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if res.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {res.stderr[-2000:]}")
        self.proc = subprocess.Popen(
            [
                MARIADBD,
                "--no-defaults",
                "--user=root",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.base / 'mariadbd.pid'}",
                f"--log-error={self.log}",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=16M",
                "--innodb-log-file-size=8M",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_port(self.port, self.proc, "mariadbd", self.log, 60)
        with self.root() as conn, conn.cursor() as cur:
            cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (self.ADMIN, self.admin_password))
            cur.execute("GRANT ALL PRIVILEGES ON *.* TO %s@'%%' WITH GRANT OPTION", (self.ADMIN,))

    def root(self):
        return pymysql.connect(unix_socket=self.socket, user="root", autocommit=True)

    def login(self, user: str, password: str, database: str | None = None):
        """A TCP connection as ``user`` (raises pymysql errors when refused)."""
        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user=user,
            password=password,
            database=database,
            connect_timeout=5,
            autocommit=True,
        )

    def databases(self) -> set[str]:
        with self.root() as conn, conn.cursor() as cur:
            cur.execute("SHOW DATABASES")
            return {row[0] for row in cur.fetchall()}

    def close(self) -> None:
        _stop(self.proc)


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    need(HAS_MARIADB, "mariadb-server (mariadbd, mariadb-install-db)")
    server = MariaDB(tmp_path_factory.mktemp("mariadb"), "admin-tcp-Functional-7d1e")
    try:
        server.start()
        yield server
    finally:
        server.close()


# ---------------------------------------------------------------------------------- RabbitMQ


class RabbitManagement:
    """One RabbitMQ node with the management plugin, and an administrator for its API."""

    ADMIN = "stacksalt-admin"

    def __init__(self, base: Path, admin_password: str):
        self.cluster = LoopbackCluster(base, count=1, prefix="mgmt", cluster="openstack")
        self.name = self.cluster.names[0]
        node = self.cluster.nodes[self.name]
        # The formula's templates again, with the management listener switched on.
        node.cfg["management_port"] = self.cluster.epmd_port + 13
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(FILES), autoescape=False)
        conf = Path(node.cfg["conf_dir"])
        for template, out in (
            ("rabbitmq.conf.jinja", "rabbitmq.conf"),
            ("enabled_plugins.jinja", "enabled_plugins"),
        ):
            (conf / out).write_text(env.get_template(template).render(cfg=node.cfg))
        self.port = node.cfg["management_port"]
        self.api_url = f"http://127.0.0.1:{self.port}"
        self.admin_password = admin_password

    def start(self) -> None:
        self.cluster.start_epmd()
        self.cluster.start(self.name)
        self.cluster.wait_ready(self.name, timeout=120)
        self.ctl_ok("add_user", self.ADMIN, stdin=self.admin_password)
        self.ctl_ok("set_user_tags", self.ADMIN, "administrator")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                resp = requests.get(
                    f"{self.api_url}/api/overview",
                    auth=(self.ADMIN, self.admin_password),
                    timeout=5,
                )
                if resp.status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"management API not answering on {self.api_url}")

    def ctl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = dict(os.environ, **self.cluster.ctl_env())
        return subprocess.run(
            ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", self.name, "-q", *args],
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def ctl_ok(self, *args: str, stdin: str | None = None) -> str:
        res = self.ctl(*args, stdin=stdin)
        if res.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {args[0]}: {res.stderr}")
        return res.stdout

    def authenticates(self, user: str, password: str) -> bool:
        return self.ctl("authenticate_user", user, stdin=password).returncode == 0

    def close(self) -> None:
        self.cluster.close()


@pytest.fixture(scope="module")
def rabbitmq_api(tmp_path_factory):
    need(HAS_RABBITMQ, "rabbitmq-server")
    server = RabbitManagement(tmp_path_factory.mktemp("rabbitmq-api"), "rmq-admin-Functional-41")
    try:
        server.start()
        yield server
    finally:
        server.close()


# ---------------------------------------------------------------------------------- keystone

KEYSTONE_CONF = """[DEFAULT]
log_dir = {base}
[database]
connection = sqlite:///{base}/keystone.db
[fernet_tokens]
key_repository = {base}/fernet-keys
[credential]
key_repository = {base}/credential-keys
[token]
provider = fernet
"""

# keystone-manage's four steps in one interpreter (one import of keystone instead of four).
KEYSTONE_SETUP = """
import sqlite3, sys
from keystone.cmd import cli
conf, base, url = sys.argv[1:4]
for args in (
    ["db_sync"],
    ["fernet_setup", "--keystone-user", "root", "--keystone-group", "root"],
    ["credential_setup", "--keystone-user", "root", "--keystone-group", "root"],
    ["bootstrap", "--bootstrap-username", "admin", "--bootstrap-project-name", "admin",
     "--bootstrap-role-name", "admin", "--bootstrap-service-name", "keystone",
     "--bootstrap-region-id", "RegionOne", "--bootstrap-public-url", url,
     "--bootstrap-internal-url", url],
):
    try:
        cli.main(argv=["keystone-manage", "--config-file", conf, *args])
    except SystemExit as exc:
        if exc.code:
            raise
    cli.CONF.clear()
    cli.CONF.unregister_opt(cli.command_opt)
# WAL: a reader's open transaction does not block the next request's commit.
sqlite3.connect(base + "/keystone.db").execute("PRAGMA journal_mode=WAL").fetchall()
"""

KEYSTONE_SERVE = """
import os, sys
os.environ["OS_KEYSTONE_CONFIG_FILES"] = sys.argv[1]
port = int(sys.argv[2])
sys.argv = sys.argv[:1]
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from keystone.server.wsgi import initialize_public_application
app = initialize_public_application()
class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass
make_server("127.0.0.1", port, app, server_class=WSGIServer, handler_class=Quiet).serve_forever()
"""


class Keystone:
    """A keystone on loopback (``url``: its /v3), or the one the environment names."""

    def __init__(self, base: Path, admin_password: str):
        self.base = base
        self.port = free_port_block(1, 40000, 50000)
        self.url = f"http://127.0.0.1:{self.port}/v3"
        self.admin_password = admin_password
        self.log = base / "keystone.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        conf = self.base / "keystone.conf"
        conf.write_text(KEYSTONE_CONF.format(base=self.base))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["OS_BOOTSTRAP_PASSWORD"] = self.admin_password
        res = subprocess.run(
            [SYSTEM_PYTHON, "-c", KEYSTONE_SETUP, str(conf), str(self.base), self.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if res.returncode != 0:
            raise RuntimeError(f"keystone setup failed: {res.stderr[-3000:]}")
        env.pop("OS_BOOTSTRAP_PASSWORD")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [SYSTEM_PYTHON, "-c", KEYSTONE_SERVE, str(conf), str(self.port)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_port(self.port, self.proc, "keystone", self.log, 120)

    def close(self) -> None:
        _stop(self.proc)


class GivenKeystone:
    def __init__(self, url: str, admin_password: str):
        self.url, self.admin_password = url, admin_password

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def keystone(tmp_path_factory):
    given = os.environ.get("STACKSALT_KEYSTONE_URL")
    if given:
        yield GivenKeystone(given, os.environ["STACKSALT_KEYSTONE_ADMIN_PASSWORD"])
        return
    need(has_keystone(), "keystone (Debian python3-keystone)")
    server = Keystone(tmp_path_factory.mktemp("keystone"), "ks-admin-Functional-93")
    try:
        server.start()
        yield server
    finally:
        server.close()
