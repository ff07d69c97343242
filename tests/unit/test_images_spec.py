"""The images' descriptions (docker-salt/images.yml and the formulas' meta/service.yml), the
generated Dockerfiles (golden files), the build pillars and the entrypoint's pure parts."""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
from pathlib import Path

import jsonschema
import pytest
import yaml

from stacksalt.images import context, spec
from stacksalt.images.spec import SpecError, parse
from stacksalt.service import catalog

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
IMAGES = catalog.load(ROOT).images  # every image: base images and the formulas' own
FORMULAS = {p.name for p in (ROOT / "formulas").iterdir() if (p / p.name).is_dir()}


def project() -> context.Project:
    return context.Project.load(ROOT, Path("/nonexistent-state"))


@pytest.mark.parametrize("name", sorted(IMAGES.by_name()))
def test_generated_dockerfile_matches_golden(name):
    """Regenerate with STACKSALT_UPDATE_GOLDEN=1 after a deliberate template change."""
    proj = project()
    text = proj.dockerfile(proj.images.by_name()[name])
    golden = GOLDEN / f"Dockerfile.{name}"
    if os.environ.get("STACKSALT_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    expected = golden.read_text()
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"golden/Dockerfile.{name}",
            tofile=f"generated Dockerfile of {name}",
        )
    )
    assert not diff, f"generated Dockerfile differs from the golden file:\n{diff}"


def test_dockerfiles_follow_the_image_rules():
    proj = project()
    for image in proj.images.images:
        text = proj.dockerfile(image)
        assert "|| true" not in text
        assert "supervisor" not in text
        assert "pip install" not in text or "--no-index" in text  # no network pip in builds
        froms = [line for line in text.splitlines() if line.startswith("FROM ")]
        if image.parent:
            assert froms == ["FROM ${PARENT_IMAGE}"]  # the parent's tag is a build argument
            assert "ENTRYPOINT" not in text  # inherited: one entrypoint for all
            if image.formulas:
                assert f"state.apply {','.join(image.formulas)}" in text
            else:  # a shared package layer (openstack-base): packages only
                assert "state.apply" not in text and image.packages
            assert image.entrypoint
        elif image.has_salt:
            assert froms[-1] == f"FROM {image.base}"
            assert 'ENTRYPOINT ["/opt/salt/bin/python3"' in text
            assert image.entrypoint
        else:  # a plain package image (the waiters' kubectl): no Salt, no entrypoint
            assert froms == [f"FROM {image.base}"]
            assert "ENTRYPOINT" not in text and not image.entrypoint


@pytest.mark.parametrize("name", sorted(i.name for i in IMAGES.images if i.formulas))
def test_build_pillar_fits_the_formula_schema_and_holds_no_secret(name):
    image = IMAGES.by_name()[name]
    body = {"pillar": image.pillar}
    for formula in image.formulas:
        schema = yaml.safe_load((ROOT / "formulas" / formula / "schema.yaml").read_text())
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        errors = [e.message for e in validator.iter_errors(body["pillar"].get(formula, {}))]
        assert not errors, f"{name}: build pillar of {formula}: {errors}"
    secrets_dir = ROOT / "pillar"
    text = json.dumps(body["pillar"])
    for path in secrets_dir.glob("*/secrets.yml"):
        for value in (yaml.safe_load(path.read_text())["parameters"]["_param"] or {}).values():
            assert str(value) not in text


def _resolve(value, params: dict):
    """``${_param:x}`` references replaced as reclass does (a whole-value reference keeps
    the referenced value's type)."""
    if isinstance(value, dict):
        return {k: _resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params) for v in value]
    if isinstance(value, str) and value.startswith("${_param:") and value.endswith("}"):
        return params[value[len("${_param:") : -1]]
    return value


def test_galera_image_runs_the_agent_on_salts_python_with_the_role_packages():
    """The galera image's packages are what the formula installs with its build pillar (the
    role's pkgs, without Debian's python3-pymysql: the agent runs on Salt's own Python)."""
    image = IMAGES.by_name()["galera"]
    pillar = image.pillar["galera"]["server"]
    assert pillar["agent_python"] == image.command[0] == "/opt/salt/bin/python3"
    assert list(image.packages) == pillar["pkgs"]
    assert "python3-pymysql" not in image.packages
    assert list(image.command[1:]) == [
        "-m",
        "stacksalt.galera.agent",
        "--config",
        "/etc/stacksalt/galera.yaml",
    ]


def test_image_packages_come_from_the_formula_defaults():
    """memcached installs its role's pkgs; the OpenStack images share openstack-base, which
    installs every OpenStack role's pkgs once, so keystone installs none again."""
    by = IMAGES.by_name()
    defaults = yaml.safe_load((ROOT / "formulas/memcached/memcached/defaults.yaml").read_text())
    assert list(by["memcached"].packages) == defaults["server"]["pkgs"]
    keystone = yaml.safe_load((ROOT / "formulas/keystone/keystone/defaults.yaml").read_text())
    assert set(keystone["server"]["pkgs"]) <= set(by["openstack-base"].packages)
    assert by["keystone"].parent == "openstack-base" and by["keystone"].packages == ()


