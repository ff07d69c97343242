"""State module: RabbitMQ vhosts, users and permissions over the management HTTP API (over
``openstack_messaging``), for a service's bootstrap Job.

Every state looks first; nothing to do → ``result True``; in test mode it predicts the
changes with ``result None`` and touches nothing; otherwise it acts and looks again. The
connection arguments are the same for every state::

    api_url: http://10.0.0.10:15672
    admin_user: admin
    admin_pillar: openstack:messaging:admin:password   # the pillar KEY of the password

Passwords are read from the pillar by key; they never appear in arguments, changes
(``password: changed``), comments or logs.
"""

try:
    from stacksalt.openstack.saltadapter import ensure

    HAS_LIBS = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_LIBS = False

__virtualname__ = "openstack_messaging"


def __virtual__():
    if not HAS_LIBS or "openstack_messaging.vhost_look" not in __salt__:
        return False, "openstack_messaging: execution module or the stacksalt package missing"
    return __virtualname__


def _ensure(name, kind, *args, **kwargs):
    def look():
        return __salt__[f"openstack_messaging.{kind}_look"](*args, **kwargs)

    def apply():
        return __salt__[f"openstack_messaging.{kind}_apply"](*args, **kwargs)

    return ensure(name, look, apply, __opts__["test"])


def vhost_present(name, **connection):
    """
    Ensure virtual host ``name`` exists.

    .. code-block:: yaml

        openstack-messaging-vhost-openstack-present:
          openstack_messaging.vhost_present:
            - name: /openstack
            - api_url: http://10.0.0.10:15672
            - admin_pillar: openstack:messaging:admin:password
    """
    return _ensure(name, "vhost", name, **connection)


def user_present(name, password_pillar, tags=(), **connection):
    """
    Ensure user ``name`` exists with the password held in the pillar at
    ``password_pillar`` (checked against the API's salted hash) and exactly ``tags``.

    .. code-block:: yaml

        openstack-messaging-user-nova-present:
          openstack_messaging.user_present:
            - name: nova
            - password_pillar: openstack:messaging:users:nova:password
            - api_url: http://10.0.0.10:15672
            - admin_pillar: openstack:messaging:admin:password
    """
    return _ensure(name, "user", name, password_pillar, list(tags or []), **connection)


def permissions_present(name, vhost, configure=".*", write=".*", read=".*", **connection):
    """
    Ensure user ``name`` has exactly these permission patterns on ``vhost``.

    .. code-block:: yaml

        openstack-messaging-user-nova-permissions-present:
          openstack_messaging.permissions_present:
            - name: nova
            - vhost: /openstack
            - api_url: http://10.0.0.10:15672
            - admin_pillar: openstack:messaging:admin:password
    """
    return _ensure(name, "permissions", name, vhost, configure, write, read, **connection)
