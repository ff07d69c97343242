"""Execution module: RabbitMQ vhosts, users and permissions over the management HTTP API
(plugin ``rabbitmq_management``; thin adapter over :mod:`stacksalt.openstack`), for a Job
that runs in its own pod, away from any RabbitMQ node and its ``rabbitmqctl``.

Every function talks to ``api_url`` (``http://host:15672``) as ``admin_user`` (tag
``administrator``) with the password read from the pillar at ``admin_pillar``; a user's own
password is read from the pillar at ``password_pillar``. A changed password is detected by
checking it against the API's salted ``password_hash``; no secret is an argument, a return
value or part of an error.
"""

try:
    from stacksalt.openstack import saltadapter
    from stacksalt.openstack.rabbitmq_api import ManagementClient, Messaging

    HAS_LIBS = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_LIBS = False

__virtualname__ = "openstack_messaging"

CONN = ("api_url", "admin_user", "admin_pillar", "verify", "timeout")


def __virtual__():
    if not HAS_LIBS:
        return False, "openstack_messaging: the stacksalt package (and requests) is not installed"
    return __virtualname__


def _secrets():
    return saltadapter.secrets_of(__context__, __salt__["pillar.get"])


def _client(api_url=None, admin_user="admin", admin_pillar=None, verify=True, timeout=30):
    if not api_url:
        raise saltadapter.CommandExecutionError(
            "api_url is required (the management API, http://HOST:15672)"
        )
    key = ("rabbitmq", api_url, admin_user, admin_pillar, verify)
    cache = __context__.setdefault("openstack.clients", {})
    if key not in cache:
        password = _secrets()(admin_pillar, f"password of RabbitMQ admin {admin_user}")
        cache[key] = ManagementClient(
            api_url, admin_user, password, timeout=(5.0, float(timeout)), verify=verify
        )
    return cache[key]


def _run(plan_fn, apply, kwargs):
    conn = saltadapter.split_kwargs(kwargs, CONN, __virtualname__)
    secrets = _secrets()

    def go():
        plan = plan_fn(Messaging(_client(**conn)), secrets)
        return plan.run() if apply else plan.public()

    return saltadapter.call(secrets, go)


def vhost_look(name, **kwargs):
    """
    What would change to make virtual host ``name`` exist.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_messaging.vhost_look /openstack api_url=http://10.0.0.10:15672 \\
            admin_user=admin admin_pillar=openstack:messaging:admin:password
    """
    return _run(lambda mq, _s: mq.vhost(name), False, kwargs)


def vhost_apply(name, **kwargs):
    """
    Create virtual host ``name`` when missing.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_messaging.vhost_apply /openstack api_url=... admin_pillar=...
    """
    return _run(lambda mq, _s: mq.vhost(name), True, kwargs)


def _user(name, password_pillar, tags):
    def plan(mq, secrets):
        return mq.user(name, secrets(password_pillar, f"password of RabbitMQ user {name}"), tags)

    return plan


def user_look(name, password_pillar, tags=(), **kwargs):
    """
    What would change to make user ``name`` exist with the password at pillar key
    ``password_pillar`` and exactly ``tags``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_messaging.user_look nova \\
            password_pillar=openstack:messaging:users:nova:password api_url=... admin_pillar=...
    """
    return _run(_user(name, password_pillar, list(tags or [])), False, kwargs)


def user_apply(name, password_pillar, tags=(), **kwargs):
    """
    Create user ``name`` or set its password and tags.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_messaging.user_apply nova \\
            password_pillar=openstack:messaging:users:nova:password api_url=... admin_pillar=...
    """
    return _run(_user(name, password_pillar, list(tags or [])), True, kwargs)


def permissions_look(name, vhost, configure=".*", write=".*", read=".*", **kwargs):
    """
    What would change to give user ``name`` these permission patterns on ``vhost``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_messaging.permissions_look nova /openstack api_url=... admin_pillar=...
    """
    return _run(lambda mq, _s: mq.permissions(name, vhost, configure, write, read), False, kwargs)


def permissions_apply(name, vhost, configure=".*", write=".*", read=".*", **kwargs):
    """
    Set user ``name``'s permission patterns on ``vhost``.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_messaging.permissions_apply nova /openstack api_url=... admin_pillar=...
    """
    return _run(lambda mq, _s: mq.permissions(name, vhost, configure, write, read), True, kwargs)
