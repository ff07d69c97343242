"""Table tests for stacksalt.k8s.validate: each broken rendering of the sample (tests/unit/
k8s_corpus/sample/) yields a problem naming the object and the key."""

import copy

import kubernetes_validate
import pytest

from stacksalt.k8s.validate import (
    K8S_VERSION,
    Problem,
    schema_problems,
    semantic_problems,
    validate_objects,
)

from .k8s_sample import render_sample

RENDERED = render_sample()


def get(objects, kind, name):
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def pod(obj):
    return obj["spec"]["template"]["spec"]


def _selector_mismatch(objs):
    get(objs, "Deployment", "keystone")["spec"]["selector"]["matchLabels"]["tier"] = "api"


def _bad_target_port(objs):
    get(objs, "Service", "memcached")["spec"]["ports"][0]["targetPort"] = 11311


def _service_selects_nothing(objs):
    get(objs, "Service", "memcached")["spec"]["selector"]["app.kubernetes.io/name"] = "memcache"


def _missing_configmap(objs):
    objs.remove(get(objs, "ConfigMap", "keystone-pillar"))


def _missing_secret(objs):
    objs.remove(get(objs, "Secret", "rpc-pillar-secret"))


def _missing_pillar_key(objs):
    del get(objs, "ConfigMap", "keystone-pillar")["data"]["keystone-db-sync.yaml"]


def _missing_secret_key(objs):
    del get(objs, "Secret", "keystone-pillar-secret")["data"]["keystone.yaml"]


def _mount_without_volume(objs):
    pod(get(objs, "Deployment", "memcached"))["containers"][0]["volumeMounts"].append(
        {"name": "scratch", "mountPath": "/scratch"}
    )


def _secret_in_configmap_nested(objs):
    cm = get(objs, "ConfigMap", "memcached-pillar")
    cm["data"]["memcached.yaml"] = "memcached:\n  server:\n    auth_token: abc\n"


def _secret_in_configmap_key(objs):
    get(objs, "ConfigMap", "memcached-pillar")["data"]["db_password"] = "x"


def _unknown_dependency(objs):
    ann = get(objs, "Deployment", "memcached")["spec"]["template"]["metadata"]
    ann.setdefault("annotations", {})["stacksalt.io/dependencies"] = "service/mysql"


def _unknown_job_dependency(objs):
    ann = get(objs, "Deployment", "memcached")["spec"]["template"]["metadata"]["annotations"]
    ann["stacksalt.io/dependencies"] = "job/memcached-init"


def _dependency_cycle(objs):
    ann = get(objs, "Deployment", "memcached")["spec"]["template"]["metadata"]["annotations"]
    ann["stacksalt.io/dependencies"] = "service/keystone"


def _too_many_replicas(objs):
    get(objs, "StatefulSet", "rpc")["spec"]["replicas"] = 4


def _no_eligible_node(objs):
    pod(get(objs, "Deployment", "memcached"))["nodeSelector"] = {"gpu": "enabled"}


def _schema_error(objs):
    get(objs, "Deployment", "memcached")["spec"]["replicas"] = "three"


def _schema_unknown_field(objs):
    pod(get(objs, "Deployment", "memcached"))["containers"][0]["privileged"] = True


def _duplicate_node_port(objs):
    get(objs, "Service", "memcached")["spec"]["ports"][0]["nodePort"] = 30500
    get(objs, "Service", "memcached")["spec"]["type"] = "NodePort"


def _ingress_without_backend(objs):
    objs.remove(get(objs, "Service", "keystone"))


def _ingress_without_tls_secret(objs):
    objs.remove(get(objs, "Secret", "stacksalt-ingress-tls"))


def _missing_namespace(objs):
    objs.remove(get(objs, "Namespace", "ccp"))


def _missing_service_account(objs):
    objs.remove(get(objs, "ServiceAccount", "stacksalt-waiter"))


def _bad_label_value(objs):
    get(objs, "ConfigMap", "rpc-pillar")["metadata"]["labels"]["note"] = "has space"


def _missing_statefulset_service(objs):
    objs.remove(get(objs, "Service", "database-headless"))


