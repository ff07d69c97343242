"""A small etcd v3 client on the grpc-gateway (etcd3gw) that fails over between members.

etcd3gw talks to one endpoint; :class:`EtcdStore` tries each endpoint in turn and raises
:class:`EtcdUnavailable` (naming every endpoint and its error) when none answers. The lock is
a lease plus a transaction (create only if absent) and is released only while its value is
still ours (RECIPES: etcd3gw's own ``Lock.acquire`` leaks a lease on failure).
"""

from __future__ import annotations

import base64
import uuid as _uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import etcd3gw
import requests


class EtcdUnavailable(RuntimeError):
    """No etcd endpoint answered."""


class EtcdError(RuntimeError):
    """etcd answered with an error (e.g. an unknown lease): no failover, the request is wrong."""


# Only these mean "this member does not answer, try the next one"; any other error is etcd's
# answer (an expired lease is "Not Found") and must not be taken for an outage.
_UNREACHABLE = (
    requests.RequestException,
    etcd3gw.exceptions.ConnectionFailedError,
    etcd3gw.exceptions.ConnectionTimeoutError,
    etcd3gw.exceptions.InternalServerError,
    etcd3gw.exceptions.ApiVersionDiscoveryFailedError,
)


def _b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


@dataclass
class Lease:
    id: int
    ttl: int


class EtcdStore:
    """Keys under ``prefix`` (e.g. ``/galera/local``) on a list of client URLs."""

    def __init__(self, endpoints: list[str], prefix: str, timeout: float = 3.0):
        if not endpoints:
            raise ValueError("etcd: no endpoints configured")
        self.endpoints = list(endpoints)
        self.prefix = prefix.rstrip("/")
        self.timeout = timeout
        self._clients: dict[str, Any] = {}
        self._preferred = 0

    def _client(self, endpoint: str):
        if endpoint not in self._clients:
            url = urlparse(endpoint)
            self._clients[endpoint] = etcd3gw.client(
                host=url.hostname,
                port=url.port or 2379,
                protocol=url.scheme or "http",
                timeout=self.timeout,
            )
        return self._clients[endpoint]

    def _call(self, fn: Callable[[Any], Any]):
        errors = []
        n = len(self.endpoints)
        for i in range(n):
            index = (self._preferred + i) % n
            endpoint = self.endpoints[index]
            try:
                result = fn(self._client(endpoint))
            except _UNREACHABLE as exc:
                errors.append(f"{endpoint}: {type(exc).__name__}: {exc}")
                continue
            except etcd3gw.exceptions.Etcd3Exception as exc:
                raise EtcdError(f"{endpoint}: {exc}") from exc
            self._preferred = index
            return result
        raise EtcdUnavailable("no etcd endpoint answered: " + "; ".join(errors))

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    # -- plain keys ---------------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        values = self._call(lambda c: c.get(self.key(name)))
        return values[0].decode() if values else None

    def put(self, name: str, value: str, lease: Lease | None = None) -> None:
        payload: dict[str, Any] = {"key": _b64(self.key(name)), "value": _b64(value)}
        if lease:
            payload["lease"] = lease.id
        self._call(lambda c: c.post(c.get_url("/kv/put"), json=payload))

    def delete(self, name: str) -> None:
        self._call(lambda c: c.delete(self.key(name)))

    def get_prefix(self, name: str) -> dict[str, str]:
        """``{relative name: value}`` for every key under ``prefix/name/``."""
        base = self.key(name).rstrip("/") + "/"
        pairs = self._call(lambda c: c.get_prefix(base))
        return {meta["key"].decode()[len(base) :]: value.decode() for value, meta in pairs}

    def compare_and_put(self, name: str, expected: str | None, value: str) -> bool:
        """Put ``value`` only if the key still holds ``expected`` (``None``: is absent)."""
        key = _b64(self.key(name))
        if expected is None:
            compare = {"key": key, "result": "EQUAL", "target": "CREATE", "create_revision": 0}
        else:
            compare = {"key": key, "result": "EQUAL", "target": "VALUE", "value": _b64(expected)}
        txn = {
            "compare": [compare],
            "success": [{"request_put": {"key": key, "value": _b64(value)}}],
            "failure": [],
        }
        return bool(self._call(lambda c: c.transaction(txn)).get("succeeded"))

    # -- leases and the lock ------------------------------------------------------------------

    def grant(self, ttl: int) -> Lease:
        res = self._call(lambda c: c.post(c.get_url("/lease/grant"), json={"TTL": ttl, "ID": 0}))
        return Lease(int(res["ID"]), int(res["TTL"]))

    def refresh(self, lease: Lease) -> bool:
        """Keep a lease alive; False when it expired (its keys are gone)."""
        try:
            res = self._call(lambda c: c.post(c.get_url("/lease/keepalive"), json={"ID": lease.id}))
        except EtcdError:
            return False
        return int(res.get("result", res).get("TTL", 0)) > 0

    def revoke(self, lease: Lease) -> None:
        """Revoke a lease; one that already expired is fine (its keys are gone already)."""
        try:
            self._call(lambda c: c.post(c.get_url("/kv/lease/revoke"), json={"ID": lease.id}))
        except EtcdError:
            return

    def try_lock(self, name: str, owner: str, ttl: int) -> tuple[bool, str | None, Lease | None]:
        """Take the lock ``name`` for ``owner``; returns (taken, holder, lease).

        The lease is revoked when the lock is not taken, so nothing leaks.
        """
        holder = self.get(name)
        if holder is not None:
            return holder.split("/", 1)[0] == owner, holder.split("/", 1)[0], None
        lease = self.grant(ttl)
        key = _b64(self.key(name))
        token = f"{owner}/{_uuid.uuid4().hex}"
        txn = {
            "compare": [{"key": key, "result": "EQUAL", "target": "CREATE", "create_revision": 0}],
            "success": [{"request_put": {"key": key, "value": _b64(token), "lease": lease.id}}],
            "failure": [],
        }
        if self._call(lambda c: c.transaction(txn)).get("succeeded"):
            return True, owner, lease
        self.revoke(lease)
        holder = self.get(name)
        return False, holder.split("/", 1)[0] if holder else None, None

    def unlock(self, name: str, owner: str) -> bool:
        """Release the lock only if ``owner`` holds it."""
        holder = self.get(name)
        if holder is None or holder.split("/", 1)[0] != owner:
            return False
        key = _b64(self.key(name))
        txn = {
            "compare": [{"key": key, "result": "EQUAL", "target": "VALUE", "value": _b64(holder)}],
            "success": [{"request_delete_range": {"key": key}}],
            "failure": [],
        }
        return bool(self._call(lambda c: c.transaction(txn)).get("succeeded"))