def test_description_changes_outside_the_image_section_are_no_image_input():
    files = context.formula_files(ROOT, "etcd")
    assert "etcd/meta/service.yml" not in files


def test_formula_change_touches_only_that_formulas_inputs(tmp_path):
    """The hashed formula files are the state tree only, keyed by path in the formula."""
    files = context.formula_files(ROOT, "etcd")
    assert "etcd/files/etcd.default.jinja" in files
    assert "etcd/server.sls" in files
    assert not any(k.startswith(("tests/", "metadata/")) or k == "schema.yaml" for k in files)


def test_pillar_sls_is_json_rendered_data():
    body = context.pillar_sls({"a": {"b": "{{ not jinja }}"}})
    assert body.startswith(b"#!json\n")
    assert json.loads(body.split(b"\n", 1)[1]) == {"a": {"b": "{{ not jinja }}"}}


def base(**extra):
    return {
        "namespace": "stacksalt",
        "images": {
            "salt-base": {"from": "stacksalt/debian:bookworm", "wheels": "docker-salt/wheels.txt"},
            **extra,
        },
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a mapping"),
        ({"namespace": "x"}, "'images' must be a non-empty mapping"),
        (
            base(etcd={"parent": "nope", "formulas": ["etcd"], "command": ["etcd"]}),
            "images.etcd.parent: no image 'nope'",
        ),
        (
            base(etcd={"formulas": ["etcd"], "command": ["etcd"]}),
            "images.etcd: give exactly one of 'parent'",
        ),
        (
            base(etcd={"parent": "salt-base", "formulas": ["nope"], "command": ["x"]}),
            "images.etcd.formulas: no formula 'nope'",
        ),
        (base(etcd={"parent": "salt-base", "formulas": ["etcd"]}), "needs a 'command'"),
        (
            base(etcd={"parent": "salt-base", "formulas": ["etcd"], "command": ["e"], "cmd": 1}),
            "images.etcd: unknown key(s) cmd",
        ),
        (
            base(
                etcd={
                    "parent": "salt-base",
                    "formulas": ["etcd"],
                    "command": ["e"],
                    "ports": [70000],
                }
            ),
            "images.etcd.ports",
        ),
        (base(Etcd={"parent": "salt-base"}), "image names are lower-case"),
        (base(x={"from": "debian", "formulas": ["etcd"], "command": ["e"]}), "needs Salt"),
        ({"namespace": "Bad NS", "images": {"a": {"from": "d", "wheels": "w"}}}, "namespace"),
    ],
)
def test_spec_problems(data, message):
    with pytest.raises(SpecError) as err:
        parse(data, FORMULAS)
    assert any(message in p for p in err.value.problems), err.value.problems


def test_spec_cycle_and_order():
    data = {
        "namespace": "t",
        "images": {
            "z": {"parent": "a", "formulas": ["etcd"], "command": ["x"]},
            "a": {"from": "d", "wheels": "w"},
            "b": {"parent": "z", "formulas": ["etcd"], "command": ["x"]},
        },
    }
    names = [i.name for i in parse(data, FORMULAS).images]
    assert names.index("a") < names.index("z") < names.index("b")
    cyc = {"a": spec.ImageSpec("a", parent="b"), "b": spec.ImageSpec("b", parent="a")}
    with pytest.raises(SpecError, match="parent cycle"):
        spec.order(cyc)


def test_select_adds_parents():
    images = IMAGES.images
    assert spec.select(images, ["etcd"]) == {"salt-base", "etcd"}
    assert spec.select(images, None) == {i.name for i in images}
    with pytest.raises(SpecError, match="no image named no-such-image"):
        spec.select(images, ["no-such-image"])


def load_entrypoint():
    path = ROOT / "docker-salt" / "entrypoint.py"
    loaded = importlib.util.spec_from_file_location("stacksalt_entrypoint", path)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def test_entrypoint_overlay_merges_env_then_files_in_name_order(tmp_path):
    ep = load_entrypoint()
    (tmp_path / "10-config.yml").write_text("etcd:\n  server:\n    name: e1\n    members: [a]\n")
    (tmp_path / "20-secrets.json").write_text('{"etcd": {"server": {"token": "t0k"}}}')
    (tmp_path / ".hidden.yml").write_text("x: 1\n")
    (tmp_path / "notes.txt").write_text("ignored")
    env = {
        "STACKSALT_PILLAR_JSON": '{"etcd": {"server": {"name": "env", "members": [b], "port": 1}}}',
        "STACKSALT_PILLAR_DIR": str(tmp_path),
    }
    env["STACKSALT_PILLAR_JSON"] = env["STACKSALT_PILLAR_JSON"].replace("[b]", '["b"]')
    data = ep.overlay(env)
    assert data == {"etcd": {"server": {"name": "e1", "members": ["a"], "port": 1, "token": "t0k"}}}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STACKSALT_PILLAR_JSON": "{not json"}, "is not JSON"),
        ({"STACKSALT_PILLAR_JSON": "[1]"}, "must be a JSON object"),
    ],
)
def test_entrypoint_overlay_errors(env, message, tmp_path):
    ep = load_entrypoint()
    with pytest.raises(ep.EntrypointError, match=message):
        ep.overlay({**env, "STACKSALT_PILLAR_DIR": str(tmp_path / "none")})


