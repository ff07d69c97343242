"""State module: RabbitMQ cluster membership, policies, virtual hosts and users.

Every state looks first; nothing to do → ``result True``, no changes. In test mode it
predicts the changes (``{"old": ..., "new": ...}``) with ``result None`` and touches nothing.
Otherwise it acts and looks again. Bad input (duplicate members, an invalid policy regex, a
pillar with a missing cookie or a port clash) fails before anything changes.

Passwords never appear in changes, comments or logs.
"""

import time
from collections.abc import Mapping

from salt.exceptions import CommandExecutionError

try:
    from stacksalt.rabbitmq import decision as join_logic
    from stacksalt.rabbitmq import policies as policy_logic
    from stacksalt.rabbitmq import validate as validate_logic

    HAS_STACKSALT = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_STACKSALT = False

__virtualname__ = "rabbitmq_cluster"

#: Policies ``policies_present`` owns on a vhost: the names build_policies may produce.
DERIVED_POLICY_NAMES = (
    "notifications-mirrored",
    "notifications-ttl",
    "rpc-transient-expiry",
    "rpc-message-ttl",
)


def __virtual__():
    if not HAS_STACKSALT:
        return False, "rabbitmq_cluster: the stacksalt package is not installed"
    if "rabbitmq_cluster.plan_join" not in __salt__:
        return False, "rabbitmq_cluster: execution module not available"
    return __virtualname__


def _ret(name):
    return {"name": name, "changes": {}, "result": False, "comment": ""}


def _conn(node, env):
    return {"node": node, "env": env}


# --------------------------------------------------------------------------------------------
# Pillar validation
# --------------------------------------------------------------------------------------------


def config_valid(name, instances=None, hostname=None, services=None, pillar_key=None):
    """
    Fail, listing every problem, when the RabbitMQ pillar is invalid: duplicate node names,
    a missing cookie, an invalid policy regex, a port or data-directory clash, an instance
    without a member on this host (``hostname``), an enabled service without a password.
    Changes nothing; every other RabbitMQ state of the formula requires it.

    With ``pillar_key`` (``rabbitmq:server``) the ``instances``, ``hostname`` and
    ``services`` are read from that pillar, so no secret travels in the state's arguments.

    .. code-block:: yaml

        rabbitmq-server-pillar-validated:
          rabbitmq_cluster.config_valid:
            - pillar_key: "rabbitmq:server"
    """
    if pillar_key:
        # Salt 3008 masks pillar values read by modules unless asked for them plainly; the
        # values stay inside this function (the comment names keys, never values).
        server = __salt__["pillar.get"](pillar_key, {}, unmask=True) or {}
        instances = server.get("instances", {})
        hostname = server.get("hostname", "")
        services = server.get("services")
    ret = _ret(name)
    enabled = instances
    if isinstance(instances, Mapping):
        enabled = validate_logic.enabled_instances(instances)
    problems = validate_logic.find_problems(enabled)
    if hostname is not None:
        problems += validate_logic.find_host_problems(enabled, hostname)
    problems += validate_logic.find_service_problems(services)
    if problems:
        ret["comment"] = "invalid RabbitMQ pillar, nothing changed:\n" + "\n".join(
            f"  - {p}" for p in problems
        )
        return ret
    names = ", ".join(sorted(enabled))
    ret.update(result=True, comment=f"RabbitMQ pillar valid: instances {names}")
    return ret


# --------------------------------------------------------------------------------------------
# Membership
# --------------------------------------------------------------------------------------------


def data_consistent(name, members, mnesia_dir, service, env=None):
    """
    Before a member starts: when its service is not running and its data says it is
    clustered with running peers that forgot it (scale down, then back up), stop the
    crash-looping service and move the data directory aside (renamed, never deleted), so
    that it starts blank and :func:`joined` joins it. Otherwise nothing to do.

    .. code-block:: yaml

        rabbitmq-server-main-data-consistent:
          rabbitmq_cluster.data_consistent:
            - name: rabbit@ctl03
            - members: [rabbit@ctl01, rabbit@ctl02, rabbit@ctl03]
            - mnesia_dir: /var/lib/rabbitmq/main/mnesia/rabbit@ctl03
            - service: rabbitmq-server@main
            - env: {HOME: /var/lib/rabbitmq/main}
    """
    ret = _ret(name)
    try:
        if __salt__["service.status"](service):
            ret.update(result=True, comment=f"{service} runs: its data is in use")
            return ret
        found = __salt__["rabbitmq_cluster.stale_data"](name, list(members), mnesia_dir, env=env)
    except CommandExecutionError as exc:
        ret["comment"] = f"cannot check {name}'s data: {exc}"
        return ret
    if not found["reason"]:
        ret.update(result=True, comment=f"{name}: data consistent with the running members")
        return ret
    change = {"old": mnesia_dir, "new": f"{mnesia_dir}.forgotten-<time>"}
    if __opts__["test"]:
        ret.update(
            result=None, comment=f"would move the data aside: {found['reason']}", changes=change
        )
        return ret
    try:
        __salt__["service.stop"](service)
        change["new"] = __salt__["rabbitmq_cluster.set_aside"](mnesia_dir)
    except CommandExecutionError as exc:
        ret["comment"] = f"{found['reason']}; moving the data aside failed: {exc}"
        return ret
    ret.update(result=True, changes=change, comment=f"moved the data aside: {found['reason']}")
    return ret


