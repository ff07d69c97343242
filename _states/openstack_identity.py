"""State module: keystone projects, roles, users, role assignments, services and endpoints
(over ``openstack_identity``, keystone's v3 REST API).

Every state looks first; nothing to do → ``result True``; in test mode it predicts the
changes with ``result None`` and touches nothing; otherwise it acts and looks again. The
connection arguments are the same for every state::

    auth_url: http://10.0.0.10:5000/v3        # keystone's internal URL
    admin_user: admin
    admin_pillar: openstack:identity:admin:password   # the pillar KEY of the password
    admin_project: admin
    admin_domain: Default

Passwords are read from the pillar by key (``admin_pillar``, ``password_pillar``); they never
appear in arguments, changes (``password: changed``), comments or logs.
"""

try:
    from stacksalt.openstack.saltadapter import ensure

    HAS_LIBS = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_LIBS = False

__virtualname__ = "openstack_identity"


def __virtual__():
    if not HAS_LIBS or "openstack_identity.project_look" not in __salt__:
        return False, "openstack_identity: execution module or the stacksalt package missing"
    return __virtualname__


def _ensure(name, kind, *args, **kwargs):
    def look():
        return __salt__[f"openstack_identity.{kind}_look"](*args, **kwargs)

    def apply():
        return __salt__[f"openstack_identity.{kind}_apply"](*args, **kwargs)

    return ensure(name, look, apply, __opts__["test"])


def project_present(name, domain="Default", description=None, enabled=True, **connection):
    """
    Ensure project ``name`` exists in ``domain`` with this ``description``.

    .. code-block:: yaml

        openstack-identity-project-service-present:
          openstack_identity.project_present:
            - name: service
            - description: Service project
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    return _ensure(name, "project", name, domain, description, enabled, **connection)


def role_present(name, **connection):
    """
    Ensure role ``name`` exists.

    .. code-block:: yaml

        openstack-identity-role-service-present:
          openstack_identity.role_present:
            - name: service
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    return _ensure(name, "role", name, **connection)


def user_present(
    name,
    password_pillar,
    domain="Default",
    project=None,
    project_domain=None,
    email=None,
    description=None,
    enabled=True,
    **connection,
):
    """
    Ensure user ``name`` exists in ``domain`` with the password held in the pillar at
    ``password_pillar`` (a changed password is found by authenticating as the user) and
    ``project`` as its default project.

    .. code-block:: yaml

        openstack-identity-user-nova-present:
          openstack_identity.user_present:
            - name: nova
            - password_pillar: openstack:identity:users:nova:password
            - project: service
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    return _ensure(
        name,
        "user",
        name,
        password_pillar,
        domain,
        project,
        project_domain,
        email,
        description,
        enabled,
        **connection,
    )


def role_assignment_present(
    name, project, roles, domain="Default", project_domain=None, **connection
):
    """
    Ensure user ``name`` (of ``domain``) has ``roles`` on ``project``. Other roles it has are
    left alone.

    .. code-block:: yaml

        openstack-identity-user-nova-roles-present:
          openstack_identity.role_assignment_present:
            - name: nova
            - project: service
            - roles: [admin, service]
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    return _ensure(
        name, "role_assignment", name, project, list(roles), domain, project_domain, **connection
    )


def service_present(name, service_type, description=None, enabled=True, **connection):
    """
    Ensure service ``name`` of ``service_type`` (compute, image, ...) is in the catalog.

    .. code-block:: yaml

        openstack-identity-service-nova-present:
          openstack_identity.service_present:
            - name: nova
            - service_type: compute
            - description: OpenStack Compute
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    return _ensure(name, "service", name, service_type, description, enabled, **connection)


def endpoints_present(name, service_type, urls, region="RegionOne", **connection):
    """
    Ensure service ``name`` has one endpoint per interface of ``urls`` (``public``,
    ``internal``, ``admin``) in ``region``, with exactly these URLs (a changed URL is
    updated in place; the region is created when missing).

    .. code-block:: yaml

        openstack-identity-service-nova-endpoints-present:
          openstack_identity.endpoints_present:
            - name: nova
            - service_type: compute
            - urls:
                public: http://10.0.0.10:8774/v2.1
                internal: http://10.0.0.10:8774/v2.1
                admin: http://10.0.0.10:8774/v2.1
            - region: RegionOne
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    return _ensure(name, "endpoints", name, service_type, dict(urls), region, **connection)
