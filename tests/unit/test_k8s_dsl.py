"""Table tests for stacksalt.k8s.dsl: the error corpus, versioning and normalization."""

from pathlib import Path

import pytest
import yaml

from stacksalt.k8s.dsl import (
    SUPPORTED_DSL_VERSION,
    DefinitionError,
    Port,
    Probe,
    check_dsl_version,
    parse_version,
    validate_definition,
)

CORPUS = Path(__file__).parent / "k8s_corpus"
BROKEN = sorted((CORPUS / "broken").glob("*.yaml"))
SAMPLES = sorted(
    p
    for p in (CORPUS / "sample").glob("*.yaml")
    if p.stem not in ("topology", "configs", "secret_configs", "images")
)


def test_corpus_is_large_enough():
    assert len(BROKEN) >= 12


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_definition_is_rejected_with_message(path):
    case = yaml.safe_load(path.read_text())
    with pytest.raises(DefinitionError) as err:
        validate_definition(case["definition"])
    assert case["expect"] in str(err.value), str(err.value)


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_sample_definitions_are_valid(path):
    definition = validate_definition(yaml.safe_load(path.read_text()))
    assert definition.name == path.stem


@pytest.mark.parametrize(
    ("framework", "service", "compatible"),
    [
        ("1.1.0", "1.1.0", True),  # equal
        ("1.1.0", "1.0.0", True),  # older minor
        ("1.1.3", "1.1.0", True),  # older patch
        ("1.1.0", "1.0.9", True),  # older minor, any patch
        ("1.1.0", "1.2.0", False),  # newer minor: rule 1
        ("1.1.0", "1.1.1", False),  # newer patch: rule 1 compares the whole version
        ("1.1.0", "2.0.0", False),  # newer major
        ("2.0.0", "1.9.9", False),  # older major: rule 2
        ("1.10.0", "1.9.0", True),  # numeric, not string, comparison
    ],
)
def test_dsl_version_rules(framework, service, compatible):
    assert (check_dsl_version(service, framework) is None) is compatible


@pytest.mark.parametrize("value", ["1.0", "1", "v1.0.0", "1.0.0-rc1", "01.0.0", 1.0, None])
def test_parse_version_rejects(value):
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR\.PATCH"):
        parse_version(value)


def test_error_lists_every_problem_with_service_and_path():
    doc = {
        "dsl_version": "1.0.0",
        "service": {
            "name": "keystone",
            "kind": "Pod",
            "containers": [{"name": "keystone", "daemon": {}}],
        },
    }
    with pytest.raises(DefinitionError) as err:
        validate_definition(doc)
    assert err.value.service == "keystone"
    assert ("containers[0].daemon.command", "required") in err.value.problems
    assert ("containers[0].image", "required") in err.value.problems
    assert any(path == "kind" for path, _ in err.value.problems)
    assert str(err.value).splitlines()[0].startswith("service 'keystone': ")


def test_incompatible_version_short_circuits():
    doc = {"dsl_version": "9.0.0", "service": {"name": "x", "kind": "Nope"}}
    with pytest.raises(DefinitionError) as err:
        validate_definition(doc)
    assert [p for p, _ in err.value.problems] == ["dsl_version"]


def test_defaults_are_applied():
    d = validate_definition(
        {
            "dsl_version": "1.0.0",
            "service": {
                "name": "memcached",
                "ports": [11211, "11212", "5000:30500"],
                "containers": [
                    {
                        "name": "memcached",
                        "image": "memcached",
                        "probes": {"readiness": "true"},
                        "volumes": [{"name": "logs", "type": "host", "path": "/var/log/x"}],
                        "pre": [{"command": "prep"}],
                        "daemon": {"command": "memcached"},
                    }
                ],
            },
        }
    )
    assert (d.kind, d.strategy, d.anti_affinity) == ("Deployment", "RollingUpdate", None)
    assert (d.headless, d.host_network, d.host_pid) == (False, False, False)
    c = d.containers[0]
    assert c.volumes[0].mount_path == "/var/log/x" and c.volumes[0].read_only is False
    assert c.pre[0].type == "local"
    assert c.probes["readiness"] == Probe(type="exec", command="true")
    assert d.ports == (Port(11211), Port(11212), Port(5000, 30500))
    assert d.dsl_version == "1.0.0"


def test_probe_mapping_and_port_reference_need_1_1_0():
    base = {
        "service": {
            "name": "keystone",
            "ports": ["keystone.public_port"],
            "containers": [
                {
                    "name": "keystone",
                    "image": "keystone",
                    "probes": {"liveness": {"type": "httpGet", "port": 5000, "path": "/v3"}},
                    "daemon": {"command": "keystone-all"},
                }
            ],
        }
    }
    d = validate_definition({**base, "dsl_version": SUPPORTED_DSL_VERSION})
    assert d.ports == (Port(ref="keystone.public_port"),)
    assert d.containers[0].probes["liveness"].type == "httpGet"
    with pytest.raises(DefinitionError) as err:
        validate_definition({**base, "dsl_version": "1.0.0"})
    paths = [p for p, _ in err.value.problems]
    assert paths == ["containers[0].probes.liveness", "ports[0]"]


def test_single_commands_are_listed_in_order():
    d = validate_definition(yaml.safe_load((CORPUS / "sample" / "keystone.yaml").read_text()))
    assert [(phase, c.name) for _, phase, c in d.single_commands()] == [
        ("pre", "keystone-db-create"),
        ("pre", "keystone-db-sync"),
        ("post", "keystone-bootstrap"),
    ]


def test_reserved_volume_prefix():
    doc = {
        "dsl_version": "1.0.0",
        "service": {
            "name": "x",
            "containers": [
                {
                    "name": "x",
                    "image": "x",
                    "volumes": [{"name": "stacksalt-config", "type": "host", "path": "/x"}],
                    "daemon": {"command": "x"},
                }
            ],
        },
    }
    with pytest.raises(DefinitionError, match="reserved"):
        validate_definition(doc)


@pytest.mark.parametrize(
    ("section", "fragment"),
    [
        ({"cont": 5000, "name": "a-very-long-port-name"}, "IANA service name"),
        ({"node": 30500}, "ports[0].cont: required"),
        ({"cont": 5000, "ingress": "Identity"}, "must be a DNS label"),
        ({"cont": 5000, "node": 80}, "outside the NodePort range"),
        ({"cont": 5000, "nodeport": 30500}, "ports[0].nodeport: unknown key"),
    ],
)
def test_port_sections(section, fragment):
    doc = {
        "dsl_version": "1.1.0",
        "service": {
            "name": "x",
            "ports": [section],
            "containers": [{"name": "x", "image": "x", "daemon": {"command": "x"}}],
        },
    }
    with pytest.raises(DefinitionError) as err:
        validate_definition(doc)
    assert fragment in str(err.value)
