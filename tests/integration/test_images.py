"""docker-salt for real: the images build from the formulas, hold no secret, render their
config at start through the one entrypoint and run their daemon; and exact rebuilds: one
formula changed rebuilds exactly the images applying it, nothing changed rebuilds nothing, a
changed base rebuilds all, a failed parent leaves its children unbuilt.

Runs on a snapshot of the tree (others may edit the checkout meanwhile) with the shared
content-tagged images ``stacksalt/<name>:<tag>``: what another module built is not built again,
and nothing is removed at the end.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
import yaml

from stacksalt.images import build, scan
from stacksalt.images import plan as plan_mod
from stacksalt.images.cli import main
from stacksalt.images.context import Project
from stacksalt.paths import state_dir
from tests.integration import helpers
from tests.integration.helpers import sh, snapshot, wait_exec

pytestmark = [
    pytest.mark.integration,
    pytest.mark.requires("docker"),
]

ROOT = Path(__file__).resolve().parents[2]
# The shared namespace: the images are content-tagged, so the modules that need them build
# each once per run (whichever comes first) and never remove them.
NS = "stacksalt"
PREFIX = "sstest-images"
NET = f"{PREFIX}-net"
SUBNET = "10.231.77.0/24"


def images_cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), "--state", str(state_dir()), "images", *args])


def current_plan(root: Path, capsys) -> dict[str, dict]:
    capsys.readouterr()
    assert images_cli(root, "plan", "--namespace", NS, "--json") == 0
    return {s["name"]: s for s in json.loads(capsys.readouterr().out)}


def cleanup() -> None:
    helpers.cleanup(PREFIX, NET)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A snapshot with every image built (once per run: shared, content-tagged)."""
    cleanup()
    root = snapshot(tmp_path_factory.mktemp("images") / "tree")
    assert images_cli(root, "build", "--namespace", NS, "--workers", "2") == 0
    yield root
    cleanup()


def ref(root: Path, name: str) -> str:
    project = Project.load(root, state_dir(), NS)
    steps = plan_mod.resolve(project.gather({i.name for i in project.images.images}))
    return project.images.ref(name, steps[name]["tag"])


def run(image: str, name: str, *args: str, pillar: dict | None = None, mounts=()) -> str:
    cmd = ["docker", "run", "-d", "--name", f"{PREFIX}-{name}"]
    if pillar is not None:
        cmd += ["-e", f"STACKSALT_PILLAR_JSON={json.dumps(pillar)}"]
    for src, dst in mounts:
        cmd += ["-v", f"{src}:{dst}:ro"]
    return sh(*cmd, *args, image).stdout.strip()


def processes(cid: str) -> dict[str, str]:
    out = sh("docker", "exec", cid, "ps", "-eo", "user:20,comm").stdout.splitlines()[1:]
    return {line.split()[1]: line.split()[0] for line in out}


PY_SEND = (
    "import socket,sys; s=socket.create_connection(('127.0.0.1',int(sys.argv[1])),3); "
    "s.sendall(sys.argv[2].encode()+b'\\r\\n'); print(s.recv(65536).decode())"
)


def test_config_is_rendered_at_build_without_starting_services(tree):
    conf = sh(
        "docker",
        "run",
        "--rm",
        "--entrypoint",
        "cat",
        ref(tree, "memcached"),
        "/etc/memcached.conf",
    ).stdout
    assert conf.startswith("# Managed by Salt")
    assert "-l 0.0.0.0" in conf
    haproxy = sh(
        "docker",
        "run",
        "--rm",
        "--entrypoint",
        "cat",
        ref(tree, "haproxy"),
        "/etc/haproxy/haproxy.cfg",
    ).stdout
    assert "log stdout format raw local0" in haproxy
    labels = build.labels(ref(tree, "etcd"))
    inputs = json.loads(labels[build.LABEL_INPUTS])
    assert "etcd/files/etcd.default.jinja" in inputs["formulas"]["etcd"]
    assert inputs["parent"].startswith("salt-base:")
    # noservices at build time: no daemon was started, no pid file baked in
    out = sh(
        "docker",
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        ref(tree, "memcached"),
        "-c",
        "ls /run/memcached 2>/dev/null | wc -l; cat /etc/salt/minion",
    ).stdout
    assert out.splitlines()[0] == "0"
    assert "noservices: true" in out


