"""stacksalt.service.catalog: every service's one description (formulas/<f>/<f>/meta/
service.yml) and the base images (docker-salt/images.yml) read and checked together.

Table tests on small trees written by the test: each broken description gives one problem
naming its file and key; the repository's own catalog is checked for what the renderers rely
on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stacksalt.service.catalog import CatalogError, load, role_packages

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    "namespace": "t",
    "images": {
        "salt-base": {"from": "debian:bookworm", "wheels": "docker-salt/wheels.txt"},
        "kubectl": {
            "from": "debian:bookworm",
            "packages": ["kubernetes-client"],
            "command": ["kubectl", "version"],
        },
    },
}
DEFAULTS = {
    "alpha": {"server": {"pkgs": ["alpha-server", "alpha-tools"]}, "client": {}},
    "beta": {"server": {"pkgs": ["beta"]}},
}


def service(name="alpha", image="alpha", **container):
    """A minimal valid DSL 1.2.0 definition."""
    body = {"name": name, "image": image, "daemon": {}, **container}
    return {"dsl_version": "1.2.0", "service": {"name": name, "containers": [body]}}


def image(**extra):
    return {"parent": "salt-base", "role": "server", "command": ["/usr/bin/daemon"], **extra}


def tree(tmp_path, descriptions, base=None, defaults=DEFAULTS) -> Path:
    """A project with formulas alpha and beta (defaults.yaml, a state) and the given
    descriptions (formula -> document or raw text)."""
    for formula in ("alpha", "beta"):
        state = tmp_path / "formulas" / formula / formula
        (state / "meta").mkdir(parents=True)
        (state / "init.sls").write_text("{}\n")
        (state / "defaults.yaml").write_text(yaml.safe_dump(defaults.get(formula, {})))
    for formula, doc in descriptions.items():
        path = tmp_path / "formulas" / formula / formula / "meta" / "service.yml"
        path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    images = tmp_path / "docker-salt" / "images.yml"
    images.parent.mkdir()
    images.write_text(yaml.safe_dump(base if base is not None else BASE))
    return tmp_path


def problems(root: Path) -> list[str]:
    with pytest.raises(CatalogError) as err:
        load(root)
    return err.value.problems


ALPHA = "formulas/alpha/alpha/meta/service.yml"
BETA = "formulas/beta/beta/meta/service.yml"


def test_a_valid_tree(tmp_path):
    root = tree(
        tmp_path,
        {
            "alpha": {"images": {"alpha": image()}, "services": {"alpha": service()}},
            "beta": {"images": {"beta": image(packages=["curl"])}},
        },
    )
    catalog = load(root)
    assert sorted(catalog.definitions) == ["alpha"]
    assert catalog.source("alpha") == ALPHA and catalog.source("nope") == "?"
    names = [i.name for i in catalog.images.images]
    assert sorted(names) == ["alpha", "beta", "kubectl", "salt-base"]
    assert names.index("salt-base") < min(names.index("alpha"), names.index("beta"))
    alpha, beta = catalog.image("alpha"), catalog.image("beta")
    # packages: the role's pkgs from defaults.yaml, then the description's own
    assert alpha.packages == ("alpha-server", "alpha-tools")
    assert beta.packages == ("beta", "curl")
    # formulas applied at build: the formula's own by default
    assert alpha.formulas == ("alpha",) and beta.formulas == ("beta",)
    assert alpha.source == ALPHA and catalog.image("salt-base").source.endswith("images.yml")
    assert catalog.formulas_dir == root / "formulas"


def test_the_entrypoint_flag_follows_salt_in_the_parents(tmp_path):
    """An image runs stacksalt-entrypoint when Salt is in its chain (salt-base or a child of
    it); a plain package image (kubectl) or a child of one does not."""
    base = yaml.safe_load(yaml.safe_dump(BASE))
    root = tree(
        tmp_path,
        {
            "alpha": {
                "images": {
                    "alpha": image(),
                    "alpha-tools": {"parent": "alpha", "command": ["/bin/tool"]},
                    "alpha-kubectl": {"parent": "kubectl", "formulas": [], "command": ["k"]},
                }
            }
        },
        base,
    )
    flags = {i.name: i.entrypoint for i in load(root).images.images}
    assert flags == {
        "salt-base": True,
        "kubectl": False,
        "alpha": True,
        "alpha-tools": True,
        "alpha-kubectl": False,
    }


@pytest.mark.parametrize(
    ("pillar", "expected"),
    [
        ({}, ["alpha-server", "alpha-tools"]),  # the role's pkgs in defaults.yaml
        ({"alpha": {"server": {"pkgs": ["alpha-lite"]}}}, ["alpha-lite"]),  # the build pillar's
        ({"alpha": {"server": {"pkgs": []}}}, []),  # even none
        ({"alpha": {"client": {"pkgs": ["x"]}}}, ["alpha-server", "alpha-tools"]),  # other role
    ],
)
def test_role_packages(tmp_path, pillar, expected):
    root = tree(tmp_path, {})
    assert role_packages(root / "formulas", "alpha", "server", pillar) == expected


def test_role_packages_of_the_repository_formulas():
    defaults = yaml.safe_load((ROOT / "formulas/memcached/memcached/defaults.yaml").read_text())
    assert role_packages(ROOT / "formulas", "memcached", "server", {}) == list(
        defaults["server"]["pkgs"]
    )
    assert role_packages(ROOT / "formulas", "memcached", "nowhere", {}) == []
    assert role_packages(ROOT / "formulas", "no-such-formula", "server", {}) == []


@pytest.mark.parametrize(
    ("descriptions", "expected"),
    [
        pytest.param(
            {"alpha": {"images": {"alpha": image()}, "image": {}}},
            f"{ALPHA}: image: unknown key (allowed: images, services)",
            id="unknown-top-key",
        ),
        pytest.param(
            {"alpha": "images: [alpha\n"},
            f"{ALPHA}:2:1: YAML syntax: ",
            id="yaml-syntax",
        ),
        pytest.param(
            {"alpha": "- images\n"},
            f"{ALPHA}: must be a mapping with 'images' and/or 'services'",
            id="not-a-mapping",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image()}, "services": [service()]}},
            f"{ALPHA}: services: must be a mapping of definitions",
            id="services-not-a-mapping",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image(role="client")}}},
            f"{ALPHA}: images.alpha.role: formula alpha has no pkgs for role 'client' "
            "(formulas/alpha/alpha/defaults.yaml)",
            id="role-without-pkgs",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image(role=["server"])}}},
            f"{ALPHA}: images.alpha.role: the formula role whose packages the image installs",
            id="role-not-a-string",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image(cmd=["x"])}}},
            f"{ALPHA}: images.alpha: unknown key(s) cmd",
            id="unknown-image-key",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image(wheels="x.txt")}}},
            f"{ALPHA}: images.alpha: unknown key(s) wheels",
            id="wheels-only-in-images-yml",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image(formulas=["gamma"])}}},
            f"{ALPHA}: images.alpha.formulas: no formula 'gamma' in formulas/",
            id="formula-not-in-the-tree",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image(parent="nope")}}},
            f"{ALPHA}: images.alpha.parent: no image 'nope'",
            id="parent-not-described",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image(parent="kubectl")}}},
            f"{ALPHA}: images.alpha: applies formulas but its parent kubectl has no Salt",
            id="formulas-without-salt",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image()}}, "beta": {"images": {"alpha": image()}}},
            f"{BETA}: images.alpha: image 'alpha' is also described in {ALPHA}",
            id="duplicate-image",
        ),
        pytest.param(
            {"alpha": {"images": {"kubectl": image()}}},
            f"{ALPHA}: images.kubectl: image 'kubectl' is also described in docker-salt/images.yml",
            id="duplicate-base-image",
        ),
        pytest.param(
            {
                "alpha": {"images": {"alpha": image()}, "services": {"alpha": service()}},
                "beta": {"images": {"beta": image()}, "services": {"alpha": service()}},
            },
            f"{BETA}: services.alpha: service 'alpha' is also described in {ALPHA}",
            id="duplicate-service",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image()}, "services": {"alpha-api": service()}}},
            f"{ALPHA}: services.alpha-api: service.name: 'alpha' differs from the key",
            id="name-differs-from-key",
        ),
        pytest.param(
            {"alpha": {"images": {"alpha": image()}, "services": {"alpha": service(replicas=3)}}},
            f"{ALPHA}: services.alpha: containers[0].replicas: unknown key (allowed: ",
            id="unknown-definition-key",
        ),
        pytest.param(
            {"alpha": {"services": {"alpha": service(image="alpha-api")}}},
            f"{ALPHA}: services.alpha: containers[0].image: no image 'alpha-api' is described "
            "(images: kubectl, salt-base)",
            id="image-not-described",
        ),
        pytest.param(
            {
                "alpha": {
                    "images": {"alpha": image()},
                    "services": {"alpha": service(pillar={"beta": {"server": {}}})},
                }
            },
            f"{ALPHA}: services.alpha: containers[0].pillar.beta: its image does not apply "
            "formula beta (it applies: alpha)",
            id="template-formula-not-applied",
        ),
        pytest.param(
            {
                "alpha": {
                    "images": {"alpha": image()},
                    "services": {
                        "alpha": service(
                            pre=[
                                {
                                    "name": "alpha-init",
                                    "type": "single",
                                    "command": ["--apply", "alpha"],
                                    "pillar": {"beta": {"server": {}}},
                                }
                            ]
                        )
                    },
                }
            },
            f"{ALPHA}: services.alpha: containers[0].pre[0].pillar.beta: its image does not "
            "apply formula beta (it applies: alpha)",
            id="job-template-formula-not-applied",
        ),
        pytest.param(
            {
                "alpha": {
                    "images": {"alpha": image()},
                    "services": {
                        "alpha": service(
                            pre=[
                                {
                                    "name": "alpha-init",
                                    "type": "single",
                                    "image": "gamma",
                                    "command": ["--apply", "alpha"],
                                }
                            ]
                        )
                    },
                }
            },
            f"{ALPHA}: services.alpha: containers[0].pre[0].image: no image 'gamma' is described",
            id="job-image-not-described",
        ),
        pytest.param(
            {
                "alpha": {
                    "images": {"alpha": image()},
                    "services": {
                        "alpha": service(pre=[{"command": ["--apply", "alpha"], "type": "local"}])
                    },
                }
            },
            f"{ALPHA}: services.alpha: containers[0].pre[0]: type local: commands run by the "
            "image's entrypoint only",
            id="local-pre-command",
        ),
        pytest.param(
            {
                "alpha": {
                    "images": {"alpha": image()},
                    "services": {"alpha": service(daemon={"command": "alpha-daemon --debug"})},
                }
            },
            f"{ALPHA}: services.alpha: containers[0].daemon.command: a shell string would "
            "bypass the image's entrypoint",
            id="shell-daemon-on-entrypoint-image",
        ),
        pytest.param(
            {
                "alpha": {
                    "images": {"alpha": {"parent": "salt-base", "formulas": []}},
                    "services": {"alpha": service()},
                }
            },
            f"{ALPHA}: services.alpha: containers[0].daemon.command: image 'alpha' has no "
            "command: give one",
            id="no-command-anywhere",
        ),
        pytest.param(
            {
                "alpha": {
                    "images": {"alpha": image()},
                    "services": {
                        "alpha": service(pillar={"alpha": {"server": {"x": "{{ nodes() }}"}}})
                    },
                }
            },
            f"{ALPHA}: services.alpha: containers[0].pillar.alpha.server.x: '{{{{ nodes() }}}}': "
            "unknown name(s) nodes (a template sees: address, ",
            id="template-unknown-name",
        ),
        pytest.param(
            {
                "alpha": {
                    "images": {"alpha": image()},
                    "services": {
                        "alpha": service(pillar={"alpha": {"server": {"x": ["{{ peers( }}"]}}})
                    },
                }
            },
            f"{ALPHA}: services.alpha: containers[0].pillar.alpha.server.x[0]: "
            "'{{ peers( }}': unexpected '}'",
            id="template-syntax",
        ),
    ],
)
def test_a_broken_description_names_file_and_key(tmp_path, descriptions, expected):
    found = problems(tree(tmp_path, descriptions))
    assert [p for p in found if p.startswith(expected)], "\n".join(found)


def test_what_is_allowed(tmp_path):
    """A pillar template may name a parent's formula; a Job on another image is checked
    against that image's formulas; a shell daemon is fine on an image without entrypoint;
    a daemon without command runs the image's CMD."""
    root = tree(
        tmp_path,
        {
            "alpha": {"images": {"alpha": image()}},
            "beta": {
                "images": {
                    "beta": image(parent="alpha"),
                    "beta-cli": {"parent": "kubectl", "formulas": [], "command": ["kubectl"]},
                },
                "services": {
                    "beta": service(
                        "beta",
                        "beta",
                        pillar={"alpha": {"server": {"peers": "{{ peers() }}"}}},
                        pre=[
                            {
                                "name": "beta-init",
                                "type": "single",
                                "image": "alpha",
                                "command": ["--apply", "alpha"],
                                "pillar": {"alpha": {"server": {}}},
                            }
                        ],
                    ),
                    "beta-watch": service(
                        "beta-watch", "beta-cli", daemon={"command": "kubectl get pods -w"}
                    ),
                },
            },
        },
    )
    catalog = load(root)
    assert sorted(catalog.definitions) == ["beta", "beta-watch"]
    assert catalog.definitions["beta-watch"].containers[0].daemon.command == "kubectl get pods -w"


