"""RabbitMQ's management HTTP API (plugin ``rabbitmq_management``, port 15672): plans that
bring vhosts, users and permissions to the model. Decisions: :mod:`.messaging`."""

from __future__ import annotations

from stacksalt.openstack import messaging
from stacksalt.openstack.http import DEFAULT_TIMEOUT, ApiClient
from stacksalt.openstack.plan import Plan

HINT = (
    "check that the rabbitmq_management plugin listens there (rabbitmq:server "
    "management_port), that the admin user exists with the administrator tag, and the "
    "pillar key of its password"
)


class ManagementClient:
    """The management API at ``api_url`` (``http://host:15672``), as ``user``."""

    def __init__(
        self,
        api_url,
        user,
        password,
        timeout=DEFAULT_TIMEOUT,
        verify=True,
        session=None,
        retries=3,
    ):
        base = api_url.rstrip("/")
        if not base.endswith("/api"):
            base += "/api"
        self.api = ApiClient(
            "rabbitmq management",
            base,
            session,
            timeout,
            retries=retries,
            auth=(user, password),
            verify=verify,
        )

    def get(self, *parts):
        return self.api.get_json(*parts, allow_missing=True, hint=HINT)

    def put(self, *parts, body=None):
        return self.api.send_json("PUT", *parts, body=body or {}, expect=(201, 204), hint=HINT)


class Messaging:
    """Plans over a :class:`ManagementClient`."""

    def __init__(self, client: ManagementClient):
        self.mc = client

    def vhost(self, name) -> Plan:
        plan = Plan(f"vhost {name}")
        if self.mc.get("vhosts", name) is None:
            plan.changes = {"vhost": {"old": None, "new": name}}
            plan.steps.append(lambda: self.mc.put("vhosts", name))
        return plan

    def user(self, name, password, tags=()) -> Plan:
        actual = self.mc.get("users", name)
        ok = None
        if actual is not None:
            try:
                ok = messaging.password_matches(
                    password, actual.get("password_hash"), actual.get("hashing_algorithm")
                )
            except messaging.HashError as exc:
                return Plan(f"user {name}", problems=[f"user {name}: {exc}"])
        plan = Plan(f"user {name}", messaging.user_changes(name, tags, actual, ok))
        if plan.changes:
            body = {"password": password, "tags": ",".join(messaging.normalize_tags(tags))}
            if actual is not None and "password" not in plan.changes:
                # Only the tags change: keep the stored hash rather than re-sending the
                # password (the same password, a new salt).
                body = {
                    "password_hash": actual.get("password_hash", ""),
                    "hashing_algorithm": actual.get("hashing_algorithm")
                    or "rabbit_password_hashing_sha256",
                    "tags": body["tags"],
                }
            plan.steps.append(lambda: self.mc.put("users", name, body=body))
        return plan

    def permissions(self, user, vhost, configure=".*", write=".*", read=".*") -> Plan:
        wanted = {"configure": configure, "write": write, "read": read}
        actual = self.mc.get("permissions", vhost, user)
        plan = Plan(
            f"permissions of {user} on {vhost}", messaging.permission_changes(wanted, actual)
        )
        if plan.changes:
            plan.steps.append(lambda: self.mc.put("permissions", vhost, user, body=wanted))
        return plan