def test_no_secret_in_any_layer_history_or_config(tree, tmp_path):
    values = scan.deployment_secrets(ROOT)
    # a fresh value too, so the scan has something to look for on a machine without pillar/
    values["sentinel"] = "sentinel-0f8e2c41d9b7"
    for name in ("salt-base", "etcd", "memcached", "haproxy", "galera"):
        image = ref(tree, name)
        history = sh("docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
        assert "password" not in history.stdout.lower()
        assert scan.scan(image, values) == [], image


def pem_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def test_the_scan_finds_a_leaked_secret(tree, tmp_path):
    """Positive control: an image with a secret and a private key in a layer is reported."""
    (tmp_path / "Dockerfile").write_text(
        f"FROM {ref(tree, 'salt-base')}\nCOPY leak.txt /etc/leak.txt\n"
    )
    (tmp_path / "leak.txt").write_text("password=sentinel-0f8e2c41d9b7\n" + pem_key())
    leaky = f"{NS}/leaky:1"
    sh("docker", "build", "-q", "-t", leaky, str(tmp_path), timeout=600)
    try:
        found = scan.scan(leaky, {"local/sentinel_password": "sentinel-0f8e2c41d9b7"})
    finally:
        sh("docker", "rmi", leaky)
    assert any("local/sentinel_password in /etc/leak.txt" in f for f in found), found
    assert any("private key in /etc/leak.txt" in f for f in found), found
    assert not any("sentinel-0f8e2c41d9b7" in f for f in found)  # names, never values


def test_memcached_runs_its_one_daemon_as_memcache(tree):
    cid = run(ref(tree, "memcached"), "memcached", pillar={"memcached": {"server": {"memory": 32}}})
    try:
        stats = wait_exec(cid, ["/opt/salt/bin/python3", "-c", PY_SEND, "11211", "stats"])
        assert "STAT limit_maxbytes 33554432" in stats
        procs = processes(cid)
        assert procs["memcached"] == "memcache"
        assert "supervisord" not in procs and "salt-minion" not in procs
        pid1 = sh("docker", "exec", cid, "cat", "/proc/1/comm").stdout.strip()
        assert pid1 == "memcached"  # the daemon is PID 1: it gets the container's signals
        logs = sh("docker", "logs", cid).stderr
        assert "applied memcached" in logs
        mode = sh("docker", "exec", cid, "stat", "-c", "%a %s", "/srv/pillar/runtime.sls").stdout
        assert mode.split()[0] == "600"
    finally:
        sh("docker", "rm", "-f", cid)


def test_haproxy_listeners_from_the_pillar(tree):
    pillar = {
        "haproxy": {
            "proxy": {
                "listen": {
                    "echo": {
                        "mode": "tcp",
                        "binds": [{"address": "0.0.0.0", "port": 8080}],
                        "servers": [
                            {"name": "local", "host": "127.0.0.1", "port": 9},
                            {"name": "spare", "host": "127.0.0.1", "port": 10, "backup": True},
                        ],
                    }
                }
            }
        }
    }
    cid = run(ref(tree, "haproxy"), "haproxy", pillar=pillar)
    try:
        cfg = wait_exec(cid, ["grep", "-A6", "listen echo", "/etc/haproxy/haproxy.cfg"])
        assert "bind 0.0.0.0:8080" in cfg
        assert "server spare 127.0.0.1:10 backup" in cfg
        wait_exec(
            cid,
            [
                "/opt/salt/bin/python3",
                "-c",
                "import socket; socket.create_connection(('127.0.0.1', 8080), 2)",
            ],
        )
        users = sh("docker", "exec", cid, "ps", "-o", "user=", "-C", "haproxy").stdout.split()
        assert "haproxy" in users  # the worker dropped to user haproxy
    finally:
        sh("docker", "rm", "-f", cid)


def test_bad_pillar_fails_the_container_before_the_daemon(tree):
    pillar = {"haproxy": {"proxy": {"timeout": {"client": "not-a-duration"}}}}
    res = sh(
        "docker",
        "run",
        "--rm",
        "--name",
        f"{PREFIX}-bad",
        "-e",
        f"STACKSALT_PILLAR_JSON={json.dumps(pillar)}",
        ref(tree, "haproxy"),
        check=False,
    )
    assert res.returncode == 1
    assert "FAILED haproxy-proxy-config-file-managed" in res.stderr
    assert "state.apply haproxy failed" in res.stderr


def test_etcd_with_its_token_from_a_mounted_secret(tree, tmp_path):
    token = "token-from-a-secret-file-5d1c"
    secret_dir = tmp_path / "secrets"
    secret_dir.mkdir()
    (secret_dir / "etcd.yml").write_text(yaml.safe_dump({"etcd": {"server": {"token": token}}}))
    (secret_dir / "etcd.yml").chmod(0o600)
    sh("docker", "network", "create", "--subnet", SUBNET, NET)
    address = "10.231.77.11"
    pillar = {
        "etcd": {
            "server": {
                "name": "etcd1",
                "bind": {"host": address},
                "members": [{"name": "etcd1", "host": address}],
            }
        }
    }
    cmd = [
        "docker",
        "run",
        "-d",
        "--name",
        f"{PREFIX}-etcd",
        "--network",
        NET,
        "--ip",
        address,
        "-e",
        f"STACKSALT_PILLAR_JSON={json.dumps(pillar)}",
        "-v",
        f"{secret_dir}:/run/stacksalt/pillar:ro",
        ref(tree, "etcd"),
    ]
    cid = sh(*cmd).stdout.strip()
    try:
        health = wait_exec(
            cid,
            [
                "etcdctl",
                "--dial-timeout=2s",
                f"--endpoints=http://{address}:2379",
                "endpoint",
                "health",
            ],
        )
        assert "is healthy" in health
        assert processes(cid)["etcd"] == "etcd"
        rendered = sh("docker", "exec", cid, "cat", "/etc/default/etcd").stdout
        assert f'ETCD_INITIAL_CLUSTER_TOKEN="{token}"' in rendered
        inspect = sh("docker", "inspect", cid).stdout
        assert token not in inspect  # not in env, argv or labels
        overlay = sh("docker", "exec", cid, "cat", "/srv/pillar/runtime.sls").stdout
        assert token not in overlay  # the overlay is emptied once the config is rendered
    finally:
        sh("docker", "rm", "-f", cid)
        sh("docker", "network", "rm", NET)


def test_exact_rebuilds(tree, capsys):
    # Nothing changed: nothing to build, and build builds nothing.
    steps = current_plan(tree, capsys)
    assert {s["action"] for s in steps.values()} == {"up to date"}
    capsys.readouterr()
    assert images_cli(tree, "build", "--namespace", NS) == 0
    out = capsys.readouterr().out
    assert "0 built" in out and "building" not in out

    # One formula file: exactly the images applying that formula. The line is new to every run:
    # images are content-tagged and kept, so a line written before would find its image built.
    token = uuid.uuid4().hex
    before = {n: s["tag"] for n, s in steps.items()}
    conf = tree / "formulas" / "memcached" / "memcached" / "files" / "memcached.conf.jinja"
    original_conf = conf.read_text()
    conf.write_text(original_conf + f"# one more line {token}\n")
    made: list[str] = []
    try:
        one_formula_then_the_base(tree, capsys, token, before, made)
    finally:
        conf.write_text(original_conf)
        # ':latest' back on the tree's images (the plan reads a rebuild's reasons from it;
        # left on this test's images, the next run saw "parent salt-base rebuilt")
        for name, tag in before.items():
            sh("docker", "tag", f"{NS}/{name}:{tag}", f"{NS}/{name}:latest", check=False)
        if made:
            sh("docker", "rmi", *made, check=False)  # this run's own tags only


def one_formula_then_the_base(tree, capsys, token, before, made):
    steps = current_plan(tree, capsys)
    assert len(steps) >= 7, sorted(steps)  # salt-base, etcd, memcached, haproxy, galera, ...
    want = dict.fromkeys(steps, "up to date")
    want["memcached"] = "build"
    assert {n: s["action"] for n, s in steps.items()} == want
    assert steps["memcached"]["reasons"] == [
        "formula memcached: memcached/files/memcached.conf.jinja changed"
    ]
    capsys.readouterr()
    assert images_cli(tree, "build", "--namespace", NS) == 0
    out = capsys.readouterr().out
    assert "building memcached:" in out and "1 built" in out
    assert "building etcd" not in out and "building salt-base" not in out
    after = current_plan(tree, capsys)
    assert {s["action"] for s in after.values()} == {"up to date"}
    assert after["memcached"]["tag"] != before["memcached"]
    untouched = [n for n in after if n != "memcached"]
    assert {n: after[n]["tag"] for n in untouched} == {n: before[n] for n in untouched}
    rendered = sh(
        "docker",
        "run",
        "--rm",
        "--entrypoint",
        "cat",
        f"{NS}/memcached:{after['memcached']['tag']}",
        "/etc/memcached.conf",
    ).stdout
    assert rendered.endswith(f"# one more line {token}\n")
    made.append(ref(tree, "memcached"))

    # The base changed (its entrypoint): every image built on salt-base rebuilds; kubectl,
    # built on Debian alone, does not.
    entry = tree / "docker-salt" / "entrypoint.py"
    original_entry = entry.read_text()
    entry.write_text(original_entry + f"# rebuilt {token}\n")
    try:
        steps = current_plan(tree, capsys)
        want = dict.fromkeys(steps, "build")
        want["kubectl"] = "up to date"
        assert {n: s["action"] for n, s in steps.items()} == want
        assert steps["salt-base"]["reasons"] == ["file: entrypoint.py changed"]
        assert steps["etcd"]["reasons"] == ["parent salt-base rebuilt"]
        # Build the base and two children for real (every child would be a cold package
        # install on a 2-core machine); the rest stay due until they are built.
        capsys.readouterr()
        assert (
            images_cli(tree, "build", "--namespace", NS, "--workers", "2", "etcd", "memcached") == 0
        )
        out = capsys.readouterr().out
        made += [ref(tree, n) for n in ("salt-base", "etcd", "memcached")]
        assert "3 built" in out
        steps = current_plan(tree, capsys)
        assert {n for n, s in steps.items() if s["action"] == "up to date"} == {
            "salt-base",
            "etcd",
            "memcached",
            "kubectl",
        }
    finally:
        entry.write_text(original_entry)
    # Back to the original base: its tags were built before, so nothing is due (the tags are
    # content addresses, not build counters).
    assert {s["action"] for s in current_plan(tree, capsys).values()} == {"up to date"}


def test_failed_parent_children_not_built(tree, capsys):
    images_yml = tree / "docker-salt" / "images.yml"
    original = images_yml.read_text()
    data = yaml.safe_load(original)
    data["images"]["salt-base"]["packages"].append("no-such-package-stacksalt")
    images_yml.write_text(yaml.safe_dump(data))
    try:
        capsys.readouterr()
        code = images_cli(tree, "build", "--namespace", NS, "etcd", "memcached")
        captured = capsys.readouterr()
        assert code == 1
        assert "FAILED salt-base" in captured.out
        assert "etcd: not built (parent salt-base failed)" in captured.out
        assert "memcached: not built: parent salt-base failed" in captured.err
        assert "Unable to locate package no-such-package-stacksalt" in captured.out
    finally:
        images_yml.write_text(original)


def test_plan_since_a_git_ref(tree, capsys):
    """--since compares the formula files with a git ref (a throw-away repository here)."""
    git = ["git", "-C", str(tree), "-c", "user.name=test", "-c", "user.email=test@example.net"]
    sh(*git, "init", "-q")
    sh(*git, "add", "-A")
    sh(*git, "commit", "-q", "-m", "snapshot")
    template = tree / "formulas" / "etcd" / "etcd" / "files" / "etcd.default.jinja"
    original = template.read_text()
    (tree / "formulas" / "etcd" / "tests" / "pillar" / "extra.sls").write_text("etcd: {}\n")
    template.write_text(original + "# changed since HEAD\n")
    try:
        capsys.readouterr()
        assert images_cli(tree, "plan", "--namespace", NS, "--json", "--since", "HEAD") == 0
        steps = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
        assert steps["etcd"]["action"] == "build"
        assert steps["etcd"]["reasons"] == [
            "formula etcd: etcd/files/etcd.default.jinja changed since HEAD"
        ]
        # the others are built here with the same inputs: nothing to do
        others = [n for n in steps if n != "etcd"]
        assert {steps[n]["action"] for n in others} == {"up to date"}
    finally:
        template.write_text(original)
        (tree / "formulas" / "etcd" / "tests" / "pillar" / "extra.sls").unlink()
        shutil.rmtree(tree / ".git")
