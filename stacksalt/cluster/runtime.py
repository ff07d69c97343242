"""``stacksalt up`` / ``down``: host containers, a real salt-master, pre-seeded keys, highstate.

The salt master runs on the cluster's own ``cfg01`` node container, as in real deployments,
reading the repository (mounted read-only at /srv/stacksalt): formulas as file_roots, the
reclass model as ext_pillar and master_tops. Minion keys are generated here and placed in the
master's accepted keys before any minion starts: there is no auto_accept.
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
import shlex
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import docker
import docker.errors
import yaml
from salt.crypt import gen_keys

from stacksalt.cluster.summary import NodeSummary, format_table, summarize
from stacksalt.cluster.topology import Node, Topology, from_model
from stacksalt.model.loader import Model

MOUNT = "/srv/stacksalt"
LABEL = "io.stacksalt.cluster"


class ClusterError(RuntimeError):
    pass


def client():
    try:
        cli = docker.from_env(timeout=900)
        cli.ping()
        return cli
    except docker.errors.DockerException as exc:
        raise ClusterError(f"cannot reach dockerd ({exc}); start it with 'make setup'") from exc


def topology(root: Path, cluster: str) -> Topology:
    model = Model(root / "reclass_model")
    infos = {node: model.render(node) for node in model.nodes(cluster)}
    if not infos:
        raise ClusterError(f"cluster '{cluster}' has no nodes under reclass_model/nodes/{cluster}")
    return from_model(cluster, infos)


# -- keys -------------------------------------------------------------------------------------


def ensure_keys(pki: Path, topo: Topology) -> None:
    """Generate the master's and every minion's key pair once (kept in the state dir)."""
    pki.mkdir(parents=True, exist_ok=True)
    pki.chmod(0o700)
    for name in ["master", *[n.id for n in topo.nodes]]:
        pem, pub = pki / f"{name}.pem", pki / f"{name}.pub"
        if pem.exists() and pub.exists():
            continue
        priv, public = gen_keys(2048)
        pem.write_text(priv)
        pem.chmod(0o400)
        pub.write_text(public)


def _tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def put_files(container, files: dict[str, tuple[bytes, int]]) -> None:
    """Copy files into a container with their modes (no secret ever on a command line)."""
    if not container.put_archive("/", _tar(files)):
        raise ClusterError(f"{container.name}: could not copy {', '.join(files)}")


# -- containers -------------------------------------------------------------------------------


def ensure_network(cli, topo: Topology):
    try:
        return cli.networks.get(topo.network_name)
    except docker.errors.NotFound:
        pool = docker.types.IPAMPool(subnet=topo.network)
        return cli.networks.create(
            topo.network_name,
            driver="bridge",
            labels={LABEL: topo.cluster},
            ipam=docker.types.IPAMConfig(pool_configs=[pool]),
        )


def start_node(cli, root: Path, topo: Topology, node: Node, image: str):
    name = topo.container(node)
    try:
        existing = cli.containers.get(name)
        if existing.status == "running":
            return existing
        existing.remove(force=True)
    except docker.errors.NotFound:
        pass
    if ipaddress.ip_address(node.address) not in ipaddress.ip_network(topo.network):
        raise ClusterError(f"node {node.id}: address {node.address} is outside {topo.network}")
    container = cli.containers.create(
        image,
        name=name,
        hostname=node.hostname,
        detach=True,
        cap_add=["SYS_ADMIN", "NET_ADMIN"],
        tmpfs={"/run": "", "/run/lock": ""},
        volumes={
            "/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "ro"},
            str(root): {"bind": MOUNT, "mode": "ro"},
        },
        sysctls={k: str(v) for k, v in node.sysctl.items()},
        labels={LABEL: topo.cluster, "io.stacksalt.node": node.id},
        stop_signal="SIGRTMIN+3",
        network=topo.network_name,
        networking_config={
            topo.network_name: cli.api.create_endpoint_config(ipv4_address=node.address)
        },
    )
    container.start()
    return container


def run(
    container, cmd: list[str] | str, check=True, timeout_hint="", timeout: float | None = None
) -> tuple[int, str]:
    """Run ``cmd`` in ``container``; return its exit code and its output (stdout and stderr
    together). ``timeout``: seconds before giving up with an error naming the command (the
    command itself may go on running in the container).

    Through the docker CLI, not docker-py's ``exec_run``: exec_run reads the exec's stream
    from the raw socket beneath the HTTP response's buffered reader, so whatever arrived
    together with the response headers is dropped. Under load that is the whole output of a
    short command, with exit code 0 (docker/docker-py#2042; on this 2-core machine under
    load, 11 of 1,500 ``cat`` calls came back empty, the bytes left in that buffer).
    """
    argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    shown = " ".join(argv)
    try:
        res = subprocess.run(
            ["docker", "exec", container.id, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(
            f"{container.name}: '{shown}' still running after {timeout:.0f} s{timeout_hint}"
        ) from exc
    out = res.stdout.decode("utf-8", "replace")
    if check and res.returncode != 0:
        raise ClusterError(
            f"{container.name}: '{shown}' failed ({res.returncode}):\n{out[-3000:]}{timeout_hint}"
        )
    return res.returncode, out


def wait_systemd(container, timeout=90) -> None:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        _, state = run(container, ["systemctl", "is-system-running"], check=False)
        state = state.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(0.5)
    raise ClusterError(f"{container.name}: systemd not up after {timeout} s (state '{state}')")


def seed_keys(cli, topo: Topology, pki: Path) -> None:
    master_pub = (pki / "master.pub").read_bytes()
    master = cli.containers.get(topo.container(topo.master))
    files = {
        "/etc/salt/pki/master/master.pem": ((pki / "master.pem").read_bytes(), 0o400),
        "/etc/salt/pki/master/master.pub": (master_pub, 0o644),
    }
    for node in topo.nodes:
        files[f"/etc/salt/pki/master/minions/{node.id}"] = (
            (pki / f"{node.id}.pub").read_bytes(),
            0o644,
        )
    put_files(master, files)
    for node in topo.nodes:
        conf = yaml.safe_dump({"id": node.id, "master": topo.master.address})
        put_files(
            cli.containers.get(topo.container(node)),
            {
                "/etc/salt/pki/minion/minion.pem": ((pki / f"{node.id}.pem").read_bytes(), 0o400),
                "/etc/salt/pki/minion/minion.pub": ((pki / f"{node.id}.pub").read_bytes(), 0o644),
                "/etc/salt/pki/minion/minion_master.pub": (master_pub, 0o644),
                "/etc/salt/minion.d/stacksalt.conf": (
                    (
                        "# Bootstrap written by 'stacksalt up'; the salt formula manages it.\n"
                        + conf
                    ).encode(),
                    0o644,
                ),
            },
        )


def bootstrap_master(cli, root: Path, topo: Topology, log) -> None:
    """Configure and start salt-master on its node with the salt formula itself, run
    masterless from the repository with the master node's pillar from the model."""
    model = Model(root / "reclass_model")
    pillar = {"salt": {"master": model.pillar(topo.master.id)["salt"]["master"]}}
    container = cli.containers.get(topo.container(topo.master))
    put_files(
        container,
        {
            "/root/bootstrap/pillar/top.sls": (b"base:\n  '*':\n    - master\n", 0o600),
            "/root/bootstrap/pillar/master.sls": (yaml.safe_dump(pillar).encode(), 0o600),
        },
    )
    log(f"bootstrapping salt-master on {topo.master.id} with the salt formula (masterless)")
    run(
        container,
        [
            "salt-call",
            "--local",
            "--retcode-passthrough",
            "--log-level=warning",
            f"--file-root={MOUNT}/formulas/salt",
            "--pillar-root=/root/bootstrap/pillar",
            "state.apply",
            "salt.master",
        ],
    )


