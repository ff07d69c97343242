"""stacksalt.k8s.image_check: the rendered manifests against the images they run. Each broken
rendering names the object, the container and the key; the sample, the model's clusters and
the reference cluster are clean."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest

from stacksalt.images.spec import ImagesFile
from stacksalt.k8s import image_check
from stacksalt.k8s.image_check import apply_states, bare_name, formula_tree, sls_candidates
from stacksalt.k8s.workload import build, load_catalog

from .k8s_model import golden_project, workload
from .k8s_sample import find, images_file, pod, render_sample

ROOT = Path(__file__).resolve().parents[2]
EXISTS = formula_tree(ROOT / "formulas")
RENDERED = render_sample().objects
IMAGES = images_file()


def check(objects, exists=EXISTS):
    return [str(p) for p in image_check.problems(objects, IMAGES, exists)]


def test_the_sample_is_clean():
    assert check(RENDERED) == []


def _job(objs, name="keystone-db-sync"):
    return pod(find(objs, "Job", name))["containers"][0]


def _command_on_daemon(objs):
    pod(find(objs, "Deployment", "memcached"))["containers"][0]["command"] = [
        "/bin/sh",
        "-c",
        "exec memcached",
    ]


def _command_on_job(objs):
    _job(objs)["command"] = ["/bin/sh", "-c", "keystone-manage db_sync"]


def _image_not_built(objs):
    pod(find(objs, "StatefulSet", "etcd"))["containers"][0]["image"] = "ccp/etcd-tools:newton"


def _waiter_image_not_built(objs):
    init = pod(find(objs, "Deployment", "keystone"))["initContainers"][0]
    init["image"] = "bitnami/kubectl:1.30"


def _job_without_apply(objs):
    _job(objs)["args"] = ["keystone-manage", "db_sync"]


def _job_without_args(objs):
    del _job(objs)["args"]


def _job_state_of_another_formula(objs):
    _job(objs)["args"] = ["--apply", "galera.server"]


def _job_state_missing(objs):
    _job(objs)["args"] = ["--apply", "keystone.server.db_migrate"]


def _job_one_of_two_states_missing(objs):
    _job(objs)["args"] = ["--apply", "keystone.server.db_sync,openstack.nowhere"]


def _job_empty_state(objs):
    _job(objs)["args"] = ["--apply", "keystone.server.db_sync,"]


CASES = [
    # (mutation, object, key, message fragment)
    (
        _command_on_daemon,
        "Deployment/memcached",
        "spec.template.spec.containers[0] (memcached).command",
        "replaces the entrypoint of image 'memcached'",
    ),
    (
        _command_on_job,
        "Job/keystone-db-sync",
        "spec.template.spec.containers[0] (keystone-db-sync).command",
        "replaces the entrypoint of image 'keystone'",
    ),
    (
        _image_not_built,
        "StatefulSet/etcd",
        "spec.template.spec.containers[0] (etcd).image",
        "'ccp/etcd-tools:newton' is not in the build plan (ccp/etcd, ccp/galera,",
    ),
    (
        _waiter_image_not_built,
        "Deployment/keystone",
        "spec.template.spec.initContainers[0] (wait-for-dependencies).image",
        "'bitnami/kubectl:1.30' is not in the build plan",
    ),
    (
        _job_without_apply,
        "Job/keystone-db-sync",
        "containers[0] (keystone-db-sync).args",
        "a Job of image 'keystone' runs '--apply <state>[,<state>...]' through its entrypoint, "
        "got ['keystone-manage', 'db_sync']",
    ),
    (
        _job_without_args,
        "Job/keystone-db-sync",
        "containers[0] (keystone-db-sync).args",
        "got None",
    ),
    (
        _job_state_of_another_formula,
        "Job/keystone-db-sync",
        "containers[0] (keystone-db-sync).args",
        "state 'galera.server': image 'keystone' does not apply formula 'galera' "
        "(it applies: keystone, openstack)",
    ),
    (
        _job_state_missing,
        "Job/keystone-db-sync",
        "containers[0] (keystone-db-sync).args",
        "state 'keystone.server.db_migrate': no SLS "
        "formulas/keystone/keystone/server/db_migrate.sls or "
        "formulas/keystone/keystone/server/db_migrate/init.sls",
    ),
    (
        _job_one_of_two_states_missing,
        "Job/keystone-db-sync",
        "containers[0] (keystone-db-sync).args",
        "state 'openstack.nowhere': no SLS formulas/openstack/openstack/nowhere.sls",
    ),
    (_job_empty_state, "Job/keystone-db-sync", ".args", "runs '--apply <state>"),
]


@pytest.mark.parametrize(
    ("mutate", "where", "key", "message"), CASES, ids=[c[0].__name__.strip("_") for c in CASES]
)
def test_problem_is_reported(mutate, where, key, message):
    objects = copy.deepcopy(RENDERED)
    mutate(objects)
    found = check(objects)
    hits = [p for p in found if p.startswith(f"{where}: ") and key in p and message in p]
    assert hits, "\n".join(found) or "no problem reported"
    assert len(found) == 1, found  # one mutation, one problem


def test_without_a_lookup_only_the_formula_is_checked():
    objects = copy.deepcopy(RENDERED)
    _job_state_missing(objects)
    assert check(objects, exists=None) == []
    _job_state_of_another_formula(objects)
    assert check(objects, exists=None) != []


def test_a_job_of_a_plain_image_runs_its_own_command():
    """The waiters' kubectl image has no entrypoint: a command is how it runs at all."""
    objects = copy.deepcopy(RENDERED)
    job = _job(objects)
    job["image"] = "127.0.0.1:31500/ccp/kubectl:newton"
    job["command"] = ["kubectl", "get", "pods"]
    del job["args"]
    assert check(objects) == []


