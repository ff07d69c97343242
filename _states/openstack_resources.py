"""State module: day-1 resources over the nova, glance and neutron REST APIs (over
``openstack_resources``): flavors, an image uploaded from a file, networks, subnets, routers,
security groups.

Every state looks first; nothing to do → ``result True``; in test mode it predicts the
changes with ``result None`` and touches nothing; otherwise it acts and looks again. What
cannot change in place (a flavor's sizes, an image's data, a network's provider attributes,
a subnet's CIDR) fails the state with what differs and what to do; flavors and images are
deleted and made again only with ``recreate: True``.

The connection arguments are keystone's (see ``openstack_identity``) plus ``region`` and
``interface`` (the catalog URLs used; ``internal`` by default).
"""

try:
    from stacksalt.openstack.saltadapter import ensure

    HAS_LIBS = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_LIBS = False

__virtualname__ = "openstack_resources"


def __virtual__():
    if not HAS_LIBS or "openstack_resources.look" not in __salt__:
        return False, "openstack_resources: execution module or the stacksalt package missing"
    return __virtualname__


def _ensure(kind, name, spec, connection):
    spec = {k: v for k, v in spec.items() if v is not None}

    def look():
        return __salt__["openstack_resources.look"](kind, name, spec, **connection)

    def apply():
        return __salt__["openstack_resources.apply"](kind, name, spec, **connection)

    return ensure(name, look, apply, __opts__["test"])


def flavor_present(
    name,
    ram,
    vcpus,
    disk,
    ephemeral=0,
    swap=0,
    is_public=True,
    flavor_id=None,
    extra_specs=None,
    recreate=False,
    **connection,
):
    """
    Ensure flavor ``name`` exists with these sizes (MB of RAM, GB of disk) and extra specs.
    Nova cannot change a flavor's sizes: a difference fails the state, unless ``recreate``
    (the flavor is deleted and made again with the same id; instances keep their copy).

    .. code-block:: yaml

        openstack-resources-flavor-m1.tiny-present:
          openstack_resources.flavor_present:
            - name: m1.tiny
            - flavor_id: "1"
            - ram: 512
            - vcpus: 1
            - disk: 1
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    spec = {
        "ram": ram,
        "vcpus": vcpus,
        "disk": disk,
        "ephemeral": ephemeral,
        "swap": swap,
        "is_public": is_public,
        "id": flavor_id,
        "extra_specs": extra_specs,
        "recreate": recreate,
    }
    return _ensure("flavor", name, spec, connection)


def image_present(
    name,
    file,
    disk_format="qcow2",
    container_format="bare",
    visibility="public",
    properties=None,
    recreate=False,
    **connection,
):
    """
    Ensure image ``name`` exists with the data of ``file`` (a local file in the Job: nothing
    is downloaded), compared by name and checksum. An image of that name with other data
    fails the state, unless ``recreate`` (it is deleted and uploaded again).

    .. code-block:: yaml

        openstack-resources-image-cirros-present:
          openstack_resources.image_present:
            - name: cirros
            - file: /var/lib/stacksalt/images/cirros.img
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    spec = {
        "file": file,
        "disk_format": disk_format,
        "container_format": container_format,
        "visibility": visibility,
        "properties": properties,
        "recreate": recreate,
    }
    return _ensure("image", name, spec, connection)


def network_present(
    name,
    network_type=None,
    physical_network=None,
    segmentation_id=None,
    external=False,
    shared=False,
    mtu=None,
    **connection,
):
    """
    Ensure network ``name`` exists (in the admin's project) with these provider attributes,
    ``router:external`` and ``shared``. Provider attributes cannot change in place: a
    difference fails the state.

    .. code-block:: yaml

        openstack-resources-network-ext-net-present:
          openstack_resources.network_present:
            - name: ext-net
            - network_type: flat
            - physical_network: physnet1
            - external: true
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    spec = {
        "network_type": network_type,
        "physical_network": physical_network,
        "segmentation_id": segmentation_id,
        "external": external,
        "shared": shared,
        "mtu": mtu,
    }
    return _ensure("network", name, spec, connection)


def subnet_present(
    name,
    network,
    cidr,
    gateway_ip=None,
    enable_dhcp=True,
    dns_nameservers=None,
    allocation_pools=None,
    **connection,
):
    """
    Ensure subnet ``name`` of ``network`` exists with this CIDR, gateway, DHCP, DNS servers
    and allocation pools (``[{start, end}]``). A different CIDR fails the state.

    .. code-block:: yaml

        openstack-resources-subnet-int-subnet-present:
          openstack_resources.subnet_present:
            - name: int-subnet
            - network: int-net
            - cidr: 10.0.1.0/24
            - gateway_ip: 10.0.1.1
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    spec = {
        "network": network,
        "cidr": cidr,
        "gateway_ip": gateway_ip,
        "enable_dhcp": enable_dhcp,
        "dns_nameservers": dns_nameservers,
        "allocation_pools": allocation_pools,
    }
    return _ensure("subnet", name, spec, connection)


def router_present(name, external_network=None, interfaces=(), **connection):
    """
    Ensure router ``name`` exists with its gateway on ``external_network`` and an interface
    on each subnet of ``interfaces`` (interfaces it has besides are left alone).

    .. code-block:: yaml

        openstack-resources-router-ext-router-present:
          openstack_resources.router_present:
            - name: ext-router
            - external_network: ext-net
            - interfaces: [int-subnet]
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    spec = {"external_network": external_network, "interfaces": list(interfaces or [])}
    return _ensure("router", name, spec, connection)


def security_group_present(name, description="", rules=(), **connection):
    """
    Ensure security group ``name`` exists (in the admin's project) with at least ``rules``
    (``{protocol, port | port_range_min/max, remote_ip_prefix, direction, ethertype}``;
    other rules are left alone).

    .. code-block:: yaml

        openstack-resources-security-group-basic-present:
          openstack_resources.security_group_present:
            - name: basic
            - rules:
                - {protocol: icmp}
                - {protocol: tcp, port: 22}
            - auth_url: http://10.0.0.10:5000/v3
            - admin_pillar: openstack:identity:admin:password
    """
    spec = {"description": description, "rules": list(rules or [])}
    return _ensure("security_group", name, spec, connection)