def test_entrypoint_env_file_and_summary():
    ep = load_entrypoint()
    text = '# comment\nETCD_NAME="e1"\n\nETCD_INITIAL_CLUSTER="a=http://x:2380,b=http://y:2380"\n'
    assert ep.parse_env_file(text) == {
        "ETCD_NAME": "e1",
        "ETCD_INITIAL_CLUSTER": "a=http://x:2380,b=http://y:2380",
    }
    with pytest.raises(ep.EntrypointError, match="line 1"):
        ep.parse_env_file("not an assignment\n")
    ok = {
        "file_|-a_|-/etc/x_|-managed": {"__id__": "a", "result": True, "changes": {"diff": "s3"}},
        "pkg_|-b_|-b_|-installed": {"__id__": "b", "result": True, "changes": {}},
    }
    lines, good = ep.summarize(ok)
    assert good and lines == ["changed a"]  # the diff (may hold secrets) is never printed
    lines, good = ep.summarize({"x": {"__id__": "c", "result": False, "comment": "boom"}})
    assert not good and lines == ["FAILED c: boom"]
    lines, good = ep.summarize(["Rendering SLS 'base:etcd' failed"])
    assert not good and lines[0].startswith("render error")


def test_entrypoint_needs_a_command():
    assert load_entrypoint().main([]) == 2


@pytest.mark.parametrize("argv", [["--apply"], ["--apply", ""], ["--apply", "a", "b"]])
def test_entrypoint_apply_needs_one_state_list(argv, capsys):
    assert load_entrypoint().main(argv) == 2
    assert "usage: stacksalt-entrypoint --apply" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["images", "--help"],
        ["images", "plan", "--help"],
        ["images", "build", "--help"],
        ["images", "list", "--help"],
        ["images", "scan", "--help"],
        ["images", "dockerfile", "--help"],
        ["registry", "--help"],
        ["registry", "up", "--help"],
        ["registry", "down", "--help"],
    ],
)
def test_every_subcommand_has_help(argv, capsys):
    from stacksalt.images.cli import main

    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_register_adds_images_and_registry_to_a_parser():
    import argparse

    from stacksalt.images.cli import register

    parser = argparse.ArgumentParser(prog="stacksalt")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["images", "build", "--workers", "3", "--push", "etcd"])
    assert (args.command, args.action, args.workers, args.push, args.names) == (
        "images",
        "build",
        3,
        True,
        ["etcd"],
    )
    args = parser.parse_args(["registry", "up", "--port", "5999"])
    assert args.port == 5999 and args.func.__name__ == "cmd_registry_up"


def test_dockerfile_command_prints_the_generated_text(capsys):
    from stacksalt.images.cli import main

    assert main(["--root", str(ROOT), "images", "dockerfile", "etcd"]) == 0
    assert capsys.readouterr().out == (GOLDEN / "Dockerfile.etcd").read_text()


def test_snapshot_copies_build_inputs_but_never_secrets(tmp_path):
    from stacksalt.images.context import BUILD_FILES, BUILD_TREES, snapshot

    root = Path(__file__).resolve().parents[2]
    dest = snapshot(root, tmp_path / "tree")
    for tree in BUILD_TREES:
        assert (dest / tree).is_dir()
    for name in BUILD_FILES:
        assert (dest / name).read_bytes() == (root / name).read_bytes()
    assert not list(dest.rglob("secrets.yml"))
    assert not list(dest.rglob("__pycache__"))


def test_entrypoint_expands_pod_references_and_merges_only_its_nodes_files(tmp_path):
    ep = load_entrypoint()
    (tmp_path / "10-pillar.yaml").write_text(
        "galera:\n  server:\n    name: $(POD_NAME)\n    bind: {address: $(POD_IP)}\n"
        "    note: $$(POD_NAME) stays\n    members: [{name: db-0, address: db-0.db}]\n"
    )
    (tmp_path / "node.cmp01.yaml").write_text("galera:\n  server:\n    port: 1\n")
    (tmp_path / "node.ctl01.yaml").write_text("galera:\n  server:\n    port: 2\n")
    (tmp_path / "node.ctl01.secret.yaml").write_text("galera:\n  server:\n    pw: s\n")
    env = {
        "STACKSALT_PILLAR_DIR": str(tmp_path),
        "POD_NAME": "db-1",
        "POD_IP": "10.1.2.3",
        "NODE_NAME": "ctl01",
    }
    server = ep.overlay(env)["galera"]["server"]
    assert server["name"] == "db-1" and server["bind"] == {"address": "10.1.2.3"}
    assert server["note"] == "$(POD_NAME) stays"
    assert server["port"] == 2 and server["pw"] == "s"  # its node's files only, last
    without_ip = {k: v for k, v in env.items() if k != "POD_IP"}
    with pytest.raises(ep.EntrypointError, match=r"galera:server:bind:address: \$\(POD_IP\)"):
        ep.overlay(without_ip)