def joined(name, members, cluster_name, env=None, timeout=300, interval=3):
    """
    Ensure node ``name`` is a member of cluster ``cluster_name`` with the model's
    ``members`` (model order: the first founds the cluster); forget members that left the
    model. Waits up to ``timeout`` seconds for a member to join when none runs yet.

    .. code-block:: yaml

        rabbitmq-server-rpc-cluster-joined:
          rabbitmq_cluster.joined:
            - name: rabbit-rpc@ctl02
            - members: [rabbit-rpc@ctl01, rabbit-rpc@ctl02, rabbit-rpc@ctl03]
            - cluster_name: openstack-rpc
            - env: {HOME: /var/lib/rabbitmq/rpc}
    """
    ret = _ret(name)
    members = list(members)
    try:
        plan = __salt__["rabbitmq_cluster.plan_join"](name, members, cluster_name, env=env)
    except (ValueError, CommandExecutionError) as exc:
        ret["comment"] = f"cannot join {name} to cluster '{cluster_name}': {exc}"
        return ret
    old = join_logic.membership(plan["local"])
    if plan["action"] == "already_joined":
        ret.update(result=True, comment=plan["reason"])
        return ret
    if __opts__["test"]:
        if plan["action"] == "wait":
            ret.update(result=None, comment=f"would wait: {plan['reason']}")
            return ret
        plan["local_node"] = name
        if plan["target"]:
            view = __salt__["rabbitmq_cluster.peer_view"](plan["target"], env=env) or {}
            plan["target_members"] = view.get("cluster_members", [])
        ret.update(
            result=None,
            comment=f"would {plan['action'].replace('_', ' ')}: {plan['reason']}",
            changes={
                "old": old,
                "new": join_logic.predicted_membership(plan, cluster_name),
                "steps": plan["steps"],
            },
        )
        return ret

    done = []
    deadline = time.monotonic() + timeout
    for _ in range(10):
        if plan["action"] == "already_joined":
            break
        if plan["action"] == "wait":
            if time.monotonic() >= deadline:
                ret["comment"] = (
                    f"{name} did not join cluster '{cluster_name}' within {timeout} s: "
                    f"{plan['reason']}"
                )
                if done:
                    ret["changes"] = {"old": old, "steps": done}
                return ret
            time.sleep(interval)
        else:
            try:
                done += __salt__["rabbitmq_cluster.run_steps"](plan["steps"], env=env)
            except CommandExecutionError as exc:
                ret["comment"] = f"{plan['action']} failed ({plan['reason']}): {exc}"
                if done:
                    ret["changes"] = {"old": old, "steps": done}
                return ret
        try:
            plan = __salt__["rabbitmq_cluster.plan_join"](name, members, cluster_name, env=env)
        except (ValueError, CommandExecutionError) as exc:
            ret["comment"] = f"after {done}: {exc}"
            ret["changes"] = {"old": old, "steps": done} if done else {}
            return ret
    if plan["action"] != "already_joined":
        ret["comment"] = f"{name} is still not joined: {plan['reason']}"
        ret["changes"] = {"old": old, "steps": done} if done else {}
        return ret
    new = join_logic.membership(plan["local"])
    if done:
        ret["changes"] = {"old": old, "new": new, "steps": done}
    ret.update(result=True, comment=plan["reason"])
    return ret


# --------------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------------


def _policy_diff(vhost, wanted, current, prune, conn):
    """``(changes, actions)`` to bring ``vhost`` from ``current`` to ``wanted``."""
    changes, actions = {}, []
    for policy in wanted:
        desired = {k: v for k, v in policy.items() if k != "name"}
        have = current.get(policy["name"])
        if have != desired:
            changes[f"{vhost}/{policy['name']}"] = {"old": have, "new": desired}
            actions.append(("set_policy", policy, vhost))
    wanted_names = {p["name"] for p in wanted}
    for pname in prune:
        if pname in current and pname not in wanted_names:
            changes[f"{vhost}/{pname}"] = {"old": current[pname], "new": None}
            actions.append(("clear_policy", {"name": pname}, vhost))
    return changes, actions