def test_the_problems_of_every_file_are_reported_at_once(tmp_path):
    """Every description's own problems together; the cross-checks (images of containers,
    templates) once every image reads."""
    found = problems(
        tree(
            tmp_path,
            {
                "alpha": {"images": {"alpha": image(role="client")}, "extra": 1},
                "beta": {"images": {"beta": image(cmd=1)}, "services": {"beta": service("beta")}},
            },
        )
    )
    assert [p.split(": ", 2)[1] for p in found] == ["extra", "images.alpha.role", "images.beta"]


def test_the_base_images_file_is_checked(tmp_path):
    base = {"namespace": "t", "images": {"salt-base": {"from": "debian", "wheels": "w.txt"}}}
    base["images"]["kubectl"] = {"parent": "salt-base", "from": "debian"}
    found = problems(tree(tmp_path, {}, base))
    assert found == [
        "images.yml: images.kubectl: give exactly one of 'parent' (an image here) or 'from'"
    ]
    (tmp_path / "docker-salt" / "images.yml").unlink()
    found = problems(tmp_path)
    assert found[0].startswith("docker-salt/images.yml: [Errno 2]")


# ----------------------------------------------------------------- the repository's catalog


@pytest.fixture(scope="module")
def repository():
    return load(ROOT)


def test_the_repository_describes_each_service_once(repository):
    for name in ("etcd", "galera", "rabbitmq", "memcached", "keystone", "haproxy"):
        assert repository.source(name) == f"formulas/{name}/{name}/meta/service.yml"
        assert repository.image(name).source == repository.source(name)
    assert {"salt-base", "kubectl"} <= set(repository.images.by_name())


def test_the_repository_images_run_the_entrypoint_except_the_waiters(repository):
    for image in repository.images.images:
        assert image.entrypoint is (image.name != "kubectl"), image.name


def test_the_repository_daemons_run_through_the_entrypoint(repository):
    """Every daemon runs its image's CMD or an argv: never a shell string."""
    for name, definition in repository.definitions.items():
        for container in definition.containers:
            daemon = container.daemon
            assert daemon.argv is not None or not daemon.command, f"{name}: {daemon.command}"
            for _c, _phase, job in definition.single_commands():
                assert job.argv and job.argv[0] == "--apply", f"{name}: {job.name}"