def salt(container, args: list[str], timeout=30) -> dict:
    """Run the salt CLI on the master; return ``{minion: return}`` from its JSON output.

    ``timeout`` is Salt's: how long to wait before asking minions whether the job still
    runs (it keeps waiting while they say yes), not a limit on the job.
    """
    code, out = run(
        container, ["salt", "--out=json", "--static", f"--timeout={timeout}", *args], check=False
    )
    try:
        return parse_json(out)
    except ValueError as exc:
        raise ClusterError(
            f"salt {' '.join(args)}: unexpected output (exit {code}):\n{out[-2000:]}"
        ) from exc


def parse_json(out: str) -> dict:
    """The first JSON object in Salt's output (it may print warnings, or a line such as
    "ERROR: No return received", around it); ``{}`` for no output."""
    text = out.strip()
    if not text:
        return {}
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object in the output")
    data, _end = json.JSONDecoder().raw_decode(text[start:])
    return data


def lookup_jid(master, jid: str) -> dict:
    """The returns of job ``jid`` collected so far by the master's job cache."""
    _code, out = run(master, ["salt-run", "--out=json", "jobs.lookup_jid", jid], check=False)
    try:
        return parse_json(out)
    except ValueError:
        return {}


def wait_minions(master, topo: Topology, timeout=120, log=print) -> None:
    want = {n.id for n in topo.nodes}
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    while time.monotonic() < deadline:
        ret = salt(master, ["-t", "5", "*", "test.ping"], timeout=5)
        seen = {k for k, v in ret.items() if v is True}
        if want <= seen:
            log(f"all {len(want)} minions answer the master")
            return
        time.sleep(1)
    raise ClusterError(
        f"minions not answering after {timeout} s: {', '.join(sorted(want - seen))}; "
        "see 'journalctl -u salt-minion' in their containers"
    )


