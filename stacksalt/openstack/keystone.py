"""Keystone v3 over its REST API: a token by password, the catalog, and plans that bring
projects, roles, users, role assignments, services and endpoints to the model.

The plans look only; :meth:`Plan.run` acts. The decisions are the pure functions of
:mod:`stacksalt.openstack.identity`.
"""

from __future__ import annotations

from stacksalt.openstack import identity
from stacksalt.openstack.catalog import find_endpoint, versioned
from stacksalt.openstack.http import DEFAULT_TIMEOUT, ApiClient, ApiError
from stacksalt.openstack.plan import Plan, PlanError


def password_auth(
    password: str,
    user: str | None = None,
    user_domain: str | None = "Default",
    user_id: str | None = None,
    project: str | None = None,
    project_domain: str = "Default",
) -> dict:
    """The body of ``POST /v3/auth/tokens`` for password authentication (scoped to
    ``project`` when given, else unscoped)."""
    who: dict = {"password": password}
    if user_id:
        who["id"] = user_id
    else:
        who["name"] = user
        who["domain"] = {"name": user_domain}
    body: dict = {"auth": {"identity": {"methods": ["password"], "password": {"user": who}}}}
    if project:
        body["auth"]["scope"] = {"project": {"name": project, "domain": {"name": project_domain}}}
    return body


class KeystoneClient:
    """An admin session with keystone at ``auth_url`` (its internal ``/v3`` URL)."""

    def __init__(
        self, auth_url: str, timeout=DEFAULT_TIMEOUT, verify=True, session=None, retries=3
    ):
        self.auth_url = versioned(auth_url, "v3")
        self.api = ApiClient(
            "keystone", self.auth_url, session, timeout, retries=retries, verify=verify
        )
        self.token: str | None = None
        self.catalog: list[dict] = []
        self.project_id: str | None = None
        self._domains: dict[str, str] = {}

    # ------------------------------------------------------------------ authentication

    def login(self, user, password, user_domain="Default", project="admin", project_domain=None):
        """A project-scoped token for ``user``; keeps it and the catalog."""
        resp = self.api.request(
            "POST",
            self.api.url("auth", "tokens"),
            json=password_auth(
                password, user, user_domain, None, project, project_domain or user_domain
            ),
            expect=(201,),
            headers={"X-Auth-Token": None},
            hint=f"check the admin user {user!r} of domain {user_domain!r}, its password's "
            f"pillar key and its role on project {project!r}",
        )
        self.token = resp.headers.get("X-Subject-Token")
        if not self.token:
            raise ApiError("keystone", "POST", resp.url, resp.status_code, "no X-Subject-Token")
        body = resp.json()["token"]
        self.catalog = body.get("catalog") or []
        self.project_id = (body.get("project") or {}).get("id")
        self.api.headers["X-Auth-Token"] = self.token
        return self

    def authenticates(self, user_id: str, password: str) -> bool:
        """Whether ``password`` is the password of user ``user_id`` (an unscoped token is
        asked for as that user; keystone answers 401 when it is not)."""
        resp = self.api.request(
            "POST",
            self.api.url("auth", "tokens"),
            json=password_auth(password, user_id=user_id),
            expect=(201,),
            allow=(401,),
            headers={"X-Auth-Token": None},
        )
        return resp.status_code == 201

    def endpoint(self, service_type: str, interface="internal", region=None) -> str:
        return find_endpoint(self.catalog, service_type, interface, region)

    # ------------------------------------------------------------------ collections

    def list(self, collection: str, **params) -> list[dict]:
        body = self.api.get_json(collection, params={k: v for k, v in params.items() if v})
        return body[collection]

    def one(self, collection: str, what: str, **params) -> dict | None:
        found = self.list(collection, **params)
        if len(found) > 1:
            ids = ", ".join(sorted(o["id"] for o in found))
            raise ApiError(
                "keystone", "GET", self.api.url(collection), 200, f"{len(found)} {what}: {ids}"
            )
        return found[0] if found else None

    def create(self, collection: str, singular: str, body: dict) -> dict:
        return self.api.send_json("POST", collection, body={singular: body}, expect=(201,))[
            singular
        ]

    def update(self, collection: str, singular: str, obj_id: str, body: dict) -> dict:
        return self.api.send_json("PATCH", collection, obj_id, body={singular: body}, expect=(200,))

    def domain_id(self, name: str) -> str:
        if name not in self._domains:
            domain = self.one("domains", f"domains named {name}", name=name)
            if domain is None:
                raise PlanError(f"keystone has no domain named {name!r}")
            self._domains[name] = domain["id"]
        return self._domains[name]


