"""Execution module: keystone projects, roles, users, role assignments, services and
endpoints over keystone's v3 REST API (thin adapter over :mod:`stacksalt.openstack`).

Every function logs in as the admin (``admin_user`` of ``admin_domain``, scoped to
``admin_project``) at ``auth_url`` (keystone's internal URL) with the password read from the
pillar at ``admin_pillar``; a user's own password is read from the pillar at
``password_pillar``. No secret is an argument, a return value or part of an error.

``*_look`` functions return ``{"what", "changes", "problems"}`` and change nothing;
``*_apply`` functions carry out what the look found and return the changes.
"""

try:
    from stacksalt.openstack import saltadapter
    from stacksalt.openstack.keystone import Identity

    HAS_LIBS = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_LIBS = False

__virtualname__ = "openstack_identity"

CONN = saltadapter.KEYSTONE_CONN if HAS_LIBS else ()


def __virtual__():
    if not HAS_LIBS:
        return False, "openstack_identity: the stacksalt package (and requests) is not installed"
    return __virtualname__


def _secrets():
    return saltadapter.secrets_of(__context__, __salt__["pillar.get"])


def _client(conn):
    return saltadapter.keystone_client(__context__, _secrets(), **conn)


def _run(plan_fn, apply, kwargs):
    conn = saltadapter.split_kwargs(kwargs, CONN, __virtualname__)
    secrets = _secrets()

    def go():
        plan = plan_fn(Identity(_client(conn)), secrets)
        return plan.run() if apply else plan.public()

    return saltadapter.call(secrets, go)


def token_check(**kwargs):
    """
    Log in as the admin; return the token's project id and the catalog's service types.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.token_check auth_url=http://10.0.0.10:5000/v3 \\
            admin_pillar=openstack:identity:admin:password
    """
    conn = saltadapter.split_kwargs(kwargs, CONN, __virtualname__)
    kc = _client(conn)
    return {"project_id": kc.project_id, "services": sorted({s["type"] for s in kc.catalog})}


def project_look(name, domain="Default", description=None, enabled=True, **kwargs):
    """
    What would change to make project ``name`` as wanted (``description``, ``enabled``).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.project_look service auth_url=http://10.0.0.10:5000/v3 \\
            admin_pillar=openstack:identity:admin:password
    """
    return _run(lambda ids, _s: ids.project(name, domain, description, enabled), False, kwargs)


def project_apply(name, domain="Default", description=None, enabled=True, **kwargs):
    """
    Create or update project ``name``; return the changes.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.project_apply service auth_url=... admin_pillar=...
    """
    return _run(lambda ids, _s: ids.project(name, domain, description, enabled), True, kwargs)


def role_look(name, **kwargs):
    """
    What would change to make role ``name`` exist.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.role_look service auth_url=... admin_pillar=...
    """
    return _run(lambda ids, _s: ids.role(name), False, kwargs)


def role_apply(name, **kwargs):
    """
    Create role ``name`` when missing.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.role_apply service auth_url=... admin_pillar=...
    """
    return _run(lambda ids, _s: ids.role(name), True, kwargs)


def _user(name, password_pillar, domain, project, project_domain, email, description, enabled):
    def plan(ids, secrets):
        password = secrets(password_pillar, f"password of keystone user {name}")
        return ids.user(
            name, password, domain, project, project_domain, email, description, enabled
        )

    return plan


def user_look(
    name,
    password_pillar,
    domain="Default",
    project=None,
    project_domain=None,
    email=None,
    description=None,
    enabled=True,
    **kwargs,
):
    """
    What would change to make user ``name`` as wanted; whether its password (read from the
    pillar at ``password_pillar``) works is checked by authenticating as the user.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.user_look nova \\
            password_pillar=openstack:identity:users:nova:password project=service \\
            auth_url=... admin_pillar=...
    """
    fn = _user(name, password_pillar, domain, project, project_domain, email, description, enabled)
    return _run(fn, False, kwargs)


def user_apply(
    name,
    password_pillar,
    domain="Default",
    project=None,
    project_domain=None,
    email=None,
    description=None,
    enabled=True,
    **kwargs,
):
    """
    Create or update user ``name`` (its password from the pillar at ``password_pillar``).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.user_apply nova \\
            password_pillar=openstack:identity:users:nova:password project=service \\
            auth_url=... admin_pillar=...
    """
    fn = _user(name, password_pillar, domain, project, project_domain, email, description, enabled)
    return _run(fn, True, kwargs)


def role_assignment_look(name, project, roles, domain="Default", project_domain=None, **kwargs):
    """
    Which of ``roles`` user ``name`` lacks on ``project``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.role_assignment_look nova service '[admin, service]' \\
            auth_url=... admin_pillar=...
    """
    return _run(
        lambda ids, _s: ids.role_assignment(name, project, list(roles), domain, project_domain),
        False,
        kwargs,
    )


def role_assignment_apply(name, project, roles, domain="Default", project_domain=None, **kwargs):
    """
    Assign the missing ``roles`` to user ``name`` on ``project``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.role_assignment_apply nova service '[admin, service]' \\
            auth_url=... admin_pillar=...
    """
    return _run(
        lambda ids, _s: ids.role_assignment(name, project, list(roles), domain, project_domain),
        True,
        kwargs,
    )


def service_look(name, service_type, description=None, enabled=True, **kwargs):
    """
    What would change to make service ``name`` of ``service_type`` as wanted.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.service_look nova compute auth_url=... admin_pillar=...
    """
    return _run(
        lambda ids, _s: ids.service(name, service_type, description, enabled), False, kwargs
    )


def service_apply(name, service_type, description=None, enabled=True, **kwargs):
    """
    Create or update service ``name`` of ``service_type``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.service_apply nova compute auth_url=... admin_pillar=...
    """
    return _run(lambda ids, _s: ids.service(name, service_type, description, enabled), True, kwargs)


def endpoints_look(name, service_type, urls, region="RegionOne", **kwargs):
    """
    What would change to give service ``name`` the endpoints ``urls``
    (``{public, internal, admin}``) in ``region``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.endpoints_look nova compute \\
            '{public: "http://10.0.0.10:8774/v2.1"}' auth_url=... admin_pillar=...
    """
    return _run(lambda ids, _s: ids.endpoints(name, service_type, urls, region), False, kwargs)


def endpoints_apply(name, service_type, urls, region="RegionOne", **kwargs):
    """
    Create the missing endpoints of service ``name`` and update the URLs that changed.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_identity.endpoints_apply nova compute \\
            '{public: "http://10.0.0.10:8774/v2.1"}' auth_url=... admin_pillar=...
    """
    return _run(lambda ids, _s: ids.endpoints(name, service_type, urls, region), True, kwargs)
