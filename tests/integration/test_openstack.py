"""The local cloud, used as its users use it: the local cluster's hosts (etcd, Galera,
RabbitMQ, the VIP) and its Kubernetes workload run here by 'stacksalt compose up', then the
real OpenStack client (python3-openstackclient) and Rally drive it through the catalog's
load-balanced endpoints: a server boots on a fake host with its port bound and is deleted; an
image goes through glance and back; a network, subnet and router come and go; servers still
boot while one nova-api and one neutron-server replica are killed; Rally boots and deletes
servers; horizon logs a user in, in a real browser; the day-1 objects are idempotent; no secret
is in the compose file, a container's argv or environment, or its logs.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from stacksalt.cli import main
from stacksalt.compose import runner
from stacksalt.openstack import rally as rally_mod
from stacksalt.openstack.cli import credentials, openstack
from stacksalt.paths import state_dir
from tests.integration.helpers import ROOT, sh, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.requires("docker", "docker-compose", "openstack"),
]

CLUSTER = "local"
PROJECT = f"stacksalt-compose-{CLUSTER}"
VIP = "10.77.1.100"


@pytest.fixture(scope="module")
def cloud(cluster):
    state = state_dir()
    args = ["--root", str(ROOT), "--state", str(state), "compose"]
    # within the module's 2400 s limit (tests/conftest.py), after any cold image builds
    assert main([*args, "up", "--cluster", CLUSTER, "--timeout", "1500"]) == 0
    env = credentials(ROOT, CLUSTER)
    yield {"state": state, "env": env}
    assert main([*args, "down", "--cluster", CLUSTER]) == 0


def os_cli(cloud, *args: str, timeout: float = 300, check: bool = True):
    """``openstack ARGS -f json`` with the admin's credentials in the environment."""
    res = openstack(cloud["env"], *args, "-f", "json", timeout=timeout)
    if check:
        assert res.returncode == 0, f"openstack {' '.join(args)}: {res.stderr[-1500:]}"
        return json.loads(res.stdout or "null")
    return res


