"""The ``kubernetes`` host formula on host containers of its own (2 masters + 1 pool node on
network ``stacksalt-k8sdev``), applied masterless with each node's pillar as the ``local``
model renders it (fresh secrets, addresses moved from 10.77.1.0/24 to 10.78.1.0/24).

Verified: unit files and configs (``systemctl cat``), certificates (SANs, validity, issuer,
key modes), HAProxy and keepalived running, the VIP on exactly one master and moving when
its keepalived stops, Calico's etcd healthy on its own port over TLS, the kube units enabled
but not started (no Kubernetes binaries on Debian), and a second apply with 0 changes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import pytest
import yaml

from stacksalt import pki
from stacksalt.cluster import runtime
from stacksalt.cluster.image import ensure_host_image
from stacksalt.model.loader import Model
from stacksalt.paths import state_dir
from tests.conftest import copy_project

from .helpers import dexec, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.requires("docker")]

ROOT = Path(__file__).resolve().parents[2]
NETWORK = "stacksalt-k8sdev"
SUBNET = "10.78.1.0/24"
VIP = "10.78.1.100"
MASTERS = {"ctl01": "10.78.1.11", "ctl02": "10.78.1.12"}
POOL = {"cmp01": "10.78.1.21"}
DOMAIN = "local.stacksalt"
PKIDIR = "/etc/kubernetes/pki"
# keepalived moves the VIP within a few advert intervals (1 s each); 20 s leaves room for load.
VIP_TIMEOUT = 20


def model_pillars(tmp: Path) -> tuple[dict, dict]:
    """The ``kubernetes`` pillar of ctl01, ctl02 and cmp01 as the ``local`` model renders
    it, from a private copy of the project with fresh secrets, moved from 10.77.1.0/24 to
    this test's network. ctl03 stays absent: Calico's etcd runs 2 of its 3 members."""
    project = copy_project(tmp)
    model = Model(project / "reclass_model")
    pillars = {}
    for name in (*MASTERS, *POOL):
        pillar = {"kubernetes": model.pillar(f"{name}.local.stacksalt")["kubernetes"]}
        text = yaml.safe_dump(pillar).replace("10.77.1.", "10.78.1.")
        pillars[name] = yaml.safe_load(text)
    secrets = {
        "ca": pillars["ctl01"]["kubernetes"]["common"]["pki"]["ca"],
        "token": pillars["ctl01"]["kubernetes"]["master"]["calico_etcd"]["token"],
    }
    return pillars, secrets


def apply(container, test=False) -> dict:
    code, out = runtime.run(
        container,
        [
            "salt-call",
            "--local",
            "--retcode-passthrough",
            "--out=json",
            "--log-level=quiet",
            "--file-root=/srv/stacksalt/formulas/kubernetes",
            "--pillar-root=/root/pillar",
            "--module-dirs=/srv/stacksalt",
            "state.apply",
            "kubernetes",
            f"test={test}",
        ],
        check=False,
    )
    try:
        result = json.loads(out)["local"]
    except (ValueError, KeyError) as exc:
        raise AssertionError(
            f"{container.name}: salt-call output is not JSON:\n{out[-3000:]}"
        ) from exc
    failed = {k: v["comment"] for k, v in result.items() if v["result"] is False}
    assert code == 0 and not failed, f"{container.name}: failed states: {failed}"
    return result


def changed(result: dict) -> dict:
    return {k: v["changes"] for k, v in result.items() if v["changes"]}


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    image = ensure_host_image(ROOT, state_dir(), log=lambda *_: None)
    cli = runtime.client()
    for c in cli.containers.list(all=True, filters={"name": f"{NETWORK}-"}):
        c.remove(force=True)
    for n in cli.networks.list(names=[NETWORK]):
        n.remove()
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=SUBNET)])
    network = cli.networks.create(NETWORK, driver="bridge", ipam=ipam)
    pillars, secrets = model_pillars(tmp_path_factory.mktemp("k8sdev"))
    containers = {}
    try:
        for name, address in {**MASTERS, **POOL}.items():
            c = cli.containers.create(
                image,
                name=f"{NETWORK}-{name}",
                hostname=name,
                detach=True,
                cap_add=["SYS_ADMIN", "NET_ADMIN"],
                tmpfs={"/run": "", "/run/lock": ""},
                volumes={
                    "/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "ro"},
                    str(ROOT): {"bind": runtime.MOUNT, "mode": "ro"},
                },
                stop_signal="SIGRTMIN+3",
                network=NETWORK,
                networking_config={NETWORK: cli.api.create_endpoint_config(ipv4_address=address)},
            )
            c.start()
            containers[name] = c
        for name, c in containers.items():
            runtime.wait_systemd(c)
            pillar = yaml.safe_dump(pillars[name]).encode()
            runtime.put_files(
                c,
                {
                    "/root/pillar/top.sls": (b"base:\n  '*':\n    - kubernetes\n", 0o600),
                    "/root/pillar/kubernetes.sls": (pillar, 0o600),
                },
            )
        # In parallel, as a highstate runs: Calico's etcd members wait for each other.
        with ThreadPoolExecutor(len(containers)) as pool:
            first = dict(zip(containers, pool.map(apply, containers.values()), strict=True))
        with ThreadPoolExecutor(len(containers)) as pool:
            second = dict(zip(containers, pool.map(apply, containers.values()), strict=True))
        with ThreadPoolExecutor(len(containers)) as pool:
            predicted = dict(
                zip(
                    containers,
                    pool.map(lambda c: apply(c, test=True), containers.values()),
                    strict=True,
                )
            )
        yield {
            "c": containers,
            "first": first,
            "second": second,
            "predicted": predicted,
            "secrets": secrets,
        }
    finally:
        if not os.environ.get("STACKSALT_K8SDEV_KEEP"):
            for c in containers.values():
                c.remove(force=True)
            network.remove()


def test_first_apply_changed_and_second_apply_changes_nothing(hosts):
    for name in hosts["c"]:
        assert changed(hosts["first"][name]), f"{name}: first apply changed nothing"
        assert changed(hosts["second"][name]) == {}, f"{name}: {changed(hosts['second'][name])}"


def test_test_mode_predicts_no_change(hosts):
    for name in hosts["c"]:
        result = hosts["predicted"][name]
        assert changed(result) == {}, f"{name}: {changed(result)}"
        assert all(v["result"] is True for v in result.values())


def test_no_key_material_in_state_output_or_logs(hosts):
    text = json.dumps(hosts["first"]) + json.dumps(hosts["second"])
    assert "PRIVATE KEY" not in text
    assert hosts["secrets"]["token"] not in text
    ca_key = pki.split_ca_bundle(hosts["secrets"]["ca"])[0].splitlines()[1]
    for name, c in hosts["c"].items():
        found = dexec(
            c, f"grep -rslF -e '{ca_key}' -e 'PRIVATE KEY' /var/log /var/cache/salt", check=False
        )
        assert found.strip() == "", f"{name}: key material in {found}"
        # The only place the CA key lives on a host is the pillar file this test wrote.
        assert dexec(c, f"grep -rslF -e '{ca_key}' /etc /var/lib", check=False).strip() == ""


def test_binaries_absent_units_enabled_not_started(hosts):
    ctl = hosts["c"]["ctl01"]
    notes = [
        v["comment"] for k, v in hosts["first"]["ctl01"].items() if "binaries-not-present" in k
    ]
    assert notes and "present is false" in notes[0]
    for unit in (
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kubelet",
        "kube-proxy",
    ):
        assert dexec(ctl, f"systemctl is-enabled {unit}").strip() == "enabled"
        assert dexec(ctl, f"systemctl is-active {unit}", check=False).strip() == "inactive"
    cmp = hosts["c"]["cmp01"]
    assert dexec(cmp, "systemctl is-enabled kubelet kube-proxy").split() == ["enabled"] * 2
    assert "kube-apiserver" not in dexec(cmp, "ls /etc/systemd/system")


def test_unit_files_and_flags(hosts):
    api = dexec(hosts["c"]["ctl01"], "systemctl cat kube-apiserver")
    assert (
        "--etcd-servers=http://10.78.1.11:2379,http://10.78.1.12:2379,http://10.78.1.13:2379" in api
    )
    assert "--max-requests-inflight=2000" in api
    assert "--max-mutating-requests-inflight=1000" in api
    assert "--bind-address=10.78.1.11" in api
    assert "ConditionFileIsExecutable=/usr/local/bin/kube-apiserver" in api
    sched = dexec(hosts["c"]["ctl01"], "systemctl cat kube-scheduler")
    assert "--leader-elect=true" in sched and "--leader-elect-lease-duration=15s" in sched
    kubelet = dexec(hosts["c"]["cmp01"], "systemctl cat kubelet")
    assert "--node-labels=openstack-compute-node=enabled,openvswitch=enabled" in kubelet
    master_kubelet = dexec(hosts["c"]["ctl02"], "systemctl cat kubelet")
    assert (
        "--node-labels=openstack-control-plane=enabled,openstack-gateway=enabled,openvswitch=enabled"
        in master_kubelet
    )
    kubeconfig = yaml.safe_load(
        dexec(hosts["c"]["cmp01"], "cat /etc/kubernetes/kubelet.kubeconfig")
    )
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://{VIP}:443"
    assert (
        dexec(hosts["c"]["cmp01"], "stat -c %a /etc/kubernetes/kubelet.kubeconfig").strip() == "600"
    )
    cni = json.loads(dexec(hosts["c"]["cmp01"], "cat /etc/cni/net.d/10-calico.conflist"))
    assert cni["plugins"][0]["etcd_endpoints"] == ",".join(
        f"https://10.78.1.{i}:12379" for i in (11, 12, 13)
    )
    lb = dexec(hosts["c"]["ctl01"], "cat /etc/haproxy/kube-apiserver.cfg")
    for line in (
        "timeout client 10m",
        "timeout server 10m",
        "timeout tunnel 10m",
        "server ctl01 10.78.1.11:6443",
        "server ctl02 10.78.1.12:6443",
        "server ctl03 10.78.1.13:6443",
    ):
        assert line in lb


def _cert(container, name: str) -> pki.CertFacts:
    return pki.facts(dexec(container, f"cat {PKIDIR}/{name}.crt"))


def test_certificates(hosts):
    ctl = hosts["c"]["ctl01"]
    ca_cert = pki.split_ca_bundle(hosts["secrets"]["ca"])[1]
    assert dexec(ctl, f"cat {PKIDIR}/ca.crt") == ca_cert
    api = _cert(ctl, "apiserver")
    for san in (
        f"IP:{VIP}",
        "IP:10.78.1.11",
        "IP:10.254.0.1",
        "IP:127.0.0.1",
        "DNS:kubernetes.default.svc.cluster.local",
        "DNS:ctl01",
        f"DNS:ctl01.{DOMAIN}",
    ):
        assert san in api.sans(), (san, api.sans())
    assert "IP:10.78.1.12" not in api.sans()
    now = dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=364) < api.not_after - now <= dt.timedelta(days=365)
    assert _cert(ctl, "admin").organizations == ("system:masters",)
    kubelet = _cert(hosts["c"]["cmp01"], "kubelet-client")
    assert kubelet.common_name == "system:node:cmp01"
    # Every certificate verifies against the CA with openssl, and every key is 0600.
    out = dexec(ctl, f"cd {PKIDIR} && for c in *.crt; do openssl verify -CAfile ca.crt $c; done")
    assert out.count(": OK") == len(dexec(ctl, f"ls {PKIDIR}/*.crt").split())
    modes = dexec(ctl, f"stat -c '%n %a %U' {PKIDIR}/*.key").splitlines()
    assert len(modes) >= 9
    for line in modes:
        path, mode, owner = line.split()
        assert mode == "600", line
        assert owner == ("etcd" if path.endswith("etcd-calico.key") else "root"), line
    assert dexec(ctl, f"openssl pkey -in {PKIDIR}/sa.key -pubout") == dexec(
        ctl, f"cat {PKIDIR}/sa.pub"
    )


def _pki_files(container) -> dict[str, str]:
    """Inode, size, mode and modification time of every file in the PKI directory."""
    out = dexec(container, f"stat -c '%n %i %s %a %Y' {PKIDIR}/*")
    return dict(line.split(" ", 1) for line in out.splitlines())


def test_certificate_reissued_only_when_its_sans_change(hosts):
    ctl = hosts["c"]["ctl02"]
    before = {name: _cert(ctl, name) for name in ("apiserver", "admin")}
    files = _pki_files(ctl)
    # Another service network moves the "kubernetes" Service IP: a SAN of the apiserver's
    # certificate only.
    dexec(
        ctl,
        "sed -i 's#^    cluster_name: local$#&\\n    service_network: 10.96.0.0/12#' "
        "/root/pillar/kubernetes.sls",
    )
    assert "10.96.0.0/12" in dexec(ctl, "cat /root/pillar/kubernetes.sls")
    res = changed(apply(ctl))
    after = _cert(ctl, "apiserver")
    assert after.serial != before["apiserver"].serial and "IP:10.96.0.1" in after.sans()
    assert "IP:10.254.0.1" not in after.sans()
    reasons = json.dumps(res)
    assert "+IP:10.96.0.1" in reasons and "-IP:10.254.0.1" in reasons
    assert _cert(ctl, "admin").serial == before["admin"].serial
    # Every other certificate and key is untouched (same file, same time), the apiserver's
    # certificate was replaced by a rename (a new inode), and no temporary file is left.
    now = _pki_files(ctl)
    moved = f"{PKIDIR}/apiserver.crt"
    assert sorted(now) == sorted(files)
    assert {k: v for k, v in now.items() if k != moved} == {
        k: v for k, v in files.items() if k != moved
    }
    assert now[moved].split()[0] != files[moved].split()[0]
    assert changed(apply(ctl)) == {}


def _vip_holders(hosts) -> list[str]:
    return [
        name
        for name in MASTERS
        if f"inet {VIP}/" in dexec(hosts["c"][name], "ip -4 addr show dev eth0")
    ]


def _wait_vip_on(hosts, holder: str, why: str) -> None:
    wait_for(
        lambda: f"the VIP {VIP} on {holder} only ({why}); held by {_vip_holders(hosts)}",
        lambda: _vip_holders(hosts) == [holder],
        timeout=VIP_TIMEOUT,
    )


def test_haproxy_and_keepalived_running_vip_on_one_master_and_moves(hosts):
    for name in MASTERS:
        c = hosts["c"][name]
        assert (
            dexec(c, "systemctl is-active kube-apiserver-lb keepalived").split() == ["active"] * 2
        )
        assert ":443 " in dexec(c, "ss -ltnH 'sport = :443'") + " "
    _wait_vip_on(hosts, "ctl01", "the first master has the higher priority")
    dexec(hosts["c"]["ctl01"], "systemctl stop keepalived")
    try:
        _wait_vip_on(hosts, "ctl02", "ctl01's keepalived stopped")
    finally:
        dexec(hosts["c"]["ctl01"], "systemctl start keepalived")
    # The first master has the higher priority and takes the VIP back.
    _wait_vip_on(hosts, "ctl01", "ctl01's keepalived back")
    # keepalived tracks the HAProxy unit: a master whose HAProxy is down gives the VIP away.
    dexec(hosts["c"]["ctl01"], "systemctl stop kube-apiserver-lb")
    try:
        _wait_vip_on(hosts, "ctl02", "ctl01's HAProxy stopped")
    finally:
        dexec(hosts["c"]["ctl01"], "systemctl start kube-apiserver-lb")
    _wait_vip_on(hosts, "ctl01", "ctl01's HAProxy back")
    # The VIP answers on the HAProxy port (no apiserver behind it here: TCP accept only).
    dexec(hosts["c"]["cmp01"], f"timeout 5 bash -c 'exec 3<>/dev/tcp/{VIP}/443'")


def test_calico_etcd_healthy_on_its_own_port_with_tls(hosts):
    ctl = hosts["c"]["ctl01"]
    assert dexec(ctl, "systemctl is-active etcd-calico").strip() == "active"
    tls = (
        f"--cacert {PKIDIR}/ca.crt --cert {PKIDIR}/calico-etcd-client.crt "
        f"--key {PKIDIR}/calico-etcd-client.key"
    )
    eps = "https://10.78.1.11:12379,https://10.78.1.12:12379"
    out = dexec(
        ctl, f"ETCDCTL_API=3 etcdctl --dial-timeout=3s {tls} --endpoints={eps} endpoint health 2>&1"
    )
    assert out.count("is healthy") == 2, out
    members = dexec(
        ctl, f"ETCDCTL_API=3 etcdctl --dial-timeout=3s {tls} --endpoints={eps} member list"
    )
    # ctl03 is in the initial cluster but never ran here (no client URL): 2 of 3 make the
    # quorum.
    assert "ctl01" in members and "ctl02" in members and members.count(":12379") == 2
    dexec(ctl, f"ETCDCTL_API=3 etcdctl --dial-timeout=3s {tls} --endpoints={eps} put /probe ok")
    got = dexec(
        hosts["c"]["ctl02"],
        f"ETCDCTL_API=3 etcdctl --dial-timeout=3s {tls} "
        "--endpoints=https://127.0.0.1:12379 get /probe --print-value-only",
    )
    assert got.strip() == "ok"
    # Without a client certificate the server refuses.
    code, _ = runtime.run(
        ctl,
        [
            "sh",
            "-c",
            f"ETCDCTL_API=3 etcdctl --dial-timeout=3s "
            f"--cacert {PKIDIR}/ca.crt --endpoints={eps} endpoint health",
        ],
        check=False,
    )
    assert code != 0
    # Not Kubernetes' etcd port.
    assert dexec(ctl, "ss -ltnH 'sport = :2379'", check=False).strip() == ""
