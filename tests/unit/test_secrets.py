"""Secrets: generated per deployment, 0600, idempotent, masked, never printed."""

from __future__ import annotations

import os
import stat

import pytest
import yaml

from stacksalt import secrets
from stacksalt.cli import main


def test_init_generates_every_referenced_secret(project):
    path = secrets.secrets_file(project, "local")
    values = secrets.load(path)
    assert set(values) == set(
        secrets.referenced_secret_names(project / "reclass_model" / "classes")
    )
    assert "etcd_initial_cluster_token" in values
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    link = secrets.model_link(project, "local")
    assert link.is_symlink() and link.resolve() == path.resolve()


def test_init_is_idempotent_and_keeps_values(project):
    path = secrets.secrets_file(project, "local")
    before = path.read_text()
    _, new = secrets.init(project, "local")
    assert new == []
    assert path.read_text() == before


def test_new_reference_generates_only_the_new_secret(project):
    cls = project / "reclass_model" / "classes" / "cluster" / "local" / "init.yml"
    cls.write_text(cls.read_text() + "    demo_db_password: ${_param:keystone_db_password}\n")
    old = secrets.load(secrets.secrets_file(project, "local"))
    _, new = secrets.init(project, "local")
    assert new == ["keystone_db_password"]
    now = secrets.load(secrets.secrets_file(project, "local"))
    assert {k: now[k] for k in old} == old


def test_unknown_cluster_is_a_clear_error(project):
    with pytest.raises(FileNotFoundError, match="cluster 'nope' not found"):
        secrets.init(project, "nope")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"token": "abc"}, {"token": secrets.MASK}),
        (
            {"db": {"password": "x", "user": "nova"}},
            {"db": {"password": secrets.MASK, "user": "nova"}},
        ),
        (
            {"url": "mysql://nova:s3cr3tvalue@db/nova"},
            {"url": f"mysql://nova:{secrets.MASK}@db/nova"},
        ),
        (["s3cr3tvalue", "plain"], [secrets.MASK, "plain"]),
        ({"port": 5}, {"port": 5}),
    ],
)
def test_mask(data, expected):
    assert secrets.mask(data, {"s3cr3tvalue"}) == expected


def test_cli_never_prints_secret_values(project, capsys):
    values = secrets.load(secrets.secrets_file(project, "local"))
    assert main(["--root", str(project), "secrets", "init", "--cluster", "local"]) == 0
    assert main(["--root", str(project), "model", "show", "ctl01.local.stacksalt"]) == 0
    out = capsys.readouterr()
    shown = yaml.safe_load(out.out)
    assert shown["etcd"]["server"]["token"] == secrets.MASK
    for value in values.values():
        assert value not in out.out and value not in out.err


def test_model_show_key_and_unknown_node(project, capsys):
    assert (
        main(
            [
                "--root",
                str(project),
                "model",
                "show",
                "ctl01.local.stacksalt",
                "--key",
                "etcd:server:members",
                "--json",
            ]
        )
        == 0
    )
    assert '"name": "ctl01"' in capsys.readouterr().out
    assert main(["--root", str(project), "model", "show", "ctl09.local.stacksalt"]) == 1
    assert "no node 'ctl09.local.stacksalt'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        pytest.param("password", True, id="bare-password"),
        pytest.param("admin_password", True, id="suffix-password"),
        pytest.param("auth_token", True, id="token"),
        pytest.param("privateKey", True, id="camel-case-key"),
        pytest.param("rabbitmq_main_cookie", True, id="cookie-param"),
        pytest.param("kubernetes_ca_key", True, id="ca-key-param"),
        pytest.param("docker_registry_credentials", True, id="credentials"),
        pytest.param("key_repository", False, id="key-not-last"),
        pytest.param("max_active_keys", False, id="keys-is-a-count"),
        pytest.param("keystone", False, id="word-inside-a-word"),
        pytest.param("rbd_secret_uuid", False, id="secret-not-last"),
        pytest.param("docker_registry_user", False, id="user"),
    ],
)
def test_one_rule_for_secret_names(key, secret):
    assert secrets.is_secret_key(key) is secret
    # _param names follow the same rule: what 'secrets init' generates is secret downstream
    assert secrets.is_secret_name(key) is secret


def test_split_by_key_and_by_value_merges_back():
    data = {
        "server": {
            "bind": {"address": "0.0.0.0"},
            "database": {"password": "pw", "host": "db"},
            "connection": "mysql://k:s3cr3tvalue@db/k",
            "members": [{"host": "a"}, {"host": "b", "token": "t"}],
        }
    }
    public, secret = secrets.split(data, {"s3cr3tvalue"})
    assert public == {"server": {"bind": {"address": "0.0.0.0"}, "database": {"host": "db"}}}
    assert secret == {
        "server": {
            "database": {"password": "pw"},
            "connection": "mysql://k:s3cr3tvalue@db/k",
            "members": [{"host": "a"}, {"host": "b", "token": "t"}],
        }
    }
    from stacksalt.k8s.common import deep_merge

    assert deep_merge(public, secret) == data
