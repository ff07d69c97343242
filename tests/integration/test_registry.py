"""The local registry for real: Debian's docker-registry with TLS (a CA made for this
deployment) and htpasswd; push and pull with credentials work, without them they are refused."""

from __future__ import annotations

import io
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from stacksalt import secrets
from stacksalt.images import build, registry
from stacksalt.images.cli import main
from stacksalt.paths import state_dir
from tests.conftest import copy_project

from .helpers import sh

pytestmark = [pytest.mark.integration, pytest.mark.requires("docker")]

PORT = 5998
TINY = "stacksalt-test/tiny:1"
ROOT = Path(__file__).resolve().parents[2]
STATE = state_dir()  # the shared wheel caches; the registry itself lives in a tmp state


def docker(*args, config: Path | None = None, input_text: str | None = None):
    """The docker CLI, with its client configuration (credentials) from ``config``."""
    env = {"DOCKER_CONFIG": str(config)} if config is not None else None
    return sh("docker", *args, check=False, input_text=input_text, env=env)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """A project copy with generated secrets, the registry up on PORT, a tiny image."""
    tmp = tmp_path_factory.mktemp("registry")
    root = copy_project(tmp / "project")
    state = tmp / "state"
    assert (
        main(["--root", str(root), "--state", str(state), "registry", "up", "--port", str(PORT)])
        == 0
    )
    body = b"stacksalt registry test\n"
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    res = subprocess.run(
        ["docker", "import", "-", TINY],
        input=data.getvalue(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    password = secrets.load(secrets.secrets_file(root, "local"))[registry.PASSWORD_PARAM]
    yield {"root": root, "state": state, "password": password}
    assert (
        main(["--root", str(root), "--state", str(state), "registry", "down", "--port", str(PORT)])
        == 0
    )
    docker("rmi", TINY)


def remote(ref: str = TINY) -> str:
    return f"127.0.0.1:{PORT}/{ref}"


def test_keys_are_private_and_docker_trusts_the_ca(deployment):
    reg = registry.Registry(deployment["state"] / "registry", PORT)
    for name in ("ca.key", "server.key", "htpasswd", "http-secret", f"config-{PORT}.yml"):
        mode = stat.S_IMODE(reg.path(name).stat().st_mode)
        assert mode == 0o600, f"{name}: {oct(mode)}"
    assert reg.trust_file.read_bytes() == reg.path("ca.crt").read_bytes()
    htpasswd = reg.path("htpasswd").read_text()
    assert htpasswd.startswith("stacksalt:$2y$")  # bcrypt
    assert deployment["password"] not in htpasswd
    # TLS verified against the deployment's CA; no credentials → 401, credentials → 200.
    assert registry.probe(reg) == 401
    assert registry.probe(reg, ("stacksalt", deployment["password"])) == 200
    assert registry.probe(reg, ("stacksalt", "wrong-password")) == 401


def test_push_and_pull_with_credentials(deployment, tmp_path):
    pushed = build.push([TINY], f"127.0.0.1:{PORT}", "stacksalt", deployment["password"], print)
    assert pushed == [remote()]
    assert (
        not (Path.home() / ".docker" / "config.json").exists()
        or remote() not in (Path.home() / ".docker" / "config.json").read_text()
    )
    conf = tmp_path / "docker-config"
    conf.mkdir()
    login = docker(
        "login",
        f"127.0.0.1:{PORT}",
        "-u",
        "stacksalt",
        "--password-stdin",
        config=conf,
        input_text=deployment["password"],
    )
    assert login.returncode == 0, login.stderr
    pulled = docker("pull", remote(), config=conf)
    assert pulled.returncode == 0, pulled.stderr
    out = docker("run", "--rm", "--entrypoint", "", remote(), "/hello.txt", config=conf)
    # the image has no shell: 'docker run' fails to exec, but the pull itself worked
    assert "no such file or directory" in out.stderr or out.returncode != 0
    assert docker("image", "inspect", remote()).returncode == 0
    docker("rmi", remote())


def test_without_credentials_refused(deployment, tmp_path):
    """Docker treats 127.0.0.0/8 as "insecure" and retries over plain HTTP after the 401, so
    its message varies; the registry's own log shows the refusal."""
    log = deployment["state"] / "registry" / f"registry-{PORT}.log"
    conf = tmp_path / "empty-docker-config"
    conf.mkdir()
    offset = log.stat().st_size
    pulled = docker("pull", remote(), config=conf)
    assert pulled.returncode != 0
    anonymous = remote("stacksalt-test/anonymous:1")
    docker("tag", TINY, anonymous)
    pushed = docker("push", anonymous, config=conf)
    docker("rmi", anonymous)
    assert pushed.returncode != 0
    with open(log, encoding="utf-8") as handle:
        handle.seek(offset)
        seen = handle.read()
    assert '"GET /v2/ HTTP/1.1" 401' in seen
    assert "authorized request" not in seen
    assert "/manifests/" not in seen and "/blobs/" not in seen
    bad = docker(
        "login",
        f"127.0.0.1:{PORT}",
        "-u",
        "stacksalt",
        "--password-stdin",
        config=conf,
        input_text="wrong-password",
    )
    assert bad.returncode != 0
    assert "unauthorized" in bad.stderr.lower()


def test_up_again_keeps_the_running_registry(deployment, capsys):
    pid = registry.running_pid(registry.Registry(deployment["state"] / "registry", PORT))
    assert (
        main(
            [
                "--root",
                str(deployment["root"]),
                "--state",
                str(deployment["state"]),
                "registry",
                "up",
                "--port",
                str(PORT),
            ]
        )
        == 0
    )
    assert "already running" in capsys.readouterr().out
    assert registry.running_pid(registry.Registry(deployment["state"] / "registry", PORT)) == pid


def test_images_build_push_uses_the_deployment_password(deployment):
    """``images build --push`` logs in with the secret from pillar/<cluster>/secrets.yml."""
    import base64
    import json
    import shutil
    import urllib.request

    root = deployment["root"]
    for tree in ("stacksalt", "_modules", "_states"):  # copy_project copied docker-salt/
        shutil.copytree(ROOT / tree, root / tree, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.py", "README.md", "constraints.txt"):
        shutil.copy2(ROOT / name, root / name)
    args = ["--root", str(root), "--state", str(STATE), "images", "build", "--namespace"]
    args += ["stacksalt-test", "--push", "--registry-port", str(PORT), "etcd"]
    try:
        assert main(args) == 0
        reg = registry.Registry(deployment["state"] / "registry", PORT)
        token = base64.b64encode(f"stacksalt:{deployment['password']}".encode()).decode()
        request = urllib.request.Request(
            f"https://{reg.address}/v2/_catalog", headers={"Authorization": f"Basic {token}"}
        )
        with urllib.request.urlopen(request, context=registry._ssl_context(reg)) as resp:  # noqa: S310
            catalog = json.load(resp)["repositories"]
        assert {"stacksalt-test/salt-base", "stacksalt-test/etcd"} <= set(catalog)
    finally:
        res = docker("images", "--format", "{{.Repository}}:{{.Tag}}")
        refs = [r for r in res.stdout.split() if r.startswith("stacksalt-test/")]
        refs = [
            r
            for r in refs
            if r.split(":")[0] in ("stacksalt-test/salt-base", "stacksalt-test/etcd")
        ]
        if refs:
            docker("rmi", *refs)
