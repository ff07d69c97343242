"""Real RabbitMQ nodes on loopback for the functional tests and the benchmark.

Each node gets the files the ``rabbitmq`` formula renders (``rabbitmq.conf``,
``rabbitmq-env.conf``, ``enabled_plugins``, the cookie in its data directory), rendered from
the formula's own templates, and is started the way the formula's systemd unit starts it:
``/usr/lib/rabbitmq/bin/rabbitmq-server`` as root with the env file's ``RABBITMQ_*``
variables. Distinct ports per node, a private ``epmd`` on its own port, every process in its
own session, stopped by PID, hard timeouts everywhere.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "formulas" / "rabbitmq" / "rabbitmq" / "files"
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
EPMD_CANDIDATES = ("/usr/lib/erlang/bin/epmd", "/usr/bin/epmd")
HAS_RABBITMQ = os.access(RABBITMQ_SERVER, os.X_OK) and os.access(RABBITMQCTL, os.X_OK)
COOKIE = "FUNCTIONALTESTCOOKIEABCDEFGHIJKL"


def free_port_block(count: int, start: int = 20000, end: int = 60000) -> int:
    """The first port of ``count`` consecutive ports that are free on 127.0.0.1 right now."""
    base = start + (os.getpid() * 37) % (end - start - count)
    for _ in range(200):
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            base = start + (base - start + count + 17) % (end - start - count)
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no block of free ports found")


def _epmd() -> str:
    for path in EPMD_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    found = sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))
    if found:
        return str(found[-1])
    raise RuntimeError("epmd not found (package erlang-base)")


@dataclass
class Node:
    """One RabbitMQ node: its rendered config (``cfg``), files and process."""

    name: str
    cfg: dict
    env: dict
    log: Path
    proc: subprocess.Popen | None = None
    starts: list[float] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.cfg["port"]

    @property
    def pid_file(self) -> Path:
        return Path(self.cfg["pid_file"])

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class LoopbackCluster:
    """``count`` RabbitMQ nodes ``<prefix>N@localhost`` sharing one private epmd and cookie."""

    def __init__(self, base: Path, count: int = 3, prefix: str = "rabbit", cluster: str = "t"):
        self.base = base
        ports = free_port_block(2 * count + 12)
        self.epmd_port = ports
        self.ctl_min, self.ctl_max = ports + 1, ports + 10
        self.cluster_name = cluster
        self.nodes: dict[str, Node] = {}
        self._epmd_proc: subprocess.Popen | None = None
        env_jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(FILES), autoescape=False)
        for i in range(1, count + 1):
            name = f"{prefix}{i}@localhost"
            data_dir = base / f"{prefix}{i}"
            cfg = {
                "name": f"{prefix}{i}",
                "node": name,
                "host": "localhost",
                "cluster_name": cluster,
                "bind_address": "127.0.0.1",
                "port": ports + 11 + 2 * (i - 1),
                "dist_port": ports + 12 + 2 * (i - 1),
                "management_port": None,
                "data_dir": str(data_dir),
                "mnesia_base": f"{data_dir}/mnesia",
                "pid_file": f"{data_dir}/rabbitmq.pid",
                "conf_dir": str(base / f"{prefix}{i}-etc"),
                "log_dir": str(base / f"{prefix}{i}-log"),
                "memory_high_watermark": 0.4,
                "disk_free_limit": "50MB",
            }
            for key in ("data_dir", "conf_dir", "log_dir"):
                Path(cfg[key]).mkdir(parents=True, exist_ok=True)
            conf = Path(cfg["conf_dir"])
            for template, out in (
                ("rabbitmq.conf.jinja", "rabbitmq.conf"),
                ("rabbitmq-env.conf.jinja", "rabbitmq-env.conf"),
                ("enabled_plugins.jinja", "enabled_plugins"),
            ):
                (conf / out).write_text(env_jinja.get_template(template).render(cfg=cfg))
            cookie = data_dir / ".erlang.cookie"
            cookie.write_text(COOKIE)
            cookie.chmod(0o400)
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("RABBITMQ_", "ERL_", "PYTEST_"))
            }
            env.update(_read_env_file(conf / "rabbitmq-env.conf"))
            env.update(self.ctl_env())
            env["HOME"] = str(data_dir)
            env["RABBITMQ_CONF_ENV_FILE"] = str(conf / "rabbitmq-env.conf")
            self.nodes[name] = Node(name, cfg, env, Path(cfg["log_dir"]) / "stdout.log")

    # ------------------------------------------------------------------ environment

    def ctl_env(self, home: str | None = None) -> dict:
        """Extra environment for rabbitmqctl (the module's ``env`` argument)."""
        env = {
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_CTL_DIST_PORT_MIN": str(self.ctl_min),
            "RABBITMQ_CTL_DIST_PORT_MAX": str(self.ctl_max),
        }
        if home is None and self.nodes:
            home = next(iter(self.nodes.values())).cfg["data_dir"]
        if home:
            env["HOME"] = home
        return env

    @property
    def names(self) -> list[str]:
        return list(self.nodes)

    def ctl(self, node: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        env = dict(os.environ, **self.ctl_env())
        return subprocess.run(
            [RABBITMQCTL, "-n", node, "-q", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # ------------------------------------------------------------------ processes

    def start_epmd(self) -> None:
        self._epmd_proc = subprocess.Popen(
            [_epmd(), "-port", str(self.epmd_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.epmd_port)) == 0:
                    return
            if self._epmd_proc.poll() is not None:
                raise RuntimeError(f"epmd exited with {self._epmd_proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError("epmd did not listen within 10 s")

    def start(self, name: str) -> None:
        node = self.nodes[name]
        if node.running():
            raise RuntimeError(f"{name} already runs")
        node.pid_file.unlink(missing_ok=True)
        node.proc = subprocess.Popen(
            [RABBITMQ_SERVER],
            env=node.env,
            cwd=node.cfg["data_dir"],
            stdin=subprocess.DEVNULL,
            stdout=node.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        node.starts.append(time.monotonic())

    def wait_ready(self, name: str, timeout: float = 90) -> float:
        """Wait until the node's app runs (``await_startup``); return seconds since start."""
        node = self.nodes[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not node.running():
                raise RuntimeError(f"{name} exited: {self.tail(name)}")
            res = self.ctl(name, "await_startup", "-t", "5", timeout=20)
            if res.returncode == 0:
                return time.monotonic() - node.starts[-1]
            time.sleep(0.3)
        raise RuntimeError(f"{name} not ready within {timeout} s: {self.tail(name)}")

    def start_all(self, timeout: float = 120) -> None:
        for name in self.nodes:
            self.start(name)
        for name in self.nodes:
            self.wait_ready(name, timeout)

    def stop(self, name: str, timeout: float = 60) -> None:
        """Graceful stop: ``rabbitmqctl stop PIDFILE`` waits for the process to exit."""
        node = self.nodes[name]
        if not node.running():
            return
        res = self.ctl(name, "stop", str(node.pid_file), timeout=timeout)
        try:
            node.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(name)
            raise RuntimeError(f"{name} did not stop ({res.stderr.strip()}); killed") from None

    def kill(self, name: str) -> None:
        """``kill -9`` of the node's whole session (beam and its helpers), by PID."""
        node = self.nodes[name]
        if node.proc is None or node.proc.poll() is not None:
            return
        os.killpg(node.proc.pid, signal.SIGKILL)
        node.proc.wait(timeout=30)

    def tail(self, name: str, chars: int = 1500) -> str:
        node = self.nodes[name]
        text = node.log.read_text(errors="replace") if node.log.exists() else ""
        return text[-chars:]

    def close(self) -> None:
        for name in self.nodes:
            try:
                self.stop(name, timeout=30)
            except (RuntimeError, subprocess.TimeoutExpired):
                self.kill(name)
        if self._epmd_proc is not None and self._epmd_proc.poll() is None:
            os.killpg(self._epmd_proc.pid, signal.SIGKILL)
            self._epmd_proc.wait(timeout=10)


def _read_env_file(path: Path) -> dict:
    """``KEY=VALUE`` lines, as systemd's ``EnvironmentFile=`` reads them."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out
