"""Dependency waiting: an init container that blocks until dependencies are ready.

CCP polls etcd keys before each command (spec §4.4 "dependencies"). Here a dependency is a
service instance (ready when at least one of its pods is Ready) or a Job (ready when it has
succeeded). The init container polls the Kubernetes API with ``kubectl`` every
``interval`` seconds, for at most ``timeout`` seconds; then it exits 1 after writing
``timed out after <N>s waiting for <pod>: <missing...>`` to its log and to
``/dev/termination-log`` (shown by ``kubectl describe pod``), naming exactly what is missing.
The pod's ServiceAccount gets read access to pods and jobs of its namespace only.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stacksalt.k8s.common import ENVIRONMENT_LABEL, NAME_LABEL
from stacksalt.k8s.naming import object_labels

WAITER_NAME = "wait-for-dependencies"
SERVICE_ACCOUNT = "stacksalt-waiter"
DEPENDENCIES_ANNOTATION = "stacksalt.io/dependencies"
TERMINATION_LOG = "/dev/termination-log"


@dataclass(frozen=True, order=True)
class Dependency:
    kind: str  # "service" or "job"
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


def wait_script(
    deps: Sequence[Dependency],
    namespace: str,
    waiter_of: str,
    timeout: int,
    interval: int,
    termination_log: str = TERMINATION_LOG,
) -> str:
    """POSIX sh program polling ``deps``; every name is shell-quoted."""
    ns = shlex.quote(namespace)
    lines = [
        "set -u",
        "service_ready() {",
        f'  kubectl get pods -n {ns} -l "{NAME_LABEL}=$1,{ENVIRONMENT_LABEL}={namespace}" \\',
        "    -o 'jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}' \\",
        "    2>/dev/null | grep -qw True",
        "}",
        "job_done() {",
        f"  kubectl get job -n {ns} \"$1\" -o 'jsonpath={{.status.succeeded}}' 2>/dev/null \\",
        "    | grep -q '^[1-9]'",
        "}",
        f"deadline=$(( $(date +%s) + {int(timeout)} ))",
        "while :; do",
        "  missing=''",
    ]
    for dep in sorted(deps):
        check = "service_ready" if dep.kind == "service" else "job_done"
        label = shlex.quote(f" {dep}")
        lines.append(f'  {check} {shlex.quote(dep.name)} || missing="$missing"{label}')
    message = shlex.quote(f"timed out after {int(timeout)}s waiting for {waiter_of}:")
    lines += [
        '  [ -z "$missing" ] && exit 0',
        '  if [ "$(date +%s)" -ge "$deadline" ]; then',
        f'    echo {message}"$missing" | tee {shlex.quote(termination_log)} >&2',
        "    exit 1",
        "  fi",
        f'  echo {shlex.quote(f"{waiter_of} waiting for:")}"$missing"',
        f"  sleep {int(interval)}",
        "done",
    ]
    return "\n".join(lines) + "\n"


def wait_container(
    deps: Sequence[Dependency],
    namespace: str,
    waiter_of: str,
    image: str,
    timeout: int,
    interval: int,
) -> dict[str, Any]:
    return {
        "name": WAITER_NAME,
        "image": image,
        "command": ["/bin/sh", "-c", wait_script(deps, namespace, waiter_of, timeout, interval)],
        "terminationMessagePath": TERMINATION_LOG,
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }


def waiter_rbac(namespace: str) -> list[dict[str, Any]]:
    """ServiceAccount + Role (read pods and jobs) + RoleBinding for the waiters."""
    labels = object_labels(SERVICE_ACCOUNT, namespace, "rbac")
    meta = {"name": SERVICE_ACCOUNT, "namespace": namespace, "labels": labels}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": dict(meta),
            "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
                {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": dict(meta),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": SERVICE_ACCOUNT,
            },
            "subjects": [
                {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}
            ],
        },
    ]