def _missing(kind: str, name: str) -> PlanError:
    return PlanError(f"{kind} {name!r} does not exist in keystone (is its state applied first?)")


class Identity:
    """Plans over a logged-in :class:`KeystoneClient`."""

    def __init__(self, client: KeystoneClient):
        self.kc = client

    # ------------------------------------------------------------------ lookups

    def find_project(self, name, domain="Default"):
        return self.kc.one(
            "projects", f"projects named {name}", name=name, domain_id=self.kc.domain_id(domain)
        )

    def find_user(self, name, domain="Default"):
        return self.kc.one(
            "users", f"users named {name}", name=name, domain_id=self.kc.domain_id(domain)
        )

    def find_role(self, name):
        return self.kc.one("roles", f"roles named {name}", name=name)

    def find_service(self, name, service_type):
        found = [s for s in self.kc.list("services", type=service_type) if s.get("name") == name]
        if len(found) > 1:
            ids = ", ".join(sorted(s["id"] for s in found))
            raise PlanError(
                f"keystone has {len(found)} {service_type} services named {name}: {ids}"
            )
        return found[0] if found else None

    # ------------------------------------------------------------------ plans

    def project(self, name, domain="Default", description=None, enabled=True) -> Plan:
        actual = self.find_project(name, domain)
        want = {"description": description, "enabled": enabled}
        plan = Plan(f"project {name}", identity.project_changes(name, want, actual))
        if actual is None:
            body = {"name": name, "domain_id": self.kc.domain_id(domain), "enabled": enabled}
            if description is not None:
                body["description"] = description
            plan.steps.append(lambda: self.kc.create("projects", "project", body))
        elif plan.changes:
            body = {k: v["new"] for k, v in plan.changes.items()}
            plan.steps.append(lambda: self.kc.update("projects", "project", actual["id"], body))
        return plan

    def role(self, name) -> Plan:
        actual = self.find_role(name)
        plan = Plan(f"role {name}")
        if actual is None:
            plan.changes = {"role": {"old": None, "new": name}}
            plan.steps.append(lambda: self.kc.create("roles", "role", {"name": name}))
        return plan

    def user(
        self,
        name,
        password,
        domain="Default",
        project=None,
        project_domain=None,
        email=None,
        description=None,
        enabled=True,
    ) -> Plan:
        actual = self.find_user(name, domain)
        project_domain = project_domain or domain
        project_obj = self.find_project(project, project_domain) if project else None
        want = {"enabled": enabled, "email": email, "description": description}
        if project:
            want["default_project_id"] = (
                project_obj["id"] if project_obj else f"{project} (to be created)"
            )
        password_ok = None
        if actual is not None and actual.get("enabled", True):
            password_ok = self.kc.authenticates(actual["id"], password)
        elif actual is not None and enabled:
            password_ok = False  # it cannot log in while disabled: set the password again
        # A user meant to stay disabled cannot prove its password: it is left alone.
        plan = Plan(f"user {name}", identity.user_changes(name, want, actual, password_ok))
        if not plan.changes:
            return plan

        def body():
            out = {k: v for k, v in want.items() if v is not None}
            if project:
                found = project_obj or self.find_project(project, project_domain)
                if found is None:
                    raise _missing("project", project)
                out["default_project_id"] = found["id"]
            return out

        if actual is None:

            def create():
                self.kc.create(
                    "users",
                    "user",
                    {"name": name, "domain_id": self.kc.domain_id(domain), "password": password}
                    | body(),
                )

            plan.steps.append(create)
        else:

            def update():
                fields = {k: v for k, v in body().items() if k in plan.changes}
                if "password" in plan.changes:
                    fields["password"] = password
                self.kc.update("users", "user", actual["id"], fields)

            plan.steps.append(update)
        return plan

    def role_assignment(
        self, user, project, roles, user_domain="Default", project_domain=None
    ) -> Plan:
        project_domain = project_domain or user_domain
        user_obj = self.find_user(user, user_domain)
        project_obj = self.find_project(project, project_domain)
        role_ids = {}
        for role in roles:
            found = self.find_role(role)
            if found:
                role_ids[role] = found["id"]
        assigned = set()
        if user_obj and project_obj:
            rows = self.kc.list(
                "role_assignments",
                **{"user.id": user_obj["id"], "scope.project.id": project_obj["id"]},
            )
            assigned = {row["role"]["id"] for row in rows}
        missing = identity.missing_roles(list(roles), assigned, role_ids)
        plan = Plan(f"roles of {user} on {project}")
        if not missing:
            return plan
        plan.changes = {
            "roles": {"old": sorted(set(roles) - set(missing)), "new": sorted(set(roles))}
        }

        def assign():
            u = user_obj or self.find_user(user, user_domain)
            p = project_obj or self.find_project(project, project_domain)
            if u is None:
                raise _missing("user", user)
            if p is None:
                raise _missing("project", project)
            for role in missing:
                r = role_ids.get(role) or (self.find_role(role) or {}).get("id")
                if r is None:
                    raise _missing("role", role)
                self.kc.api.request(
                    "PUT",
                    self.kc.api.url("projects", p["id"], "users", u["id"], "roles", r),
                    expect=(204, 201, 200),
                )

        plan.steps.append(assign)
        return plan

    def service(self, name, service_type, description=None, enabled=True) -> Plan:
        actual = self.find_service(name, service_type)
        want = {"type": service_type, "description": description, "enabled": enabled}
        plan = Plan(f"service {name}", identity.service_changes(name, want, actual))
        if actual is None:
            body = {k: v for k, v in {"name": name, **want}.items() if v is not None}
            plan.steps.append(lambda: self.kc.create("services", "service", body))
        elif plan.changes:
            body = {k: v["new"] for k, v in plan.changes.items()}
            plan.steps.append(lambda: self.kc.update("services", "service", actual["id"], body))
        return plan

    def endpoints(self, service, service_type, urls, region="RegionOne") -> Plan:
        svc = self.find_service(service, service_type)
        actual = self.kc.list("endpoints", service_id=svc["id"]) if svc else []
        decided = identity.endpoint_plan(service, region, dict(urls), actual)
        plan = Plan(f"endpoints of {service} in {region}", decided.changes, decided.problems)
        if not plan.changes or plan.problems:
            return plan

        def apply():
            sid = (svc or self.find_service(service, service_type) or {}).get("id")
            if sid is None:
                raise _missing("service", service)
            if self.kc.api.get_json("regions", region, allow_missing=True) is None:
                self.kc.create("regions", "region", {"id": region})
            for interface, url in decided.create:
                self.kc.create(
                    "endpoints",
                    "endpoint",
                    {
                        "service_id": sid,
                        "interface": interface,
                        "url": url,
                        "region_id": region,
                        "enabled": True,
                    },
                )
            for ep_id, _interface, url in decided.update:
                self.kc.update("endpoints", "endpoint", ep_id, {"url": url, "enabled": True})

        plan.steps.append(apply)
        return plan
