"""The local image registry: Debian's ``docker-registry`` as a plain process on 127.0.0.1,
with TLS from a CA made per deployment and htpasswd (bcrypt) auth.

Everything lives in ``<state>/registry/`` (keys and the password file mode 0600); Docker
trusts the CA through ``/etc/docker/certs.d/127.0.0.1:<port>/ca.crt``. The password is the
deployment secret ``docker_registry_password`` (``pillar/<cluster>/secrets.yml``).
"""

from __future__ import annotations

import os
import secrets as _random
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

HOST = "127.0.0.1"
DEFAULT_PORT = 5443
DEFAULT_USER = "stacksalt"
PASSWORD_PARAM = "docker_registry_password"  # noqa: S105 - a secret's name, not its value
CERTS_D = Path("/etc/docker/certs.d")
PACKAGES = {"docker-registry": "/usr/bin/docker-registry", "apache2-utils": "/usr/bin/htpasswd"}


class RegistryError(RuntimeError):
    pass


@dataclass(frozen=True)
class Registry:
    state: Path  # <state>/registry
    port: int = DEFAULT_PORT
    certs_d: Path = CERTS_D

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def path(self, name: str) -> Path:
        return self.state / name

    @property
    def pid_file(self) -> Path:
        return self.path(f"registry-{self.port}.pid")

    @property
    def trust_file(self) -> Path:
        return self.certs_d / self.address / "ca.crt"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(f"{path}.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(f"{path}.tmp", path)
    os.chmod(path, 0o600)


def ensure_packages(log=print) -> None:
    """apt-get install docker-registry / apache2-utils when their binaries are missing."""
    missing = [pkg for pkg, binary in PACKAGES.items() if not Path(binary).exists()]
    if not missing:
        return
    log(f"installing Debian packages: {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
    ):
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if res.returncode != 0:
            raise RegistryError(f"{' '.join(cmd)} failed:\n{res.stderr[-1500:]}")


def ensure_certificates(reg: Registry, log=print) -> None:
    """A CA and a server certificate for 127.0.0.1/localhost, made once per deployment."""
    from stacksalt import pki

    if all(reg.path(n).exists() for n in ("ca.crt", "ca.key", "server.crt", "server.key")):
        return
    log(f"creating the registry CA and certificate in {reg.state}")
    ca_key, ca_cert = pki.split_ca_bundle(pki.new_ca("stacksalt registry CA"))
    key = pki.new_private_key()
    spec = pki.CertSpec.build(
        HOST, dns_names=["localhost"], ip_addresses=[HOST], usages=["server"], validity_days=825
    )
    cert = pki.issue(spec, key, ca_key, ca_cert)
    reg.state.mkdir(parents=True, exist_ok=True)
    os.chmod(reg.state, 0o700)
    _write_private(reg.path("ca.key"), ca_key.encode())
    _write_private(reg.path("server.key"), key.encode())
    reg.path("ca.crt").write_text(ca_cert)
    reg.path("server.crt").write_text(cert)


def write_htpasswd(reg: Registry, user: str, password: str) -> None:
    """bcrypt entry made by ``htpasswd -niB`` (password on stdin, never argv)."""
    res = subprocess.run(
        ["htpasswd", "-niB", "-C", "10", user],
        input=password,
        capture_output=True,
        text=True,
        check=False,
    )
    line = res.stdout.strip()
    if res.returncode != 0 or not line.startswith(f"{user}:$2"):
        raise RegistryError(f"htpasswd failed: {res.stderr.strip()}")
    _write_private(reg.path("htpasswd"), (line + "\n").encode())


def config(reg: Registry, http_secret: str) -> dict:
    """docker-registry 2.8 configuration."""
    return {
        "version": 0.1,
        "log": {"level": "info", "fields": {"service": "registry"}},
        "storage": {
            "filesystem": {"rootdirectory": str(reg.path("data"))},
            "delete": {"enabled": True},
        },
        "http": {
            "addr": reg.address,
            "secret": http_secret,
            "tls": {
                "certificate": str(reg.path("server.crt")),
                "key": str(reg.path("server.key")),
            },
        },
        "auth": {"htpasswd": {"realm": "stacksalt-registry", "path": str(reg.path("htpasswd"))}},
    }


def running_pid(reg: Registry) -> int | None:
    """The pid in the pid file if that process is alive and is docker-registry."""
    try:
        pid = int(reg.pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"docker-registry" in cmdline else None


def _ssl_context(reg: Registry) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(reg.path("ca.crt")))


def probe(reg: Registry, auth: tuple[str, str] | None = None) -> int:
    """HTTP status of GET /v2/ over TLS verified with the deployment's CA."""
    request = urllib.request.Request(f"https://{reg.address}/v2/")
    if auth:
        import base64

        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, context=_ssl_context(reg), timeout=5) as resp:  # noqa: S310
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def up(reg: Registry, user: str, password: str, log=print, timeout: float = 30.0) -> int:
    """Start the registry (or keep the running one), trusted by Docker; return its pid."""
    ensure_packages(log)
    ensure_certificates(reg, log)
    write_htpasswd(reg, user, password)
    secret_file = reg.path("http-secret")
    if not secret_file.exists():
        _write_private(secret_file, _random.token_urlsafe(32).encode())
    conf = config(reg, secret_file.read_text().strip())
    _write_private(reg.path(f"config-{reg.port}.yml"), yaml.safe_dump(conf).encode())
    reg.path("data").mkdir(exist_ok=True)
    trust = reg.trust_file
    trust.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(reg.path("ca.crt"), trust)
    pid = running_pid(reg)
    if pid:
        log(f"registry already running on {reg.address} (pid {pid}); htpasswd refreshed")
        return pid
    log_path = reg.path(f"registry-{reg.port}.log")
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(
            ["docker-registry", "serve", str(reg.path(f"config-{reg.port}.yml"))],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    reg.pid_file.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").splitlines()[-10:]
            raise RegistryError(
                f"docker-registry exited {proc.returncode}; {log_path}:\n  " + "\n  ".join(tail)
            )
        try:
            status = probe(reg)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
            continue
        if status == 401:
            log(f"registry up on https://{reg.address} (pid {proc.pid}, log {log_path})")
            return proc.pid
        raise RegistryError(f"registry answered {status} without credentials (expected 401)")
    os.kill(proc.pid, signal.SIGTERM)
    raise RegistryError(f"registry did not answer on {reg.address} within {timeout:.0f} s")


def down(reg: Registry, log=print, timeout: float = 15.0) -> bool:
    """Stop the registry started by :func:`up` (by its pid); remove Docker's trust of it."""
    pid = running_pid(reg)
    if reg.trust_file.exists():
        reg.trust_file.unlink()
        if not any(reg.trust_file.parent.iterdir()):
            reg.trust_file.parent.rmdir()
    if pid is None:
        reg.pid_file.unlink(missing_ok=True)
        log(f"registry on {reg.address} is not running")
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running_pid(reg) == pid:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    if running_pid(reg) == pid:
        raise RegistryError(f"registry pid {pid} did not stop within {timeout:.0f} s")
    reg.pid_file.unlink(missing_ok=True)
    log(f"registry on {reg.address} stopped (pid {pid})")
    return True