def _apply_policies(actions, conn):
    for action, policy, vhost in actions:
        if action == "set_policy":
            __salt__["rabbitmq_cluster.set_policy"](
                policy["name"],
                policy["pattern"],
                policy["definition"],
                vhost=vhost,
                priority=policy["priority"],
                apply_to=policy["apply_to"],
                **conn,
            )
        else:
            __salt__["rabbitmq_cluster.clear_policy"](policy["name"], vhost=vhost, **conn)


def _ensure_policies(ret, wanted_by_vhost, prune, conn):
    """Shared look / predict / act / look-again for one or more policies."""
    try:
        current = {
            v: __salt__["rabbitmq_cluster.list_policies"](v, **conn) for v in wanted_by_vhost
        }
        changes, actions = {}, []
        for vhost, wanted in wanted_by_vhost.items():
            c, a = _policy_diff(vhost, wanted, current[vhost], prune, conn)
            changes.update(c)
            actions += a
        if not actions:
            ret["result"] = True
            return ret
        if __opts__["test"]:
            ret.update(result=None, changes=changes)
            return ret
        _apply_policies(actions, conn)
        for vhost, wanted in wanted_by_vhost.items():
            after = __salt__["rabbitmq_cluster.list_policies"](vhost, **conn)
            left, _ = _policy_diff(vhost, wanted, after, prune, conn)
            if left:
                ret["comment"] = f"policies still differ after setting them: {sorted(left)}"
                ret["changes"] = changes
                return ret
    except CommandExecutionError as exc:
        ret["comment"] = str(exc)
        return ret
    ret.update(result=True, changes=changes)
    return ret


def policy_present(
    name, pattern, definition, priority=0, apply_to="all", vhost="/", node=None, env=None
):
    """
    Ensure policy ``name`` exists on ``vhost`` with exactly this pattern, definition,
    priority and apply-to.

    .. code-block:: yaml

        rabbitmq-policy-ha-notifications:
          rabbitmq_cluster.policy_present:
            - name: ha-notifications
            - pattern: '^notifications\\.'
            - definition: {ha-mode: all, ha-sync-mode: automatic}
            - priority: 10
            - apply_to: queues
            - vhost: /openstack
    """
    ret = _ret(name)
    problem = policy_logic.check_pattern(pattern)
    if problem:
        ret["comment"] = f"policy {name}: {problem}; nothing changed"
        return ret
    if apply_to not in ("all", "queues", "exchanges"):
        ret["comment"] = f"policy {name}: apply_to {apply_to!r} is not all, queues or exchanges"
        return ret
    wanted = {
        "name": name,
        "pattern": pattern,
        "apply_to": apply_to,
        "definition": dict(definition),
        "priority": int(priority),
    }
    _ensure_policies(ret, {vhost: [wanted]}, (), _conn(node, env))
    if not ret["comment"]:
        verb = {True: "is as wanted", None: "would be set"}.get(ret["result"], "")
        if ret["changes"] and ret["result"] is True:
            verb = "set"
        ret["comment"] = f"policy {name} on {vhost} {verb}"
    return ret


def policies_present(
    name,
    services,
    policy_options=None,
    carries=("rpc", "notifications"),
    vhosts=("/",),
    node=None,
    env=None,
    prune=True,
):
    """
    Ensure the policies derived from the enabled OpenStack ``services`` exist on every vhost
    (notification queues mirrored to all members with automatic sync, or left to quorum
    queues; RPC queues with a message TTL). With ``prune``, derived policies that the model
    no longer produces (e.g. mirroring after a switch to quorum) are removed.

    .. code-block:: yaml

        rabbitmq-server-rpc-policies-present:
          rabbitmq_cluster.policies_present:
            - services: {nova: {enabled: true}, neutron: {enabled: true}}
            - carries: [rpc]
            - vhosts: [/openstack]
    """
    ret = _ret(name)
    try:
        plan = __salt__["rabbitmq_cluster.derived_policies"](services, policy_options, carries)
    except policy_logic.PolicyError as exc:
        ret["comment"] = f"cannot derive policies: {exc}; nothing changed"
        return ret
    pruned = DERIVED_POLICY_NAMES if prune else ()
    _ensure_policies(ret, {v: plan["policies"] for v in vhosts}, pruned, _conn(node, env))
    names = ", ".join(p["name"] for p in plan["policies"]) or "none"
    if not ret["comment"]:
        state = {True: "in place", None: "would be set"}[ret["result"]]
        if ret["changes"] and ret["result"] is True:
            state = "set"
        ret["comment"] = (
            f"derived policies ({names}) {state} on {', '.join(vhosts)}; notification topics: "
            f"{', '.join(plan['notification_topics'])}"
        )
    for advice in plan["queue_arguments"]:
        ret["comment"] += (
            f"\nclients must declare queues matching {advice['pattern']} with "
            f"{advice['arguments']}: {advice['reason']}"
        )
    return ret