CASES = [
    # (mutation, kind/name, key fragment, message fragment)
    (
        _selector_mismatch,
        "Deployment/keystone",
        "spec.selector.matchLabels",
        "does not match the pod template labels",
    ),
    (
        _bad_target_port,
        "Service/memcached",
        "spec.ports[0].targetPort",
        "11311 is not a port of the selected containers",
    ),
    (_service_selects_nothing, "Service/memcached", "spec.selector", "selects no pods"),
    (
        _missing_configmap,
        "Deployment/keystone",
        "volumes[0].projected.sources[0].configMap",
        "ConfigMap 'keystone-pillar' is not defined",
    ),
    (
        _missing_secret,
        "StatefulSet/rpc",
        "volumes[0].projected.sources[1].secret",
        "Secret 'rpc-pillar-secret' is not defined",
    ),
    (
        _missing_pillar_key,
        "Job/keystone-db-sync",
        "volumes[0].projected.sources[0].configMap.items[0].key",
        "ConfigMap 'keystone-pillar' has no key 'keystone-db-sync.yaml'",
    ),
    (
        _missing_secret_key,
        "Deployment/keystone",
        "volumes[0].projected.sources[1].secret.items[0].key",
        "Secret 'keystone-pillar-secret' has no key 'keystone.yaml'",
    ),
    (
        _mount_without_volume,
        "Deployment/memcached",
        "containers[0].volumeMounts[1]",
        "volume 'scratch' is not defined",
    ),
    (
        _secret_in_configmap_nested,
        "ConfigMap/memcached-pillar",
        "data.memcached.yaml:memcached.server.auth_token",
        "secret-looking key in a ConfigMap",
    ),
    (
        _secret_in_configmap_key,
        "ConfigMap/memcached-pillar",
        "data.db_password",
        "secret-looking key",
    ),
    (
        _unknown_dependency,
        "Deployment/memcached",
        "stacksalt.io/dependencies",
        "dependency 'mysql' is not a service or job of this environment",
    ),
    (
        _unknown_job_dependency,
        "Deployment/memcached",
        "stacksalt.io/dependencies",
        "dependency 'memcached-init' is not a Job",
    ),
    (
        _dependency_cycle,
        "Deployment/keystone",
        "stacksalt.io/dependencies",
        "dependency cycle: service/keystone -> service/memcached -> service/keystone",
    ),
    (
        _too_many_replicas,
        "StatefulSet/rpc",
        "spec.replicas",
        (
            "4 replicas with required hostname anti-affinity (affinity term 0) but only 3 "
            "eligible nodes: node1, node2, node3"
        ),
    ),
    (
        _no_eligible_node,
        "Deployment/memcached",
        "spec.template.spec.nodeSelector",
        "no node carries the labels",
    ),
    (_schema_error, "Deployment/memcached", "spec.replicas", "schema: 'three' is not of type"),
    (_schema_unknown_field, "Deployment/memcached", "spec.template.spec.containers.0", "schema:"),
    (
        _duplicate_node_port,
        "Service/memcached",
        "spec.ports[0].nodePort",
        "30500 is already used by Service/keystone",
    ),
    (
        _ingress_without_backend,
        "Ingress/keystone-identity",
        "backend.service.name",
        "Service 'keystone' is not defined",
    ),
    (
        _ingress_without_tls_secret,
        "Ingress/keystone-identity",
        "spec.tls[0].secretName",
        "Secret 'stacksalt-ingress-tls' is not defined",
    ),
    (
        _missing_namespace,
        "Deployment/keystone",
        "metadata.namespace",
        "Namespace 'ccp' is not defined",
    ),
    (
        _missing_service_account,
        "Job/keystone-db-sync",
        "serviceAccountName",
        "ServiceAccount 'stacksalt-waiter' is not defined",
    ),
    (_bad_label_value, "ConfigMap/rpc-pillar", "metadata.labels.note", "invalid label value"),
    (
        _missing_statefulset_service,
        "StatefulSet/database",
        "spec.serviceName",
        "Service 'database-headless' is not defined",
    ),
]


def test_rendered_sample_is_clean():
    assert validate_objects(RENDERED.objects, RENDERED.node_labels) == []


@pytest.mark.parametrize(
    ("mutate", "where", "key", "message"), CASES, ids=[c[0].__name__.strip("_") for c in CASES]
)
def test_problem_is_reported(mutate, where, key, message):
    objects = copy.deepcopy(RENDERED.objects)
    mutate(objects)
    problems = validate_objects(objects, RENDERED.node_labels)
    hits = [
        p
        for p in problems
        if f"{p.kind}/{p.name}" == where and key in p.key and message in p.message
    ]
    assert hits, "\n".join(map(str, problems)) or "no problem reported"


def test_problem_str_names_kind_name_and_key():
    assert str(Problem("Service", "keystone", "spec.ports[0]", "bad")) == (
        "Service/keystone: spec.ports[0]: bad"
    )


def test_pinned_kubernetes_version_is_shipped():
    versions = kubernetes_validate.utils.all_versions()
    assert K8S_VERSION in versions
    assert (
        schema_problems({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ccp"}})
        == []
    )


def test_unknown_kind_is_a_problem():
    problems = schema_problems({"apiVersion": "v1", "kind": "Gadget", "metadata": {"name": "x"}})
    assert [p.key for p in problems] == ["apiVersion"]


def test_placement_checks_need_node_labels():
    objects = copy.deepcopy(RENDERED.objects)
    _too_many_replicas(objects)
    assert not [p for p in semantic_problems(objects) if p.key == "spec.replicas"]
