"""Rally (Debian's rally + rally-openstack) against a cloud: a private Rally database and
environment in a work folder, the seeds' boot-and-delete task, and its results. Used by the
OpenStack integration test and by 'make bench-rally'."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def rally_conf(database: Path, poll_interval: float | None, timeout: float | None) -> str:
    """Rally's configuration: its database, and how often and how long it polls a server it
    boots or deletes (Rally's defaults, 2 s and 300 s, when None). At concurrency 50 the
    default polling alone sends nova-api 25 requests a second."""
    lines = ["[database]", f"connection = sqlite:///{database}"]
    options = {}
    if poll_interval is not None:
        for action in ("boot", "delete"):
            options[f"nova_server_{action}_poll_interval"] = poll_interval
    if timeout is not None:
        for action in ("boot", "delete"):
            options[f"nova_server_{action}_timeout"] = timeout
    if options:
        lines.append("[openstack]")
        lines += [f"{key} = {value:g}" for key, value in sorted(options.items())]
    return "\n".join(lines) + "\n"


def workspace(
    env: Mapping[str, str],
    work: Path,
    name: str,
    poll_interval: float | None = None,
    timeout: float | None = None,
) -> list[str]:
    """A Rally database (SQLite) and an environment named ``name`` from the cloud
    credentials in ``env`` (OS_*), both in ``work``; returns the ``rally`` command to run
    with ``env``. ``poll_interval``, ``timeout``: see :func:`rally_conf`."""
    conf = work / "rally.conf"
    conf.write_text(rally_conf(work / "rally.sqlite", poll_interval, timeout))
    rally = ["rally", "--config-file", str(conf)]
    subprocess.run([*rally, "db", "create"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*rally, "env", "create", "--from-sysenv", "--name", name],
        env=env,
        check=True,
        capture_output=True,
    )
    return rally


def boot_and_delete_task(
    times: int,
    concurrency: int,
    tenants: int = 1,
    users: int = 1,
    unlimited_quotas: bool = False,
    max_failure_rate: float | None = None,
) -> dict[str, Any]:
    """``NovaServers.boot_and_delete_server`` on the day-1 flavor and image, with a network
    context (each tenant its own network)."""
    context: dict[str, Any] = {
        "users": {"tenants": tenants, "users_per_tenant": users},
        "network": {"start_cidr": "10.2.0.0/16"},
    }
    if unlimited_quotas:
        context["quotas"] = {
            "nova": {"instances": -1, "cores": -1, "ram": -1},
            "neutron": {"network": -1, "port": -1, "subnet": -1, "router": -1},
        }
    case: dict[str, Any] = {
        "args": {"flavor": {"name": "m1.tiny"}, "image": {"name": "cirros-test"}},
        "runner": {"type": "constant", "times": times, "concurrency": concurrency},
        "context": context,
    }
    if max_failure_rate is not None:
        case["sla"] = {"failure_rate": {"max": max_failure_rate}}
    return {"NovaServers.boot_and_delete_server": [case]}


def results(rally: list[str], env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The iterations of the last task: ``duration``, ``error``, ``atomic_actions``."""
    out = subprocess.run(
        [*rally, "task", "results"], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)[0]["result"]