# --------------------------------------------------------------------------------------------
# Virtual hosts and users
# --------------------------------------------------------------------------------------------


def vhost_present(name, node=None, env=None):
    """
    Ensure virtual host ``name`` exists.

    .. code-block:: yaml

        rabbitmq-server-rpc-vhost-openstack-present:
          rabbitmq_cluster.vhost_present:
            - name: /openstack
    """
    ret = _ret(name)
    conn = _conn(node, env)
    try:
        if name in __salt__["rabbitmq_cluster.list_vhosts"](**conn):
            ret.update(result=True, comment=f"vhost {name} exists")
            return ret
        if __opts__["test"]:
            ret.update(result=None, comment=f"vhost {name} would be created")
            ret["changes"] = {"vhost": {"old": None, "new": name}}
            return ret
        __salt__["rabbitmq_cluster.add_vhost"](name, **conn)
        if name not in __salt__["rabbitmq_cluster.list_vhosts"](**conn):
            ret["comment"] = f"vhost {name} still missing after add_vhost"
            return ret
    except CommandExecutionError as exc:
        ret["comment"] = str(exc)
        return ret
    ret.update(result=True, comment=f"vhost {name} created")
    ret["changes"] = {"vhost": {"old": None, "new": name}}
    return ret


def _user_diff(name, password, tags, perms, conn):
    """Changes needed for user ``name`` (the password only as 'created'/'changed')."""
    users = __salt__["rabbitmq_cluster.list_users"](**conn)
    changes = {}
    if name not in users:
        changes["user"] = {"old": None, "new": name}
        changes["password"] = "set"  # noqa: S105 - what happened, never the value
        current_tags, current_perms = [], {}
    else:
        if not __salt__["rabbitmq_cluster.check_password"](name, password, **conn):
            changes["password"] = "changed"  # noqa: S105 - what happened, never the value
        current_tags = users[name]
        current_perms = __salt__["rabbitmq_cluster.list_user_permissions"](name, **conn)
    if sorted(tags) != sorted(current_tags) and (tags or name in users):
        changes["tags"] = {"old": sorted(current_tags), "new": sorted(tags)}
    for vhost, wanted in sorted(perms.items()):
        if current_perms.get(vhost) != wanted:
            changes.setdefault("permissions", {})[vhost] = {
                "old": current_perms.get(vhost),
                "new": wanted,
            }
    return changes


def user_present(name, password_pillar, tags=(), perms=None, node=None, env=None):
    """
    Ensure user ``name`` exists with the password held in the pillar at ``password_pillar``
    (read here, never a state argument; checked through ``rabbitmqctl authenticate_user`` on
    stdin), exactly ``tags``, and ``perms`` (``{vhost: [configure, write, read]}``). The
    password is never shown.

    .. code-block:: yaml

        rabbitmq-server-rpc-user-nova-present:
          rabbitmq_cluster.user_present:
            - name: nova
            - password_pillar: rabbitmq:server:services:nova:password
            - perms: {/openstack: ['.*', '.*', '.*']}
    """
    ret = _ret(name)
    conn = _conn(node, env)
    password = __salt__["pillar.get"](password_pillar, "", unmask=True)
    if not password:
        ret["comment"] = f"user {name}: the pillar {password_pillar} is empty; nothing changed"
        return ret
    tags = list(tags or [])
    try:
        perms = policy_logic.user_permissions(perms)
    except ValueError as exc:
        ret["comment"] = f"user {name}: {exc}; nothing changed"
        return ret
    try:
        changes = _user_diff(name, password, tags, perms, conn)
        if not changes:
            ret.update(result=True, comment=f"user {name} is as wanted")
            return ret
        if __opts__["test"]:
            ret.update(result=None, changes=changes, comment=f"user {name} would be updated")
            return ret
        if "user" in changes:
            __salt__["rabbitmq_cluster.add_user"](name, password, **conn)
        elif "password" in changes:
            __salt__["rabbitmq_cluster.change_password"](name, password, **conn)
        if "tags" in changes:
            __salt__["rabbitmq_cluster.set_user_tags"](name, tags, **conn)
        for vhost in changes.get("permissions", {}):
            __salt__["rabbitmq_cluster.set_permissions"](name, vhost, *perms[vhost], **conn)
        left = _user_diff(name, password, tags, perms, conn)
    except CommandExecutionError as exc:
        ret["comment"] = str(exc)
        return ret
    if left:
        ret.update(changes=changes, comment=f"user {name} still differs: {sorted(left)}")
        return ret
    ret.update(result=True, changes=changes, comment=f"user {name} updated")
    return ret
