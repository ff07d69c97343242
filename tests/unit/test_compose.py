"""stacksalt compose: the run specs, address translation, the secret split, the rendered
compose file (golden), and the cluster read from the model through the compose twins."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest
import yaml

from stacksalt.compose import model, render, runner, spec
from stacksalt.compose.render import Cluster, Node, RenderError
from stacksalt.service import catalog

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
SPEC = yaml.safe_load((ROOT / "docker-salt" / "compose.yml").read_text())
IMAGES = catalog.load(ROOT).images.by_name()
SECRETS = {
    "etcd-test-token-0123",
    "galera-keystone-db-secret",
    "RABBITCOOKIEABCDEFGHIJKLMNOPQRST",
    "keystone-admin-secret",
}


def services() -> list[spec.ServiceSpec]:
    return spec.parse(SPEC, set(IMAGES))


def node_pillar(i: int, hosts: dict[str, str]) -> dict:
    me = f"ctl0{i}"
    address = hosts[me]
    return {
        "linux": {"system": {"name": me}},
        "etcd": {
            "server": {
                "enabled": True,
                "name": me,
                "token": "etcd-test-token-0123",
                "bind": {"host": address},
                "members": [{"name": n, "host": a} for n, a in hosts.items()],
            }
        },
        "galera": {
            "server": {
                "enabled": True,
                "cluster_name": "t",
                "name": me,
                "bind": {"address": address},
                "members": [{"name": n, "address": a} for n, a in hosts.items()],
                "etcd": {"endpoints": [f"http://{a}:2379" for a in hosts.values()]},
                "databases": {
                    "keystone": {"user": "keystone", "password": "galera-keystone-db-secret"}
                },
            }
        },
        "rabbitmq": {
            "server": {
                "enabled": True,
                "hostname": me,
                "instances": {
                    "main": {
                        "members": [f"rabbit@{n}" for n in hosts],
                        "cookie": "RABBITCOOKIEABCDEFGHIJKLMNOPQRST",
                        "peer_discovery": "classic_config",
                    }
                },
            }
        },
        "memcached": {"server": {"enabled": True, "bind": {"address": address}}},
        "keystone": {
            "server": {
                "enabled": True,
                "database": {"host": "127.0.0.1", "password": "galera-keystone-db-secret"},
                "cache": {"members": [{"host": a, "port": 11211} for a in hosts.values()]},
                "admin": {"password": "keystone-admin-secret"},
            }
        },
    }


def cluster() -> Cluster:
    hosts = {f"ctl0{i}": f"10.9.0.1{i}" for i in (1, 2, 3)}
    nodes = tuple(
        Node(f"ctl0{i}.test", f"ctl0{i}", hosts[f"ctl0{i}"], node_pillar(i, hosts))
        for i in (1, 2, 3)
    )
    return Cluster("test", "10.9.0.0/24", 41000, nodes)


def refs() -> dict[str, str]:
    return {name: f"stacksalt/{name}:0123456789ab" for name in IMAGES}


def rendered() -> render.Rendered:
    return render.render(
        cluster(),
        services(),
        refs(),
        refs()["salt-base"],
        SECRETS,
        "/var/lib/stacksalt/compose/test/secrets",
    )


def test_rendered_compose_file_matches_golden():
    """Regenerate with STACKSALT_UPDATE_GOLDEN=1 after a deliberate change."""
    text = runner.dump(rendered().compose)
    golden = GOLDEN / "compose.test.yml"
    if os.environ.get("STACKSALT_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    diff = "".join(
        difflib.unified_diff(
            golden.read_text().splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile="golden/compose.test.yml",
            tofile="rendered",
        )
    )
    assert not diff, f"rendered compose file differs from the golden file:\n{diff}"


def test_no_secret_in_the_compose_file_and_every_secret_in_a_file():
    out = rendered()
    text = runner.dump(out.compose)
    for secret in SECRETS:
        assert secret not in text
    files = yaml.safe_dump(out.secret_files)
    for secret in SECRETS:
        assert secret in files
    # Merging the two parts gives each container's pillar back.
    for name, body in out.compose["services"].items():
        env = body.get("environment", {})
        if "STACKSALT_PILLAR_JSON" not in env:
            continue
        public = json.loads(env["STACKSALT_PILLAR_JSON"])
        merged = render.merge(public, out.secret_files.get(f"{name}.yml", {}))
        svc, host = name.split("-", 1)
        node = next(n for n in cluster().nodes if n.host == host)
        want = {svc: node.pillar[svc]}
        if name == "keystone-ctl01":
            want = render.merge(want, {"keystone": {"server": {"bootstrap": {"enabled": True}}}})
        assert merged == want, name


def test_layout_ports_and_dependencies():
    out = rendered()
    svcs = out.compose["services"]
    assert sorted(n for n in svcs if n.startswith("ctl")) == ["ctl01", "ctl02", "ctl03"]
    assert svcs["ctl02"]["networks"]["cluster"]["ipv4_address"] == "10.9.0.12"
    assert svcs["ctl02"]["hostname"] == "ctl02"
    # Every published port is on loopback, 10 per node in compose.yml order.
    for body in svcs.values():
        for port in body.get("ports", []):
            assert port.startswith("127.0.0.1:")
    assert "127.0.0.1:41014:5000" in svcs["ctl02"]["ports"]
    assert [e.line() for e in out.endpoints if e.service == "keystone"][0].endswith(
        "127.0.0.1:41004 -> 5000"
    )
    assert svcs["galera-ctl02"]["network_mode"] == "service:ctl02"
    # Galera waits for every etcd member; keystone for Galera and memcached; members of a
    # serial service one after the other; the bootstrap only on the first keystone.
    deps = svcs["galera-ctl02"]["depends_on"]
    assert {d for d, c in deps.items() if c["condition"] == "service_healthy"} == {
        "etcd-ctl01",
        "etcd-ctl02",
        "etcd-ctl03",
    }
    assert svcs["rabbitmq-ctl01"]["depends_on"] == {"ctl01": {"condition": "service_started"}}
    assert svcs["rabbitmq-ctl03"]["depends_on"]["rabbitmq-ctl02"] == {
        "condition": "service_healthy"
    }
    assert "keystone-ctl01" in svcs["keystone-ctl02"]["depends_on"]
    pillar1 = json.loads(svcs["keystone-ctl01"]["environment"]["STACKSALT_PILLAR_JSON"])
    pillar2 = json.loads(svcs["keystone-ctl02"]["environment"]["STACKSALT_PILLAR_JSON"])
    assert pillar1["keystone"]["server"]["bootstrap"] == {"enabled": True}
    assert "bootstrap" not in pillar2["keystone"]["server"]
    # keystone reaches its own node's Galera socket; the key repositories are shared.
    assert "galera-ctl02-run:/run/mysqld" in svcs["keystone-ctl02"]["volumes"]
    assert (
        "keystone-fernet-keys:/var/lib/keystone/fernet-keys" in (svcs["keystone-ctl03"]["volumes"])
    )
    assert (
        "/var/lib/stacksalt/compose/test/secrets/rabbitmq-ctl01.yml:"
        "/run/stacksalt/pillar/secrets.yml:ro" in svcs["rabbitmq-ctl01"]["volumes"]
    )
    assert out.compose["networks"]["cluster"]["name"] == "stacksalt-compose-test"


def test_post_jobs_run_on_the_first_member_only():
    out = rendered()
    posts = dict(out.posts)
    first = out.containers["rabbitmq"][0]
    assert list(posts) == [f"stacksalt-compose-test-{first}"]
    assert posts[f"stacksalt-compose-test-{first}"] == "rabbitmq.server.objects"


def test_a_disabled_role_places_no_container():
    c = cluster()
    pillar = dict(c.nodes[2].pillar)
    pillar["keystone"] = {"server": {"enabled": False}}
    nodes = (*c.nodes[:2], Node("ctl03.test", "ctl03", "10.9.0.13", pillar))
    out = render.render(
        Cluster("test", c.subnet, 41000, nodes), services(), refs(), "base", SECRETS, "/s"
    )
    assert out.containers["keystone"] == ["keystone-ctl01", "keystone-ctl02"]
    assert "127.0.0.1:41024:5000" not in out.compose["services"]["ctl03"]["ports"]


def test_missing_image_and_empty_cluster_are_errors():
    some = {k: v for k, v in refs().items() if k != "keystone"}
    with pytest.raises(RenderError, match="no image for keystone"):
        render.render(cluster(), services(), some, "base", SECRETS, "/s")
    empty = Cluster("test", "10.9.0.0/24", 41000, (Node("x", "x", "10.9.0.5", {}),))
    with pytest.raises(RenderError, match="nothing to run"):
        render.render(empty, services(), refs(), "base", SECRETS, "/s")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.77.1.11", "10.77.20.11"),
        ("http://10.77.1.12:2379", "http://10.77.20.12:2379"),
        ("gcomm://10.77.1.11,10.77.1.13", "gcomm://10.77.20.11,10.77.20.13"),
        ("10.77.10.11", "10.77.10.11"),  # another network: kept
        ("110.77.1.11", "110.77.1.11"),  # not an address of the network
        ("10.77.1.110.5", "10.77.1.110.5"),  # not an address at all
        ("127.0.0.1", "127.0.0.1"),
        (5672, 5672),
        (["10.77.1.1", {"a": "10.77.1.254"}], ["10.77.20.1", {"a": "10.77.20.254"}]),
    ],
)
def test_translate_addresses(value, expected):
    assert render.translate_addresses(value, "10.77.1.0/24", "10.77.20.0/24") == expected


def test_translate_needs_networks_of_the_same_size():
    with pytest.raises(RenderError, match="same size"):
        render.translate_addresses("10.0.0.1", "10.0.0.0/24", "10.1.0.0/16")


@pytest.mark.parametrize(
    ("data", "public", "secret"),
    [
        ({"a": 1, "password": "x"}, {"a": 1}, {"password": "x"}),
        ({"s": {"cookie": "c", "port": 1}}, {"s": {"port": 1}}, {"s": {"cookie": "c"}}),
        ({"s": {"token": "t"}}, {}, {"s": {"token": "t"}}),
        ({"url": "mysql://u:SECRETVALUE@h/db"}, {}, {"url": "mysql://u:SECRETVALUE@h/db"}),
        ({"l": [{"name": "u", "password": "p"}]}, {}, {"l": [{"name": "u", "password": "p"}]}),
        ({"l": ["a", "b"], "e": {}}, {"l": ["a", "b"], "e": {}}, {}),
        ({"db_password": "p", "db_name": "n"}, {"db_name": "n"}, {"db_password": "p"}),
    ],
)
def test_split_secrets(data, public, secret):
    assert render.split_secrets(data, {"SECRETVALUE"}) == (public, secret)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"services": {}}, "non-empty"),
        ({"services": {"etcd": {"role": "etcd:server", "bogus": 1}}}, "unknown key"),
        ({"services": {"nope": {"role": "x:y"}}}, "no image 'nope'"),
        ({"services": {"etcd": {"role": "e:s", "volumes": {"d": "rel"}}}}, "not absolute"),
        ({"services": {"etcd": {"role": "e:s", "publish": [0]}}}, "port numbers"),
        ({"services": {"etcd": {"role": "e:s", "depends_on": ["x"]}}}, "services of this"),
        ({"services": {"etcd": {"role": "e:s", "mounts": {"galera": ["run"]}}}}, "no service"),
        ({"services": {"etcd": {"role": "e:s", "post": "a,,b"}}}, "state names"),
        ({"services": {"etcd": {"role": "e:s", "post": ["a"]}}}, "state names"),
    ],
)
def test_bad_compose_specs(body, message):
    with pytest.raises(spec.ComposeSpecError, match=message):
        spec.parse(body, set(IMAGES))


def test_the_shipped_spec_names_images_of_images_yml():
    names = [s.name for s in services()]
    assert names == ["etcd", "galera", "rabbitmq", "memcached", "keystone"]


def test_twin_classes(tmp_path):
    (tmp_path / "cluster" / "c" / "compose").mkdir(parents=True)
    (tmp_path / "cluster" / "c" / "compose" / "control.yml").write_text("{}\n")
    (tmp_path / "cluster" / "c" / "compose" / "infra").mkdir()
    (tmp_path / "cluster" / "c" / "compose" / "infra" / "init.yml").write_text("{}\n")
    classes = ["cluster.c.control", "cluster.c.infra", "cluster.c.compute", "system.x"]
    assert model.twin_classes(classes, "c", tmp_path) == [
        "cluster.c.compose.control",
        "cluster.c.compose.infra",
    ]
    assert model.twin_classes(["cluster.c.compose.control"], "c", tmp_path) == []


def test_the_local_cluster_from_the_model(project):
    """The controllers of cluster local, with their compose twin, on the project's network."""
    c, raw = model.load(project, "local")
    assert [n.host for n in c.nodes] == ["ctl01", "ctl02", "ctl03"]
    assert [n.address for n in c.nodes] == ["10.77.20.11", "10.77.20.12", "10.77.20.13"]
    assert c.project == "stacksalt-compose-local"
    ctl02 = c.nodes[1].pillar
    assert ctl02["etcd"]["server"]["bind"]["host"] == "10.77.20.12"
    assert ctl02["galera"]["server"]["etcd"]["endpoints"][0] == "http://10.77.20.11:2379"
    assert ctl02["rabbitmq"]["server"]["instances"]["main"]["peer_discovery"] == ("classic_config")
    assert ctl02["keystone"]["server"]["database"]["create"] is True
    assert ctl02["memcached"]["server"]["bind"]["address"] == "10.77.20.12"
    # The model's own addresses are untouched for the hosts.
    assert raw["ctl02.local.stacksalt"]["etcd"]["server"]["bind"]["host"] == "10.77.1.12"
    out = render.render(c, services(), refs(), "base", set(), "/s")
    assert len(out.compose["services"]) == 3 + 5 * 3


def test_nodes_without_a_twin_are_not_in_compose(project):
    c, _raw = model.load(project, "local")
    assert not any(n.host in ("cfg01", "cmp01") for n in c.nodes)
    with pytest.raises(model.ComposeModelError, match="no cluster 'nope'"):
        model.load(project, "nope")
    with pytest.raises(model.ComposeModelError, match="no node has a compose class"):
        model.load(project, "production")
