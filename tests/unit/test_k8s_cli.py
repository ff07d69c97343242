"""``stacksalt manifests render|validate|apply``, ``domains list``, ``cleanup`` end to end on a
copy of the project (no cluster): outputs, exit codes, nothing written when broken."""

from __future__ import annotations

import pytest
import yaml

from stacksalt.cli import main

from .k8s_model import golden_project

COMMANDS = [
    ["manifests", "render"],
    ["manifests", "validate"],
    ["manifests", "apply"],
    ["domains", "list"],
    ["cleanup"],
]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return golden_project(tmp_path_factory.mktemp("cli") / "project")


@pytest.mark.parametrize("cmd", COMMANDS, ids=["-".join(c) for c in COMMANDS])
def test_help(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*cmd, "--help"])
    assert exc.value.code == 0
    assert "--cluster" in capsys.readouterr().out


def test_render_writes_one_file_per_object(root, tmp_path, capsys):
    out = tmp_path / "m"
    assert (
        main(
            [
                "--root",
                str(root),
                "manifests",
                "render",
                "--cluster",
                "local",
                "--model-tags",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    files = sorted(out.glob("*.yaml"))
    assert files[0].name == "001-namespace-openstack-local.yaml"
    assert "rendered and validated" in capsys.readouterr().err
    kinds = {yaml.safe_load(f.read_text())["kind"] for f in files}
    assert {"Deployment", "StatefulSet", "DaemonSet", "Job", "Ingress", "Secret"} <= kinds
    # what the manifests run is what the images are built for (stacksalt.k8s.image_check)
    docs = [yaml.safe_load(f.read_text()) for f in files]
    run = [
        c
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")
        for c in d["spec"]["template"]["spec"]["containers"]
    ]
    assert run and not [c["name"] for c in run if "command" in c]


def test_broken_description_writes_nothing(root, tmp_path, capsys):
    path = root / "formulas/memcached/memcached/meta/service.yml"
    text = path.read_text()
    path.write_text(text.replace("antiAffinity: local", "antiAffinity: everywhere"))
    try:
        out = tmp_path / "m"
        code = main(
            [
                "--root",
                str(root),
                "manifests",
                "render",
                "--cluster",
                "local",
                "--model-tags",
                "--out",
                str(out),
            ]
        )
        err = capsys.readouterr().err
    finally:
        path.write_text(text)
    assert code == 1
    assert (
        "local: formulas/memcached/memcached/meta/service.yml: services.memcached: "
        "antiAffinity: must be one of [null, local, global], got 'everywhere'"
    ) in err
    assert "nothing was written or applied" in err
    assert not out.exists()


def test_a_job_whose_state_is_missing_writes_nothing(root, tmp_path, capsys):
    """The description is valid and renders, but the image could not run the Job."""
    path = root / "formulas/keystone/keystone/meta/service.yml"
    text = path.read_text()
    path.write_text(text.replace("keystone.server.db_sync]", "keystone.server.db_migrate]"))
    try:
        out = tmp_path / "m"
        code = main(
            ["--root", str(root), "manifests", "render", "--cluster", "local", "--model-tags"]
            + ["--out", str(out)]
        )
        err = capsys.readouterr().err
    finally:
        path.write_text(text)
    assert code == 1
    assert (
        "local: Job/keystone-db-sync: spec.template.spec.containers[0] (keystone-db-sync).args: "
        "state 'keystone.server.db_migrate': no SLS "
        "formulas/keystone/keystone/server/db_migrate.sls"
    ) in err
    assert "nothing was written or applied" in err
    assert not out.exists()


def test_validate_files(root, tmp_path, capsys):
    out = tmp_path / "m"
    main(
        [
            "--root",
            str(root),
            "manifests",
            "render",
            "--cluster",
            "production",
            "--model-tags",
            "--out",
            str(out),
        ]
    )
    broken = next(out.glob("*-service-memcached.yaml"))
    svc = yaml.safe_load(broken.read_text())
    svc["spec"]["ports"][0]["targetPort"] = 11311
    broken.write_text(yaml.safe_dump(svc))
    assert main(["manifests", "validate", str(out)]) == 1
    assert "Service/memcached: spec.ports[0].targetPort: 11311 is not a port" in (
        capsys.readouterr().err
    )


def test_render_to_stdout_is_pure_yaml(root, capsys):
    assert (
        main(["--root", str(root), "manifests", "render", "--cluster", "local", "--model-tags"])
        == 0
    )
    docs = list(yaml.safe_load_all(capsys.readouterr().out))
    assert docs[0]["kind"] == "Namespace" and all("kind" in d for d in docs)


def test_domains_list(root, capsys):
    assert main(["--root", str(root), "domains", "list", "--cluster", "local", "-q"]) == 0
    # every published port's subdomain (its description: ingress ...); the model's domain
    names = ["compute", "dashboard", "identity", "image", "network", "placement"]
    assert capsys.readouterr().out.split() == [f"{n}.local.stacksalt" for n in names]
    assert main(["--root", str(root), "domains", "list", "--cluster", "production", "-q"]) == 0
    assert capsys.readouterr().out.split() == [f"{n}.cloud.example.net" for n in names]


@pytest.mark.parametrize("cmd", [["manifests", "apply"], ["cleanup"]])
def test_cluster_commands_need_a_kubeconfig(root, cmd, monkeypatch, capsys):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    assert main(["--root", str(root), *cmd, "--cluster", "local", "--model-tags"]) == 1
    err = capsys.readouterr().err
    assert "no Kubernetes cluster configured: set KUBECONFIG" in err
