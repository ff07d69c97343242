"""The openstack formula end to end, as a service's bootstrap Job runs it: the real
``salt-call --local state.apply openstack.database,openstack.messaging,openstack.identity``
with the formula's SLS files and a pillar holding the secrets, against a real MariaDB,
RabbitMQ (management API) and keystone started by the fixtures.

Test mode first predicts and touches nothing; the first apply converges; the second apply
and a second test run report zero changes. No secret appears in the output or the minion's
debug log. Every formula test pillar renders each SLS (state.show_sls) with pillar keys
only in the states' arguments."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pymysql
import pytest
import requests
import yaml

from stacksalt.openstack.keystone import KeystoneClient

from .saltcall import minion_config, salt_call
from .test_openstack_servers import (  # noqa: F401 - the fixtures
    MariaDB,
    RabbitManagement,
    keystone,
    mariadb,
    rabbitmq_api,
)

ROOT = Path(__file__).resolve().parents[2]
FORMULA = ROOT / "formulas" / "openstack"
SECRETS = {
    "db": "e2e-nova-db-Password-1",
    "mq": "e2e-nova-mq-Password-2",
    "ks": "e2e-nova-ks-Password-3",
}
SLS = "openstack.database,openstack.messaging,openstack.identity"


def pillar(mariadb, rabbitmq_api, keystone):  # noqa: F811
    return {
        "openstack": {
            "database": {
                "host": "127.0.0.1",
                "port": mariadb.port,
                "admin": {"user": MariaDB.ADMIN, "password": mariadb.admin_password},
                "users": {
                    "e2e_nova": {"password": SECRETS["db"], "databases": ["e2e_nova", "e2e_api"]}
                },
            },
            "messaging": {
                "api_url": rabbitmq_api.api_url,
                "admin": {"user": RabbitManagement.ADMIN, "password": rabbitmq_api.admin_password},
                "users": {"e2e-nova": {"password": SECRETS["mq"], "vhost": "/e2e"}},
            },
            "identity": {
                "auth_url": keystone.url,
                "admin": {"password": keystone.admin_password},
                "users": {"e2e-nova": {"password": SECRETS["ks"]}},
                "services": {
                    "e2e-nova": {
                        "type": "e2e-compute",
                        "description": "end to end",
                        "endpoints": {
                            "public": "http://192.0.2.10:8774/v2.1",
                            "internal": "http://10.0.0.10:8774/v2.1",
                            "admin": "http://10.0.0.10:8774/v2.1",
                        },
                    }
                },
            },
        }
    }


def config(tmp_path: Path, data: dict) -> Path:
    pillar_dir = tmp_path / "pillar"
    pillar_dir.mkdir()
    (pillar_dir / "job.sls").write_text(yaml.safe_dump(data))
    (pillar_dir / "top.sls").write_text("base:\n  '*':\n    - job\n")
    conf_dir = minion_config(tmp_path, ROOT, pillar_dir=pillar_dir)
    minion = yaml.safe_load((conf_dir / "minion").read_text())
    minion["log_level_logfile"] = "debug"
    (conf_dir / "minion").write_text(yaml.safe_dump(minion))
    return conf_dir


def summary(ret: dict) -> tuple[int, int, list]:
    """(states, states with changes, failures)."""
    failed = [f"{k}: {v['comment']}" for k, v in ret.items() if v["result"] is False]
    changed = sum(1 for v in ret.values() if v["changes"])
    return len(ret), changed, failed


def test_a_bootstrap_job_converges_and_a_second_run_changes_nothing(
    mariadb,  # noqa: F811
    rabbitmq_api,  # noqa: F811
    keystone,  # noqa: F811
    tmp_path,
):
    data = pillar(mariadb, rabbitmq_api, keystone)
    conf = config(tmp_path, data)
    outputs = []

    predicted = salt_call(conf, "state.apply", SLS, "test=True")
    outputs.append(predicted)
    states, changed, failed = summary(predicted)
    assert failed == []
    # Everything but the pillar checks and the admin role (keystone's bootstrap made it).
    unchanged = {v["__id__"] for v in predicted.values() if not v["changes"]}
    assert unchanged == {
        "openstack-database-pillar-validated",
        "openstack-messaging-pillar-validated",
        "openstack-identity-pillar-validated",
        "openstack-identity-role-admin-present",
    }, predicted
    assert all(v["result"] is None for v in predicted.values() if v["changes"])
    # Test mode touched nothing.
    assert "e2e_nova" not in mariadb.databases()
    assert not rabbitmq_api.authenticates("e2e-nova", SECRETS["mq"])
    kc = KeystoneClient(keystone.url).login("admin", keystone.admin_password)
    assert not kc.list("users", name="e2e-nova")

    applied = salt_call(conf, "state.apply", SLS)
    outputs.append(applied)
    states, changed, failed = summary(applied)
    assert failed == [] and changed == states - len(unchanged), applied
    assert {k for k, v in applied.items() if v["changes"]} == {
        k for k, v in predicted.items() if v["changes"]
    }

    for args in ((), ("test=True",)):
        again = salt_call(conf, "state.apply", SLS, *args)
        outputs.append(again)
        assert summary(again) == (states, 0, []), again

    # What the Job made works, with the passwords from the pillar.
    with (
        pymysql.connect(
            host="127.0.0.1",
            port=mariadb.port,
            user="e2e_nova",
            password=SECRETS["db"],
            database="e2e_api",
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("CREATE TABLE t (id INT)")
    assert rabbitmq_api.authenticates("e2e-nova", SECRETS["mq"])
    perms = rabbitmq_api.ctl_ok("list_user_permissions", "e2e-nova", "--formatter", "json")
    assert json.loads(perms) == [{"vhost": "/e2e", "configure": ".*", "write": ".*", "read": ".*"}]
    user = KeystoneClient(keystone.url).login("e2e-nova", SECRETS["ks"], project="service")
    roles = {
        r["name"]
        for r in requests.get(
            f"{keystone.url}/auth/tokens",
            headers={"X-Auth-Token": user.token, "X-Subject-Token": user.token},
            timeout=30,
        ).json()["token"]["roles"]
    }
    assert roles >= {"admin", "service"}
    fresh = KeystoneClient(keystone.url).login("admin", keystone.admin_password)
    assert fresh.endpoint("e2e-compute", "internal") == "http://10.0.0.10:8774/v2.1"

    text = json.dumps(outputs) + (tmp_path / "minion.log").read_text(errors="replace")
    for secret in [
        *SECRETS.values(),
        mariadb.admin_password,
        rabbitmq_api.admin_password,
        keystone.admin_password,
    ]:
        assert secret not in text, "a secret leaked into the output or the debug log"


CASES = sorted((FORMULA / "tests" / "pillar").glob("*.sls"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
@pytest.mark.parametrize("sls", ["database", "messaging", "identity", "resources"])
def test_each_sls_renders_with_pillar_keys_only(tmp_path, case, sls):
    pillar_dir = tmp_path / "pillar"
    pillar_dir.mkdir()
    shutil.copy(case, pillar_dir / "case.sls")
    (pillar_dir / "top.sls").write_text("base:\n  '*':\n    - case\n")
    low = salt_call(
        minion_config(tmp_path, ROOT, pillar_dir=pillar_dir), "state.show_sls", f"openstack.{sls}"
    )
    assert f"openstack-{sls}-pillar-validated" in low
    text = json.dumps(low)
    secrets = [
        line.split(":", 1)[1].strip()
        for line in case.read_text().splitlines()
        if line.strip().startswith("password:")
    ]
    assert secrets and not [s for s in secrets if s in text]
