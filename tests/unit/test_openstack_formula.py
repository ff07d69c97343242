"""The openstack formula's data: the default flavors are Fuel CCP's six, the test pillars fit
the schema and the checks, the secrets are where the secret rule finds them, and the state
arguments the SLS files build hold pillar keys, never values."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from stacksalt.openstack.validate import find_problems, formula_defaults
from stacksalt.secrets import is_secret_key, split

ROOT = Path(__file__).resolve().parents[2]
FORMULA = ROOT / "formulas" / "openstack"
SCHEMA = yaml.safe_load((FORMULA / "schema.yaml").read_text())
CASES = sorted((FORMULA / "tests" / "pillar").glob("*.sls"))

# Fuel CCP's nova bootstrap (spec 004, "Flavor bootstrapping"): name, id, RAM, disk, vCPUs.
CCP_FLAVORS = [
    ("m1.test", "0", 128, 1, 1),
    ("m1.tiny", "1", 512, 1, 1),
    ("m1.small", "2", 2048, 20, 1),
    ("m1.medium", "3", 4096, 40, 2),
    ("m1.large", "4", 8192, 80, 4),
    ("m1.xlarge", "5", 16384, 160, 8),
]


def test_the_default_flavors_are_fuel_ccps_six():
    builtin = formula_defaults(ROOT / "formulas")["resources"]["builtin_flavors"]
    got = sorted((n, f["id"], f["ram"], f["disk"], f["vcpus"]) for n, f in builtin.items())
    assert got == sorted(CCP_FLAVORS)


def test_the_schema_is_valid_and_the_defaults_fit_it_but_builtin_flavors():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    defaults = formula_defaults(ROOT / "formulas")
    defaults["resources"] = {
        k: v for k, v in defaults["resources"].items() if k != "builtin_flavors"
    }
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(defaults)) == []


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_each_test_pillar_fits_the_schema_and_the_checks(case):
    data = yaml.safe_load(case.read_text())["openstack"]
    errors = [e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(data)]
    assert errors == []
    assert find_problems(data, defaults=formula_defaults(ROOT / "formulas")) == []


def test_builtin_flavors_are_not_a_pillar_key():
    data = {"resources": {"builtin_flavors": {}}}
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))


def test_the_secret_rule_puts_passwords_in_secrets_and_pillar_keys_in_config_maps():
    data = yaml.safe_load((FORMULA / "tests" / "pillar" / "full.sls").read_text())
    public, secret = split(data)
    assert "password" not in yaml.safe_dump(public)
    assert secret["openstack"]["identity"]["users"]["nova"] == {
        "password": "nova-keystone-test-password"
    }
    assert is_secret_key("password") and not is_secret_key("password_pillar")
    assert not is_secret_key("admin_pillar")


@pytest.mark.parametrize("sls", ["database", "messaging", "identity", "resources"])
def test_no_sls_passes_a_password_as_an_argument(sls):
    text = (FORMULA / "openstack" / f"{sls}.sls").read_text()
    assert "password:" not in text.replace("password_pillar:", "")
    assert ".password" not in text