def os_do(cloud, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """An ``openstack`` action that prints no table (delete, save, add, set)."""
    res = openstack(cloud["env"], *args, timeout=timeout)
    assert res.returncode == 0, f"openstack {' '.join(args)}: {res.stderr[-1500:]}"
    return res


def kill9(container: str) -> None:
    """kill -9 of the container's main process from the host: a crash, which the restart
    policy answers (docker kill counts as a deliberate stop and is not restarted)."""
    pid = sh("docker", "inspect", "--format", "{{.State.Pid}}", container).stdout.strip()
    assert pid and pid != "0", f"{container} is not running"
    sh("kill", "-9", pid)


def wait_status(cloud, kind: str, name: str, want: str, timeout: float = 300):
    def look():
        res = os_cli(cloud, kind, "show", name, check=False)
        if res.returncode != 0:
            return None
        item = json.loads(res.stdout)
        assert item.get("status") != "ERROR", f"{kind} {name}: ERROR {item.get('fault')}"
        return item if item.get("status") == want else None

    return wait_for(f"{kind} {name} {want}", look, timeout=timeout, interval=2)


def test_catalog_names_the_balanced_endpoints_and_they_answer_from_the_host(cloud):
    endpoints = os_cli(cloud, "endpoint", "list")
    public = {e["Service Name"]: e["URL"] for e in endpoints if e["Interface"] == "public"}
    assert set(public) >= {"keystone", "glance", "placement", "nova", "neutron"}
    for name, url in public.items():
        assert url.startswith(f"http://{VIP}:"), f"{name}: {url}"
        code = sh("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url).stdout
        assert code in {"200", "300", "401"}, f"{name} {url}: HTTP {code}"


def test_the_client_keeps_its_connections_and_no_call_fails(cloud):
    """One client process, one keep-alive session, many calls over every API (the client's
    interactive mode reads commands from its standard input)."""
    commands = [
        "user list",
        "project list",
        "image list",
        "flavor list",
        "network list",
        "server list",
        "hypervisor list",
        "network agent list",
        "port list",
    ] * 4
    res = subprocess.run(
        ["openstack"],
        input="\n".join(commands) + "\n",
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **cloud["env"]},
        check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    for bad in ("RemoteDisconnected", "Connection aborted", "Traceback", "Error"):
        assert bad not in res.stdout + res.stderr, (res.stdout + res.stderr)[-2000:]


def test_the_day_one_objects_exist(cloud):
    flavors = {f["Name"] for f in os_cli(cloud, "flavor", "list")}
    assert {"m1.test", "m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"} <= flavors
    assert {i["Name"] for i in os_cli(cloud, "image", "list")} >= {"cirros-test"}
    networks = {n["Name"] for n in os_cli(cloud, "network", "list")}
    assert {"internal", "external"} <= networks
    router = os_cli(cloud, "router", "show", "router")
    assert router["status"] == "ACTIVE" and router["external_gateway_info"]
    rules = os_cli(cloud, "security", "group", "rule", "list", "ping-ssh")
    assert {r["IP Protocol"] for r in rules} >= {"icmp", "tcp"}
    hosts = {h["Hypervisor Hostname"] for h in os_cli(cloud, "hypervisor", "list")}
    assert len(hosts) >= 10  # the fake hosts, each registered under its pod's name


def create_server(cloud, name: str, *options: str, **kwargs):
    """``openstack server create``: an m1.tiny of the test image on the internal network."""
    flavor_image_network = (
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros-test",
        "--network",
        "internal",
    )
    return os_cli(cloud, "server", "create", *flavor_image_network, *options, name, **kwargs)


def test_a_server_boots_on_a_fake_host_with_its_port_bound_and_is_deleted(cloud):
    create_server(cloud, "it-boot", "--security-group", "ping-ssh")
    server = wait_status(cloud, "server", "it-boot", "ACTIVE")
    host = server["OS-EXT-SRV-ATTR:host"]
    assert host.startswith("nova-compute-")
    ports = os_cli(cloud, "port", "list", "--server", "it-boot")
    port = os_cli(cloud, "port", "show", ports[0]["ID"])
    assert port["binding_host_id"] == host and port["binding_vif_type"] == "bridge"
    os_do(cloud, "server", "delete", "--wait", "it-boot")
    wait_for(
        "server it-boot gone",
        lambda: os_cli(cloud, "server", "show", "it-boot", check=False).returncode != 0,
        timeout=180,
    )
    assert os_cli(cloud, "port", "list", "--device-id", server["id"]) == []


def test_an_image_goes_through_glance_and_back(cloud, tmp_path):
    data = os.urandom(3 * 1024 * 1024)
    src, back = tmp_path / "in.raw", tmp_path / "out.raw"
    src.write_bytes(data)
    os_cli(
        cloud,
        "image",
        "create",
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "--file",
        str(src),
        "it-image",
    )
    wait_status(cloud, "image", "it-image", "active", timeout=120)
    os_do(cloud, "image", "save", "--file", str(back), "it-image")
    assert hashlib.sha256(back.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    os_do(cloud, "image", "delete", "it-image")


def test_a_network_subnet_and_router_round_trip(cloud):
    os_cli(cloud, "network", "create", "it-net")
    os_cli(
        cloud,
        "subnet",
        "create",
        "--network",
        "it-net",
        "--subnet-range",
        "10.250.0.0/24",
        "it-subnet",
    )
    os_cli(cloud, "router", "create", "it-router")
    for args in (
        ["router", "add", "subnet", "it-router", "it-subnet"],
        ["router", "set", "--external-gateway", "external", "it-router"],
    ):
        os_do(cloud, *args)
    router = os_cli(cloud, "router", "show", "it-router")
    assert router["external_gateway_info"]["network_id"]
    for args in (
        ["router", "remove", "subnet", "it-router", "it-subnet"],
        ["router", "delete", "it-router"],
        ["subnet", "delete", "it-subnet"],
        ["network", "delete", "it-net"],
    ):
        os_do(cloud, *args)


def test_servers_boot_while_a_nova_api_and_a_neutron_server_replica_are_killed(cloud):
    names = [f"it-kill-{i}" for i in range(4)]

    def boot(name):
        return create_server(cloud, name, "--wait", timeout=600, check=False)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(boot, n) for n in names]
        time.sleep(3)
        for victim in ("nova-api-0-nova-api", "neutron-server-0-neutron-server"):
            kill9(f"{PROJECT}-{victim}")
        results = [f.result() for f in futures]
    for name, res in zip(names, results, strict=True):
        assert res.returncode == 0, f"{name}: {res.stderr[-1000:]}"
        assert json.loads(res.stdout)["status"] == "ACTIVE"
    for victim in ("nova-api-0-nova-api", "neutron-server-0-neutron-server"):
        wait_for(
            f"{victim} running again (restart policy)",
            lambda v=victim: (
                "true"
                in sh(
                    "docker", "inspect", "--format", "{{.State.Running}}", f"{PROJECT}-{v}"
                ).stdout
            ),
            timeout=120,
        )
    for name in names:
        os_do(cloud, "server", "delete", "--wait", name)


@pytest.mark.requires("rally")
def test_rally_boots_and_deletes_servers_with_no_failure(cloud, tmp_path):
    env = {**os.environ, **cloud["env"], "HOME": str(tmp_path)}
    rally = rally_mod.workspace(env, tmp_path, "it")
    task = rally_mod.boot_and_delete_task(30, 5, max_failure_rate=0)
    path = tmp_path / "task.json"
    path.write_text(json.dumps(task))
    res = subprocess.run(
        [*rally, "task", "start", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    results = rally_mod.results(rally, env)
    assert len(results) == 30
    assert [r["error"] for r in results if r["error"]] == []


@pytest.mark.requires("chromium")
def test_horizon_logs_a_user_in_in_a_real_browser(cloud, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(120)
        driver.get(f"http://{VIP}:8080/auth/login/")
        driver.find_element(By.ID, "id_username").send_keys("admin")
        driver.find_element(By.ID, "id_password").send_keys(cloud["env"]["OS_PASSWORD"])
        driver.find_element(By.ID, "loginBtn").click()
        wait_for(
            "horizon's project pages after the login",
            lambda: "/project/" in driver.current_url,
            timeout=120,
        )
        driver.get(f"http://{VIP}:8080/project/instances/")
        assert "Instances" in driver.title
        driver.save_screenshot(str(tmp_path / "instances.png"))
    finally:
        driver.quit()


def test_the_day_one_job_changes_nothing_when_run_again(cloud):
    """The Job's container run again (attached: this run's output only)."""
    res = sh("docker", "start", "-a", f"{PROJECT}-openstack-resources", timeout=600)
    out = res.stdout + res.stderr
    assert "applied openstack.resources" in out, out[-2000:]
    assert "changed " not in out and "FAILED" not in out, out[-2000:]


def test_no_secret_in_the_compose_file_argv_environment_or_logs(cloud):
    from stacksalt import secrets

    values = [
        str(v)
        for v in secrets.load(secrets.secrets_file(ROOT, CLUSTER)).values()
        if len(str(v)) >= 8
    ]
    compose = runner.compose_file(cloud["state"], CLUSTER).read_text()
    assert not [v for v in values if v in compose]
    names = runner.project_containers(PROJECT)
    assert names
    for name in names:
        config = json.loads(sh("docker", "inspect", name).stdout)[0]
        seen = json.dumps([config["Config"]["Env"], config["Args"], config["Path"]])
        assert not [v for v in values if v in seen], name
        logs = subprocess.run(
            ["docker", "logs", "--tail", "500", name], capture_output=True, text=True, check=False
        )
        text = logs.stdout + logs.stderr
        assert not [v for v in values if v in text], f"{name}: a secret in its log"
    for path in Path(runner.files_dir(cloud["state"], CLUSTER)).rglob("10-pillar.yaml"):
        body = path.read_text()
        assert not [v for v in values if v in body], path