def test_the_lookup_is_a_parameter_for_a_built_image():
    """An integration test passes its own lookup (a file test inside the built image)."""
    asked = []

    def inside_image(path):
        asked.append(path)
        return path == "keystone/server/db_sync/init.sls"

    objects = [o for o in RENDERED if o["metadata"]["name"] == "keystone-db-sync"]
    assert check(objects, exists=inside_image) == []
    assert asked == ["keystone/server/db_sync.sls", "keystone/server/db_sync/init.sls"]


@pytest.mark.parametrize(
    ("ref", "planned"),
    [
        ("127.0.0.1:31500/ccp/keystone:newton", "keystone"),
        ("ccp/keystone:newton", "keystone"),
        ("ccp/keystone@sha256:00ff", "keystone"),
        ("127.0.0.1:31500/ccp/keystone", "keystone"),
        ("127.0.0.1:31500/stacksalt/keystone:newton", None),  # another namespace
        ("bitnami/kubectl:1.30", None),
        ("keystone:newton", None),
        ("ccp/horizon:newton", None),  # not described
    ],
)
def test_planned(ref, planned):
    assert image_check.planned(ref, IMAGES) == planned


@pytest.mark.parametrize(
    ("ref", "name"),
    [
        ("127.0.0.1:31500/ccp/keystone:newton", "keystone"),
        ("stacksalt/nova-compute:0123abcd", "nova-compute"),
        ("keystone", "keystone"),
        ("reg.example:5000/a/b/galera@sha256:00ff", "galera"),
    ],
)
def test_bare_name(ref, name):
    assert bare_name(ref) == name


@pytest.mark.parametrize(
    ("args", "states"),
    [
        (["--apply", "keystone.server.db_sync"], ["keystone.server.db_sync"]),
        (
            ["--apply", "openstack.database,openstack.messaging"],
            ["openstack.database", "openstack.messaging"],
        ),
        (["--apply"], None),
        (["--apply", ""], None),
        (["--apply", "a", "b"], None),
        (["keystone-manage", "db_sync"], None),
        (None, None),
    ],
)
def test_apply_states(args, states):
    assert apply_states(args) == states


def test_sls_candidates_follow_salt():
    assert sls_candidates("keystone") == ["keystone.sls", "keystone/init.sls"]
    assert sls_candidates("keystone.server.db_sync") == [
        "keystone/server/db_sync.sls",
        "keystone/server/db_sync/init.sls",
    ]
    assert EXISTS("keystone/init.sls") and EXISTS("keystone/server/db_sync.sls")
    assert not EXISTS("keystone/server/db_sync/init.sls")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    root = golden_project(tmp_path_factory.mktemp("image-check") / "project")
    return {cluster: workload(root, cluster) for cluster in ("local", "production")}


@pytest.mark.parametrize("cluster", ["local", "production"])
def test_the_model_clusters_are_clean(model, cluster):
    """The checks run inside build(): what 'manifests render' and 'model check' refuse."""
    control, roots = model[cluster]
    result = build(control, roots)
    assert [str(p) for p in result.problems] == []
    jobs = [o for o in result.objects if o["kind"] == "Job"]
    assert jobs and all(apply_states(pod(j)["containers"][0]["args"]) for j in jobs)


def test_build_refuses_what_the_images_cannot_run(model):
    """keystone's image without the openstack formula: its database and RabbitMQ Jobs could
    not apply openstack.database / openstack.messaging, and build() says so."""
    control, roots = model["production"]
    catalog = load_catalog(roots)
    images = [
        replace(i, formulas=("keystone",)) if i.name == "keystone" else i
        for i in catalog.images.images
    ]
    catalog = replace(catalog, images=ImagesFile(catalog.images.namespace, tuple(images)))
    found = [str(p) for p in build(control, roots, catalog=catalog).problems]
    assert found == [
        f"Job/{job}: spec.template.spec.containers[0] ({job}).args: state '{state}': image "
        "'keystone' does not apply formula 'openstack' (it applies: keystone)"
        for job, state in (
            ("keystone-db-create", "openstack.database"),
            ("keystone-mq-user", "openstack.messaging"),
        )
    ]
