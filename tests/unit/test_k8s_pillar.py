"""stacksalt.k8s.pillar: what a pillar template sees, how it renders, how the model's values
and secrets merge in (replacing expressions), and the errors naming service, unit and key."""

from __future__ import annotations

import pytest

from stacksalt.k8s.pillar import (
    Context,
    PillarError,
    container_pillar,
    formulas_roles,
    fqdn,
    functions,
    node_pillar,
    render_template,
    template_problems,
)

WHERE = "service 'keystone' (formulas/keystone/keystone/meta/service.yml): keystone.pillar"
STS = {
    "database": (("database-0", "database-1", "database-2"), "database-headless"),
    "etcd": (("etcd-0",), "etcd"),
}
BOGUS = "{{ peers(instance='etcd', bogus=1) }}"
UNCLOSED = "{{ address('a' }}"
PUBLISHED = {"keystone-public": {"host": "keystone.ns.svc.x.local", "port": 5000}}


def ctx(instance="database", replicas=3, configs=None) -> Context:
    return Context(
        instance=instance,
        namespace="ns",
        cluster_domain="x.local",
        replicas=replicas,
        statefulsets=STS,
        instances=frozenset({"database", "etcd", "keystone"}),
        configs=configs or {"keystone": {"server": {"region": "R1"}}},
        published_ports=PUBLISHED,
    )


def render(expression: str, context: Context | None = None):
    return render_template({"v": expression}, context or ctx(), WHERE)["v"]


def test_fqdn():
    assert fqdn("keystone", "ns", "x.local") == "keystone.ns.svc.x.local"


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("{{ name }}", "database"),
        ("{{ namespace }}", "ns"),
        ("{{ cluster_domain }}", "x.local"),
        ("{{ replicas }}", 3),  # a whole expression keeps its type
        ("{{ replicas * 2 + 1 }}", 7),
        ("{{ configs.keystone.server.region }}", "R1"),
        ("{{ address('keystone') }}", "keystone.ns.svc.x.local"),
        ("{{ address('keystone', 5000) }}", "keystone.ns.svc.x.local:5000"),
        ("{{ address('etcd', 2379, scheme='http') }}", "http://etcd.ns.svc.x.local:2379"),
        ("http://{{ address('keystone', 5000) }}/v3", "http://keystone.ns.svc.x.local:5000/v3"),
        (
            "{{ peers() }}",
            [
                {
                    "name": f"database-{i}",
                    "address": f"database-{i}.database-headless.ns.svc.x.local",
                }
                for i in range(3)
            ],
        ),
        (
            "{{ peers('etcd', name_key='name', address_key='host') }}",
            [{"name": "etcd-0", "host": "etcd-0.etcd.ns.svc.x.local"}],
        ),
        (
            "{{ peers('etcd', name_key=None, address_key='host', port=2379) }}",
            [{"host": "etcd-0.etcd.ns.svc.x.local", "port": 2379}],
        ),
        (
            "{{ peers('etcd', name_key=None, port=2380, port_key='peer_port') }}",
            [{"address": "etcd-0.etcd.ns.svc.x.local", "peer_port": 2380}],
        ),
        (
            "{{ peer_addresses() }}",
            [f"database-{i}.database-headless.ns.svc.x.local" for i in range(3)],
        ),
        (
            "{{ peer_addresses('etcd', prefix='rabbit@') }}",
            ["rabbit@etcd-0.etcd.ns.svc.x.local"],
        ),
        ("{{ peer_addresses('etcd', port=2379) }}", ["etcd-0.etcd.ns.svc.x.local:2379"]),
        ("{{ pod_fqdn() }}", "$(POD_NAME).database-headless.ns.svc.x.local"),
        ("{{ pod_fqdn('etcd') }}", "$(POD_NAME).etcd.ns.svc.x.local"),
        ("{{ published() }}", PUBLISHED),
        ("{{ peers() | length }}", 3),
    ],
)
def test_what_a_template_sees(expression, value):
    assert render(expression) == value


def test_strings_without_expressions_are_left_for_the_entrypoint():
    template = {"galera": {"server": {"name": "$(POD_NAME)", "bind": {"address": "$(POD_IP)"}}}}
    assert render_template(template, ctx(), WHERE) == template


def test_the_names_are_documented():
    assert sorted(functions(ctx())) == [
        "address",
        "cluster_domain",
        "configs",
        "name",
        "namespace",
        "peer_addresses",
        "peers",
        "pod_fqdn",
        "published",
        "replicas",
    ]


