"""The Kubernetes API, through the official ``kubernetes`` client (dynamic client).

A thin adapter: connect, list this environment's objects, server-side apply with field manager
``stacksalt`` (optionally as a server dry-run), delete, read and patch node labels, read one
object. Decisions are in ``apply_plan``/``rollout``; ``apply.py`` drives them. Exercised by the
live-cluster tests (tests/integration/test_k8s_live.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stacksalt.k8s.apply_plan import KIND_ORDER

FIELD_MANAGER = "stacksalt"
API_VERSIONS = {
    "Namespace": "v1",
    "ServiceAccount": "v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "Secret": "v1",
    "ConfigMap": "v1",
    "Service": "v1",
    "StatefulSet": "apps/v1",
    "Deployment": "apps/v1",
    "DaemonSet": "apps/v1",
    "Job": "batch/v1",
    "Ingress": "networking.k8s.io/v1",
}
NO_CLUSTER = (
    "no Kubernetes cluster configured: set KUBECONFIG to a kubeconfig file (or pass "
    "--kubeconfig PATH); 'stacksalt manifests render --cluster NAME' works without one"
)


class ClusterError(RuntimeError):
    """The cluster cannot be reached or refused a request."""


def kubeconfig_path(explicit: str | os.PathLike | None = None) -> str:
    """The kubeconfig to use: ``explicit``, else ``$KUBECONFIG``; never a guess."""
    path = str(explicit) if explicit else os.environ.get("KUBECONFIG", "")
    if not path:
        raise ClusterError(NO_CLUSTER)
    first = path.split(os.pathsep)[0]
    if not Path(first).is_file():
        raise ClusterError(f"kubeconfig {first} does not exist; {NO_CLUSTER}")
    return first


class Cluster:
    """One connection to one cluster."""

    def __init__(self, kubeconfig: str | os.PathLike | None = None, context: str | None = None):
        try:
            from kubernetes import config, dynamic
            from kubernetes.client import exceptions
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ClusterError("the 'kubernetes' Python client is not installed") from exc
        self._exceptions = exceptions
        path = kubeconfig_path(kubeconfig)
        try:
            api = config.new_client_from_config(config_file=path, context=context)
            self.dynamic = dynamic.DynamicClient(api)
        except Exception as exc:  # noqa: BLE001 - any failure here means "cannot connect"
            raise ClusterError(f"cannot connect with kubeconfig {path}: {exc}") from exc
        self._resources: dict[str, Any] = {}

    def _resource(self, kind: str, api_version: str | None = None):
        api_version = api_version or API_VERSIONS[kind]
        key = f"{api_version}/{kind}"
        if key not in self._resources:
            try:
                self._resources[key] = self.dynamic.resources.get(
                    api_version=api_version, kind=kind
                )
            except Exception as exc:  # noqa: BLE001 - discovery errors of any kind
                raise ClusterError(f"the cluster does not serve {key}: {exc}") from exc
        return self._resources[key]

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except self._exceptions.ApiException as exc:
            raise ClusterError(f"{what}: {exc.status} {exc.reason}: {exc.body}") from exc
        except Exception as exc:  # noqa: BLE001 - network errors of any kind
            raise ClusterError(f"{what}: {exc}") from exc

    # ------------------------------------------------------------------ reading

    def live_objects(self, namespace: str, environment: str) -> list[dict[str, Any]]:
        """Every object of the kinds stacksalt renders in ``namespace`` (and the namespace),
        whoever owns them: the plan must see an unmanaged object in the way (a conflict,
        never adopted) and prunes only this environment's own (``apply_plan.owner_of``)."""
        out = []
        ns = self.get("Namespace", "", namespace)
        if ns is not None:
            out.append(ns)
        else:
            return out
        for kind in KIND_ORDER:
            if kind == "Namespace":
                continue
            res = self._resource(kind)
            listed = self._call(f"list {kind} in {namespace}", res.get, namespace=namespace)
            for item in listed.to_dict().get("items", []):
                item.setdefault("apiVersion", API_VERSIONS[kind])
                item.setdefault("kind", kind)
                out.append(item)
        return out

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        res = self._resource(kind)
        try:
            obj = res.get(name=name, namespace=namespace or None)
        except self._exceptions.NotFoundError:
            return None
        except self._exceptions.ApiException as exc:
            raise ClusterError(f"get {kind} {namespace}/{name}: {exc.status} {exc.reason}") from exc
        return obj.to_dict()

    def node_labels(self) -> dict[str, dict[str, str]]:
        listed = self._call("list nodes", self._resource("Node", "v1").get)
        return {
            item["metadata"]["name"]: dict(item["metadata"].get("labels") or {})
            for item in listed.to_dict().get("items", [])
        }

    # ------------------------------------------------------------------ writing

    def apply(self, obj: Mapping[str, Any], dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply (field manager ``stacksalt``, conflicts forced: the model is the
        source of truth); ``dry_run`` asks the server to validate and admit without storing."""
        meta = obj["metadata"]
        res = self._resource(obj["kind"], obj["apiVersion"])
        kwargs: dict[str, Any] = {"field_manager": FIELD_MANAGER, "force_conflicts": True}
        if dry_run:
            kwargs["dry_run"] = "All"
        result = self._call(
            f"apply {obj['kind']}/{meta['name']}",
            res.server_side_apply,
            body=dict(obj),
            name=meta["name"],
            namespace=meta.get("namespace"),
            **kwargs,
        )
        return result.to_dict()

    def delete(self, kind: str, namespace: str, name: str, dry_run: bool = False) -> None:
        res = self._resource(kind)
        kwargs: dict[str, Any] = {"propagation_policy": "Background"}
        if dry_run:
            kwargs["dry_run"] = "All"
        try:
            res.delete(name=name, namespace=namespace or None, **kwargs)
        except self._exceptions.NotFoundError:
            return
        except self._exceptions.ApiException as exc:
            raise ClusterError(
                f"delete {kind} {namespace}/{name}: {exc.status} {exc.reason}"
            ) from exc

    def patch_node_labels(self, node: str, labels: Mapping[str, str | None]) -> None:
        """Set labels (value None removes the key) with a merge patch."""
        res = self._resource("Node", "v1")
        self._call(
            f"label node {node}",
            res.patch,
            name=node,
            body={"metadata": {"labels": dict(labels)}},
            content_type="application/merge-patch+json",
        )
