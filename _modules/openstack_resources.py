"""Execution module: day-1 resources (flavors, images, networks, subnets, routers, security
groups) over the nova, glance and neutron REST APIs found through the keystone catalog
(thin adapter over :mod:`stacksalt.openstack`).

Every function logs in to keystone as the admin (see ``openstack_identity``) and finds the
APIs' ``interface`` URLs (internal by default) in ``region``. ``spec`` is the resource as the
``openstack:resources`` pillar describes it. ``*_look`` functions return ``{"what",
"changes", "problems"}`` and change nothing; ``*_apply`` functions act.
"""

try:
    from stacksalt.openstack import saltadapter
    from stacksalt.openstack.day1 import Day1

    HAS_LIBS = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_LIBS = False

__virtualname__ = "openstack_resources"

CONN = (*saltadapter.KEYSTONE_CONN, "region", "interface") if HAS_LIBS else ()
KINDS = ("flavor", "image", "network", "subnet", "router", "security_group")


def __virtual__():
    if not HAS_LIBS:
        return False, "openstack_resources: the stacksalt package (and requests) is not installed"
    return __virtualname__


def _run(kind, name, spec, apply, kwargs):
    if kind not in KINDS:
        raise saltadapter.CommandExecutionError(f"unknown kind {kind!r}: one of {KINDS}")
    conn = saltadapter.split_kwargs(kwargs, CONN, __virtualname__)
    region = conn.pop("region", None)
    interface = conn.pop("interface", None) or "internal"
    secrets = saltadapter.secrets_of(__context__, __salt__["pillar.get"])

    def go():
        kc = saltadapter.keystone_client(__context__, secrets, **conn)
        plans = __context__.setdefault("openstack.day1", {})
        key = (id(kc), interface, region)
        if key not in plans:
            plans[key] = Day1(kc, interface, region)
        plan = getattr(plans[key], kind)(name, dict(spec or {}))
        return plan.run() if apply else plan.public()

    return saltadapter.call(secrets, go)


def look(kind, name, spec=None, **kwargs):
    """
    What would change to make the ``kind`` (flavor, image, network, subnet, router,
    security_group) named ``name`` as ``spec`` says.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_resources.look flavor m1.tiny '{ram: 512, vcpus: 1, disk: 1}' \\
            auth_url=http://10.0.0.10:5000/v3 admin_pillar=openstack:identity:admin:password
    """
    return _run(kind, name, spec, False, kwargs)


def apply(kind, name, spec=None, **kwargs):
    """
    Create or update the ``kind`` named ``name`` as ``spec`` says (see :func:`look`).

    CLI Example:

    .. code-block:: bash

        salt-call openstack_resources.apply flavor m1.tiny '{ram: 512, vcpus: 1, disk: 1}' \\
            auth_url=http://10.0.0.10:5000/v3 admin_pillar=openstack:identity:admin:password
    """
    return _run(kind, name, spec, True, kwargs)