def test_published_is_a_copy():
    out = render("{{ published() }}")
    out["keystone-public"]["port"] = 1
    assert PUBLISHED["keystone-public"]["port"] == 5000


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            {"keystone": {"server": {"cache": {"members": "{{ peers('memcached') }}"}}}},
            f"{WHERE}.keystone.server.cache.members: peers of 'memcached': only a StatefulSet "
            "deployed here, or an external instance with 'peers', has stable member names",
        ),
        (
            {"keystone": {"server": {"host": "{{ pod_fqdn() }}"}}},
            f"{WHERE}.keystone.server.host: pod_fqdn: 'keystone' is not a StatefulSet deployed "
            "here",
        ),
        (
            {"keystone": {"server": {"x": ["a", "{{ nope }}"]}}},
            f"{WHERE}.keystone.server.x[1]: '{{{{ nope }}}}': 'nope' is undefined",
        ),
        (
            {"keystone": {"server": {"x": "{{ [nope] }}"}}},
            f"{WHERE}.keystone.server.x: '{{{{ [nope] }}}}': 'nope' is undefined",
        ),
        (
            {"keystone": {"server": {"x": "{{ address() }}"}}},
            f"{WHERE}.keystone.server.x: '{{{{ address() }}}}': ",
        ),
        (
            {"keystone": {"server": {"x": BOGUS}}},
            f"{WHERE}.keystone.server.x: {BOGUS!r}: functions.<locals>.peers() got an "
            "unexpected keyword argument 'bogus'",
        ),
        (
            {"keystone": {"server": {"x": UNCLOSED}}},
            f"{WHERE}.keystone.server.x: {UNCLOSED!r}: unexpected '}}'",
        ),
        (
            {"keystone": {"server": {"x": "{{ configs.nova.compute }}"}}},
            f"{WHERE}.keystone.server.x: '{{{{ configs.nova.compute }}}}': ",
        ),
    ],
)
def test_errors_name_the_service_unit_and_key(template, message):
    with pytest.raises(PillarError) as err:
        render_template(template, ctx("keystone"), WHERE)
    assert str(err.value).startswith(message), str(err.value)


def test_the_container_pillar_merges_the_models_values_over_the_template():
    template = {
        "keystone": {
            "server": {
                "enabled": True,
                "cache": {"members": "{{ peers('etcd', name_key=None, address_key='host') }}"},
                "database": {"host": "{{ address('database') }}", "port": 3306},
            }
        }
    }
    configs = {
        "keystone": {"server": {"database": {"port": 13306}, "region": "R1"}, "client": {"x": 1}},
        "nova": {"compute": {"y": 2}},  # a formula the template does not name: not merged
    }
    secrets = {"keystone": {"server": {"database": {"password": "s3cr3t"}}}}
    out = container_pillar(template, ctx("keystone"), configs, secrets, WHERE)
    assert out == {
        "keystone": {
            "server": {
                "enabled": True,
                "cache": {"members": [{"host": "etcd-0.etcd.ns.svc.x.local"}]},
                "database": {
                    "host": "database.ns.svc.x.local",
                    "port": 13306,  # the model's value
                    "password": "s3cr3t",  # the deployment's secret, merged last
                },
                "region": "R1",
            }
        }
    }


def test_a_model_value_replaces_an_expression_that_is_then_never_evaluated():
    """The local cluster names its hosts where the template asks for pods that do not
    exist there (an external instance): the expression would fail if evaluated."""
    template = {"keystone": {"server": {"mq": {"members": "{{ peers('rpc') }}"}}}}
    with pytest.raises(PillarError, match="peers of 'rpc'"):
        container_pillar(template, ctx("keystone"), {}, {}, WHERE)
    hosts = [{"host": "10.0.0.11", "port": 5672}]
    configs = {"keystone": {"server": {"mq": {"members": hosts}}}}
    out = container_pillar(template, ctx("keystone"), configs, {}, WHERE)
    assert out["keystone"]["server"]["mq"]["members"] == hosts


def test_a_secret_wins_over_a_config_and_an_empty_role_is_kept():
    template = {"etcd": {"server": None}}
    out = container_pillar(
        template,
        ctx("etcd", 1),
        {"etcd": {"server": {"token": "plain"}}},
        {"etcd": {"server": {"token": "secret"}}},
        WHERE,
    )
    assert out == {"etcd": {"server": {"token": "secret"}}}
    assert container_pillar({"etcd": {"server": {}}}, ctx(), {}, {}, WHERE) == {
        "etcd": {"server": {}}
    }


def test_node_pillar_takes_the_nodes_values_for_the_templates_roles_only():
    template = {"nova": {"compute": {"enabled": True}}, "linux": {"system": {}}}
    node = {
        "nova": {"compute": {"cpu_allocation_ratio": 8.0}, "api": {"workers": 2}},
        "neutron": {"agent": {"x": 1}},
        "linux": {"system": {}},
    }
    assert node_pillar(template, node) == {"nova": {"compute": {"cpu_allocation_ratio": 8.0}}}
    assert node_pillar(template, {}) == {}


def test_formulas_roles_are_sorted():
    template = {"openstack": {"database": {}}, "keystone": {"server": {}, "client": {}}}
    assert formulas_roles(template) == [
        ("keystone", "client"),
        ("keystone", "server"),
        ("openstack", "database"),
    ]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ({"a": {"b": "{{ peers() }}", "c": "$(POD_NAME)", "d": 1}}, []),
        ({"a": {"b": ["{{ replicas }}", "{{ nodes }}"]}}, [(".a.b[1]", "unknown name(s) nodes")]),
        ({"a": {"b": "{{ foo(bar) }}"}}, [(".a.b", "unknown name(s) bar, foo")]),
        ({"a": {"b": "{{ name "}}, [(".a.b", "unexpected end of template")]),
        # a name bound by the template itself is not unknown
        ({"a": {"b": "{% for p in peers() %}{{ p.name }} {% endfor %}"}}, []),
    ],
)
def test_template_problems_are_found_before_rendering(template, expected):
    found = template_problems(template)
    assert [path for path, _ in found] == [path for path, _ in expected]
    for (_, fragment), (_, message) in zip(expected, found, strict=True):
        assert fragment in message
