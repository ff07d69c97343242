"""Execution module: the problems of the ``openstack`` pillar, each naming its key path
(thin adapter over :mod:`stacksalt.openstack.validate`). Reads the pillar; prints no value."""

try:
    from stacksalt.openstack import validate as validate_logic

    HAS_LIBS = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_LIBS = False

__virtualname__ = "openstack_pillar"


def __virtual__():
    if not HAS_LIBS:
        return False, "openstack_pillar: the stacksalt package is not installed"
    return __virtualname__


def problems(pillar_key="openstack", defaults=None):
    """
    The problems of the pillar at ``pillar_key`` (``openstack`` or one section of it:
    ``openstack:database``, ``openstack:messaging``, ``openstack:identity``,
    ``openstack:resources``), merged over ``defaults`` (the formula's defaults for that key);
    ``[]`` when it is valid.

    CLI Example:

    .. code-block:: bash

        salt-call openstack_pillar.problems
        salt-call openstack_pillar.problems openstack:resources
    """
    # Salt 3008 masks pillar values read by modules unless asked plainly; the values stay in
    # this function: the problems name keys, never secret values.
    data = __salt__["pillar.get"](pillar_key, None, unmask=True)
    parts = pillar_key.split(":")
    if len(parts) == 2 and parts[0] == "openstack" and parts[1] in validate_logic.SECTIONS:
        return validate_logic.section_problems(parts[1], data, pillar_key, defaults)
    if pillar_key != "openstack":
        raise ValueError(
            f"pillar_key {pillar_key!r}: give openstack or openstack:<section> "
            f"({', '.join(validate_logic.SECTIONS)})"
        )
    return validate_logic.find_problems(data, pillar_key, defaults)
