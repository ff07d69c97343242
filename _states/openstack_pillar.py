"""State module: fail, listing every problem with its key path, when the ``openstack``
pillar (or one section of it) is invalid. Changes nothing; the formula's other states
require it, so nothing is touched for a broken model."""

__virtualname__ = "openstack_pillar"


def __virtual__():
    if "openstack_pillar.problems" not in __salt__:
        return False, "openstack_pillar: execution module not available"
    return __virtualname__


def valid(name, pillar_key="openstack", defaults=None):
    """
    Ensure the pillar at ``pillar_key`` is valid (merged over ``defaults``, the formula's
    defaults for it): non-positive flavor sizes, overlapping CIDRs, a gateway outside its
    subnet, a router naming an unknown network, duplicate names, a missing password, ...

    The values are read by the execution module, never passed as arguments.

    .. code-block:: yaml

        openstack-resources-pillar-validated:
          openstack_pillar.valid:
            - pillar_key: openstack:resources
    """
    ret = {"name": name, "changes": {}, "result": False, "comment": ""}
    try:
        problems = __salt__["openstack_pillar.problems"](pillar_key, defaults)
    except ValueError as exc:
        ret["comment"] = str(exc)
        return ret
    if problems:
        ret["comment"] = f"invalid pillar {pillar_key}, nothing changed:\n" + "\n".join(
            f"  - {p}" for p in problems
        )
        return ret
    ret.update(result=True, comment=f"pillar {pillar_key} valid")
    return ret
