"""galera_cluster.database_present / user_present through Salt's real loader against a real
MariaDB started by the fixture: over TCP as an admin whose password is read from the pillar
by key (a Job in its own pod), and on the local socket as root (the galera formula, as
before). Each case runs in test mode first (predicts, touches nothing: checked on the
server), then applied, then again (no changes). No password appears in any return."""

from __future__ import annotations

import pymysql
import pytest

from .saltcall import load_salt
from .test_openstack_servers import MariaDB, mariadb  # noqa: F401 - the fixture

NOVA_PASSWORD = "nova-db-Functional-5b2c"
NEW_PASSWORD = "nova-db-Rotated-88f0"
ADMIN_KEY = "openstack:database:admin:password"
NOVA_KEY = "openstack:database:users:nova:password"


def pillar(server: MariaDB, nova_password: str = NOVA_PASSWORD) -> dict:
    return {
        "openstack": {
            "database": {
                "admin": {"user": MariaDB.ADMIN, "password": server.admin_password},
                "users": {"nova": {"password": nova_password}},
            }
        }
    }


def loaders(tmp_path, data: dict):
    """``(test-mode states, applying states)`` from Salt's real loader."""
    return (
        load_salt(tmp_path / "test", True, pillar=data)[1],
        load_salt(tmp_path / "apply", False, pillar=data)[1],
    )


def tcp(server: MariaDB) -> dict:
    return {
        "db_host": "127.0.0.1",
        "db_port": server.port,
        "admin_user": MariaDB.ADMIN,
        "admin_pillar": ADMIN_KEY,
    }


def no_secret(ret, *secrets):
    text = repr(ret)
    for secret in secrets:
        assert secret not in text, f"a secret leaked into {text}"


def test_database_present_over_tcp(mariadb, tmp_path):  # noqa: F811
    test_mode, apply = loaders(tmp_path, pillar(mariadb))
    ret = test_mode["galera_cluster.database_present"]("nova_api", **tcp(mariadb))
    assert ret["result"] is None, ret
    assert ret["changes"] == {"database": {"old": None, "new": "nova_api"}}
    assert "nova_api" not in mariadb.databases()

    ret = apply["galera_cluster.database_present"]("nova_api", **tcp(mariadb))
    assert ret["result"] is True and ret["changes"], ret
    assert "nova_api" in mariadb.databases()

    for states in (apply, test_mode):
        ret = states["galera_cluster.database_present"]("nova_api", **tcp(mariadb))
        assert ret["result"] is True and ret["changes"] == {}, ret
    no_secret(ret, mariadb.admin_password)


def test_user_present_over_tcp_with_password_by_pillar_key(mariadb, tmp_path):  # noqa: F811
    test_mode, apply = loaders(tmp_path, pillar(mariadb))
    apply["galera_cluster.database_present"]("nova", **tcp(mariadb))
    args = {
        "password_pillar": NOVA_KEY,
        "host": "%",
        "grants": ["ALL PRIVILEGES ON `nova`.*"],
        **tcp(mariadb),
    }
    ret = test_mode["galera_cluster.user_present"]("nova", **args)
    assert ret["result"] is None, ret
    assert ret["changes"]["password"] == "set"
    with pytest.raises(pymysql.OperationalError):
        mariadb.login("nova", NOVA_PASSWORD)

    ret = apply["galera_cluster.user_present"]("nova", **args)
    assert ret["result"] is True, ret
    assert ret["changes"]["actions"] == ["create", "grants"]
    with mariadb.login("nova", NOVA_PASSWORD, "nova") as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT)")  # the grant works
    for states in (apply, test_mode):
        again = states["galera_cluster.user_present"]("nova", **args)
        assert again["result"] is True and again["changes"] == {}, again
    no_secret([ret, again], NOVA_PASSWORD, mariadb.admin_password)

    # The pillar's password changed: predicted as "changed" (never the value), then set.
    test_mode, apply = loaders(tmp_path / "rotated", pillar(mariadb, NEW_PASSWORD))
    ret = test_mode["galera_cluster.user_present"]("nova", **args)
    assert ret["result"] is None and ret["changes"]["password"] == "changed", ret
    mariadb.login("nova", NOVA_PASSWORD).close()  # test mode touched nothing
    ret = apply["galera_cluster.user_present"]("nova", **args)
    assert ret["result"] is True and ret["changes"]["actions"] == ["password"], ret
    mariadb.login("nova", NEW_PASSWORD).close()
    with pytest.raises(pymysql.OperationalError):
        mariadb.login("nova", NOVA_PASSWORD)
    assert apply["galera_cluster.user_present"]("nova", **args)["changes"] == {}
    no_secret(ret, NOVA_PASSWORD, NEW_PASSWORD, mariadb.admin_password)