def _jid(text: str) -> str:
    match = re.search(r"\b(\d{20})\b", text)
    if not match:
        raise ClusterError(f"salt --async did not print a job id: {text[-500:]}")
    return match.group(1)


def run_job(
    master,
    target: str,
    args: list[str],
    expected: list[str],
    log=print,
    timeout: float = 1800,
    check_every: float = 30,
) -> dict:
    """Publish a job asynchronously and collect returns as they come (one progress line per
    minion). Every ``check_every`` seconds it asks the minions still silent whether they
    still run the job; one that neither returned nor runs it has no return. A minion still
    running it after ``timeout`` seconds gets, as its return, a text saying so (the job,
    the time waited)."""
    _, out = run(master, ["salt", "--async", target, *args])
    jid = _jid(out)
    started = time.monotonic()
    last_check = started
    returns: dict = {}
    lost: set[str] = set()
    while time.monotonic() - started < timeout:
        time.sleep(2)
        data = lookup_jid(master, jid)
        for minion in sorted(set(data) - set(returns)):
            returns[minion] = data[minion]
            log(f"  {minion} returned after {time.monotonic() - started:.0f} s")
        pending = [m for m in expected if m not in returns and m not in lost]
        if not pending:
            break
        if time.monotonic() - last_check >= check_every:
            last_check = time.monotonic()
            found = salt(master, ["-L", ",".join(pending), "saltutil.find_job", jid], timeout=10)
            for minion in pending:
                if not (isinstance(found.get(minion), dict) and found[minion].get("jid")):
                    # one more look: it may have returned since
                    if minion not in lookup_jid(master, jid):
                        lost.add(minion)
                        log(f"  {minion} no longer runs job {jid} and gave no return")
            log(f"  still running on: {', '.join(m for m in pending if m not in lost) or '-'}")
    pending = [m for m in expected if m not in returns and m not in lost]
    if pending:
        log(f"  gave up after {timeout:.0f} s waiting for job {jid} on: {', '.join(pending)}")
        for minion in pending:
            returns[minion] = (
                f"no return within {timeout:.0f} s: job {jid} ({' '.join(args)}) still running"
            )
    return returns