def test_socket_mode_works_as_before(mariadb, tmp_path):  # noqa: F811
    """The galera formula's way: root on the local socket, the password as an argument."""
    test_mode, apply = loaders(tmp_path, {})
    ret = test_mode["galera_cluster.database_present"]("keystone", socket=mariadb.socket)
    assert ret["result"] is None and "keystone" not in mariadb.databases(), ret
    ret = apply["galera_cluster.database_present"]("keystone", socket=mariadb.socket)
    assert ret["result"] is True and ret["changes"], ret
    grants = ["ALL PRIVILEGES ON `keystone`.*"]
    ret = apply["galera_cluster.user_present"](
        "keystone", password="keystone-sock-pw", grants=grants, socket=mariadb.socket
    )
    assert ret["result"] is True and ret["changes"]["actions"] == ["create", "grants"], ret
    mariadb.login("keystone", "keystone-sock-pw", "keystone").close()
    for states in (apply, test_mode):
        ret = states["galera_cluster.user_present"](
            "keystone", password="keystone-sock-pw", grants=grants, socket=mariadb.socket
        )
        assert ret["result"] is True and ret["changes"] == {}, ret


@pytest.mark.parametrize("test", [True, False], ids=["test-mode", "apply"])
def test_a_wrong_admin_password_is_a_clear_failure(mariadb, tmp_path, test):  # noqa: F811
    data = pillar(mariadb)
    data["openstack"]["database"]["admin"]["password"] = "not-the-admin-Password-1"
    states = load_salt(tmp_path, test, pillar=data)[1]
    ret = states["galera_cluster.database_present"]("glance", **tcp(mariadb))
    assert ret["result"] is False, ret
    assert f"127.0.0.1:{mariadb.port}" in ret["comment"]
    assert ADMIN_KEY in ret["comment"] and "Access denied" in ret["comment"]
    no_secret(ret, "not-the-admin-Password-1", mariadb.admin_password)
    assert "glance" not in mariadb.databases()


@pytest.mark.parametrize("test", [True, False], ids=["test-mode", "apply"])
def test_nothing_listening_is_a_clear_failure(mariadb, tmp_path, test):  # noqa: F811
    states = load_salt(tmp_path, test, pillar=pillar(mariadb))[1]
    args = {**tcp(mariadb), "db_port": 1}
    ret = states["galera_cluster.database_present"]("glance", **args)
    assert ret["result"] is False
    assert "cannot connect to MariaDB at 127.0.0.1:1" in ret["comment"], ret


@pytest.mark.parametrize("test", [True, False], ids=["test-mode", "apply"])
def test_a_missing_pillar_key_names_the_key(mariadb, tmp_path, test):  # noqa: F811
    states = load_salt(tmp_path, test, pillar=pillar(mariadb))[1]
    ret = states["galera_cluster.user_present"](
        "cinder", password_pillar="openstack:database:users:cinder:password", **tcp(mariadb)
    )
    assert ret["result"] is False
    assert "pillar openstack:database:users:cinder:password is empty" in ret["comment"], ret
    ret = states["galera_cluster.user_present"]("cinder", **tcp(mariadb))
    assert ret["result"] is False and "password_pillar" in ret["comment"], ret