def highstate(
    cli, topo: Topology, log=print, test=False, timeout: float = 1800
) -> list[NodeSummary]:
    """Highstate every node from the master; ``timeout``: seconds to wait for the returns
    (a node with none by then is reported as such)."""
    master = cli.containers.get(topo.container(topo.master))
    args = ["state.highstate"] + (["test=True"] if test else [])
    started = time.monotonic()
    ret = run_job(master, "*", args, [n.id for n in topo.nodes], log=log, timeout=timeout)
    rows = [summarize(n.id, ret.get(n.id, "no return (minion did not answer)")) for n in topo.nodes]
    log(format_table(rows))
    log(f"highstate wall time: {time.monotonic() - started:.1f} s")
    restarting = [r.node for r in rows if MINION_RESTART in r.changes]
    if restarting:
        # The salt formula restarts a minion whose config changed, in the background,
        # a few seconds after the job returned: wait until it is back.
        log(f"waiting for {len(restarting)} minion(s) restarting with their new config")
        time.sleep(MINION_RESTART_DELAY + 2)
        wait_minions(master, topo, log=log)
    return rows


MINION_RESTART = "salt-minion-service-restart-scheduled"
MINION_RESTART_DELAY = 3  # formulas/salt/salt/defaults.yaml: minion.restart_delay

SERVICES = (
    "salt-master",
    "salt-minion",
    "etcd",
    "stacksalt-galera",
    "rabbitmq-server@main",
    "etcd-calico",
    "kube-apiserver-lb",
    "keepalived",
)


def running_services(cli, topo: Topology) -> dict[str, list[str]]:
    out = {}
    for node in topo.nodes:
        container = cli.containers.get(topo.container(node))
        active = []
        for svc in SERVICES:
            code, _ = run(container, ["systemctl", "is-active", "--quiet", svc], check=False)
            if code == 0:
                active.append(svc)
        out[node.id] = active
    return out


def up(root: Path, state: Path, cluster: str, image: str, log=print) -> list[NodeSummary]:
    topo = topology(root, cluster)
    cli = client()
    pki = state / "clusters" / cluster / "pki"
    ensure_keys(pki, topo)
    ensure_network(cli, topo)
    log(f"starting {len(topo.nodes)} host containers on {topo.network_name} ({topo.network})")
    containers = [start_node(cli, root, topo, node, image) for node in topo.nodes]
    for container in containers:
        wait_systemd(container)
    seed_keys(cli, topo, pki)
    bootstrap_master(cli, root, topo, log)
    for container in containers:
        run(container, ["systemctl", "enable", "--now", "salt-minion"])
    master = cli.containers.get(topo.container(topo.master))
    wait_minions(master, topo, log=log)
    synced = salt(master, ["*", "saltutil.sync_all"])
    missing = sorted(n.id for n in topo.nodes if not isinstance(synced.get(n.id), dict))
    if missing:
        raise ClusterError(f"saltutil.sync_all failed on {', '.join(missing)}: {synced}")
    log("running state.highstate on every node (progress: one line per node when done)")
    return highstate(cli, topo, log)


def down(state: Path, cluster: str, log=print) -> int:
    cli = client()
    removed = 0
    for container in cli.containers.list(all=True, filters={"label": f"{LABEL}={cluster}"}):
        container.remove(force=True)
        removed += 1
    for network in cli.networks.list(filters={"label": f"{LABEL}={cluster}"}):
        # the local run's pods ('stacksalt compose up') join the hosts' network: they go too
        network.reload()
        for attached in network.containers:
            log(f"removing {attached.name}: attached to the cluster's network {network.name}")
            attached.remove(force=True)
            removed += 1
        network.remove()
    shutil.rmtree(state / "clusters" / cluster, ignore_errors=False) if (
        state / "clusters" / cluster
    ).exists() else None
    log(f"removed {removed} containers, the network and the keys of cluster '{cluster}'")
    return removed
