"""Execution module: facts about a RabbitMQ cluster, and the ``rabbitmqctl`` calls that change it.

Thin adapter over :mod:`stacksalt.rabbitmq`: the "join whom?" choice comes from
``decision.decide``, derived policies from ``policies.build_policies``, the health verdict
from ``health.evaluate``. This module only runs ``rabbitmqctl`` and parses its JSON output.

Every function takes ``node`` (``rabbit@ctl01``; default: config option
``rabbitmq_cluster.node``, else ``rabbit@<short hostname>``) and ``env``, extra environment
for ``rabbitmqctl`` merged over config option ``rabbitmq_cluster.env``. A named instance keeps
its Erlang cookie in its data directory, so its calls pass ``env={"HOME": <data_dir>}``.
Passwords go to ``rabbitmqctl`` on standard input, never on a command line, and their calls
are not logged.

``rabbitmqctl`` is ``/usr/lib/rabbitmq/bin/rabbitmqctl`` (config option
``rabbitmq_cluster.rabbitmqctl``), not Debian's ``/usr/sbin`` wrapper, which switches to the
``rabbitmq`` user and so loses ``HOME``. Its presence is checked per call, not in
``__virtual__``: a state run that installs rabbitmq-server must still load this module.
"""

import json
import logging
import os
import re
import socket
import time

from salt.exceptions import CommandExecutionError

try:
    from stacksalt.rabbitmq import decision as logic
    from stacksalt.rabbitmq import health as health_logic
    from stacksalt.rabbitmq import policies as policy_logic

    HAS_STACKSALT = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_STACKSALT = False

__virtualname__ = "rabbitmq_cluster"

log = logging.getLogger(__name__)
_NODE_RE = re.compile(r"[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+")

DEFAULT_RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
# Reads the cluster membership a stopped app keeps in cluster_nodes.config; cluster_status
# needs the app running.
_STOPPED_APP_MEMBERS = (
    "{A, D, R} = rabbit_node_monitor:read_cluster_status(), "
    'io:format("~s~n", [rabbit_json:encode(#{all => A, disc => D, running => R})]).'
)


def __virtual__():
    if not HAS_STACKSALT:
        return False, "rabbitmq_cluster: the stacksalt package is not installed"
    return __virtualname__


# --------------------------------------------------------------------------------------------
# Running rabbitmqctl
# --------------------------------------------------------------------------------------------


def _rabbitmqctl():
    path = __salt__["config.option"]("rabbitmq_cluster.rabbitmqctl") or DEFAULT_RABBITMQCTL
    if not os.access(path, os.X_OK):
        raise CommandExecutionError(
            f"rabbitmq_cluster: {path} not found: install rabbitmq-server "
            "(or set config option rabbitmq_cluster.rabbitmqctl)"
        )
    return path


def _node(node):
    if node:
        return node
    configured = __salt__["config.option"]("rabbitmq_cluster.node")
    return configured or f"rabbit@{socket.gethostname().split('.')[0]}"


def _env(env):
    merged = dict(__salt__["config.option"]("rabbitmq_cluster.env") or {})
    merged.update(env or {})
    return {str(k): str(v) for k, v in merged.items()}


def _run(args, node=None, env=None, stdin=None, timeout=60):
    """Run ``rabbitmqctl -n NODE -q ARGS``; return cmd.run_all's result, never raise."""
    cmd = [_rabbitmqctl(), "-n", _node(node), "-q", *[str(a) for a in args]]
    kwargs = {
        "python_shell": False,
        "env": _env(env),
        "ignore_retcode": True,
        "timeout": timeout,
    }
    if stdin is not None:
        # A secret: neither the input nor the output is logged.
        kwargs.update(stdin=stdin, output_loglevel="quiet")
    return __salt__["cmd.run_all"](cmd, **kwargs)


def _error(res):
    lines = (res.get("stderr") or res.get("stdout") or "").strip().splitlines()
    lines = [line for line in lines if line.strip() and line.strip() != "Error:"]
    return lines[0] if lines else f"exit code {res.get('retcode')}"


def _check(res, what, node=None):
    if res["retcode"] != 0:
        raise CommandExecutionError(f"rabbitmqctl {what} on {_node(node)} failed: {_error(res)}")
    return res["stdout"]


def _json(res, what, node=None):
    out = _check(res, what, node)
    try:
        return json.loads(out) if out.strip() else []
    except ValueError as exc:
        raise CommandExecutionError(
            f"rabbitmqctl {what} on {_node(node)}: output is not JSON: {out[:200]!r}"
        ) from exc


# --------------------------------------------------------------------------------------------
# Cluster facts, join, forget, health
# --------------------------------------------------------------------------------------------


def cluster_status(node=None, env=None, timeout=30):
    """
    Return ``rabbitmqctl cluster_status --formatter json`` of ``node`` as a dict.

    Raises when the node or its app is not running.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.cluster_status node=rabbit@ctl01
    """
    res = _run(["cluster_status", "--formatter", "json"], node, env, timeout=timeout)
    return _json(res, "cluster_status", node)


def local_view(node=None, env=None):
    """
    Return what ``node`` knows about its own cluster membership.

    ``{"has_data", "app_running", "cluster_name", "cluster_members", "running_nodes"}``.
    With the app stopped the members come from its ``cluster_nodes.config`` and the name is
    unknown (``None``). Raises when the node's Erlang VM does not answer.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.local_view node=rabbit@ctl01
    """
    res = _run(["cluster_status", "--formatter", "json"], node, env, timeout=30)
    if res["retcode"] == 0:
        status = _json(res, "cluster_status", node)
        return {
            "has_data": True,
            "app_running": _node(node) in status.get("running_nodes", []),
            "cluster_name": status.get("cluster_name"),
            "cluster_members": list(status.get("disk_nodes", []) + status.get("ram_nodes", [])),
            "running_nodes": list(status.get("running_nodes", [])),
        }
    stopped = _run(["eval", _STOPPED_APP_MEMBERS], node, env, timeout=30)
    if stopped["retcode"] != 0:
        raise CommandExecutionError(
            f"{_node(node)} is not running (start its service first): {_error(res)}"
        )
    first = stopped["stdout"].strip().splitlines()[0] if stopped["stdout"].strip() else ""
    try:
        members = json.loads(first)
    except ValueError as exc:
        raise CommandExecutionError(
            f"{_node(node)}: cannot read its cluster membership: {first[:200]!r}"
        ) from exc
    return {
        "has_data": True,
        "app_running": False,
        "cluster_name": None,
        "cluster_members": list(members.get("all", [])),
        "running_nodes": [],
    }


def peer_view(node, env=None, timeout=15):
    """
    Return ``{"cluster_name", "cluster_members", "running_nodes"}`` of a running member, or
    ``None`` when it (or its app) does not run.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.peer_view rabbit@ctl02
    """
    res = _run(["cluster_status", "--formatter", "json"], node, env, timeout=timeout)
    if res["retcode"] != 0:
        return None
    try:
        status = json.loads(res["stdout"])
    except ValueError:
        return None
    if node not in status.get("running_nodes", []):
        return None
    return {
        "cluster_name": status.get("cluster_name", ""),
        "cluster_members": list(status.get("disk_nodes", []) + status.get("ram_nodes", [])),
        "running_nodes": list(status.get("running_nodes", [])),
    }


def _observe(node, members, env):
    local = local_view(node, env)
    peers = {}
    for member in members:
        if member == node:
            continue
        if local["app_running"] and member in local["running_nodes"]:
            # A node our running app sees running shares our cluster's view (one mnesia
            # schema): no need to ask it again.
            view = {k: local[k] for k in ("cluster_name", "cluster_members", "running_nodes")}
        else:
            view = peer_view(member, env)
        if view is not None:
            peers[member] = logic.PeerView(
                view["cluster_name"],
                tuple(view["cluster_members"]),
                tuple(view["running_nodes"]),
            )
    local_obj = logic.LocalView(
        has_data=local["has_data"],
        cluster_name=local["cluster_name"],
        cluster_members=tuple(local["cluster_members"]),
        running_nodes=tuple(local["running_nodes"]),
        app_running=local["app_running"],
    )
    return local, logic.Observed(local_obj, peers)


def _steps_as_lists(node, steps):
    return [[step.node or node, *step.argv] for step in steps]


def plan_join(node, members, cluster_name, env=None):
    """
    Gather facts and return what ``node`` has to do to be a member of ``cluster_name``.

    ``{"action", "reason", "target", "forget", "reset", "steps", "local"}``; ``steps`` are
    ``[node, rabbitmqctl args...]``. Looks only; changes nothing. Raises ``ValueError`` on
    inconsistent input (duplicate members, node not a member).

    CLI Example:

    .. code-block:: bash

        salt ctl02 rabbitmq_cluster.plan_join rabbit@ctl02 \\
            '[rabbit@ctl01, rabbit@ctl02, rabbit@ctl03]' openstack
    """
    members = list(members)
    # Inconsistent input is an error before any rabbitmqctl call.
    logic.decide(members, node, logic.Observed(logic.LocalView(False)), cluster_name)
    local, observed = _observe(node, members, env)
    verdict = logic.decide(members, node, observed, cluster_name)
    steps = logic.rabbitmqctl_steps(verdict, cluster_name)
    return {
        "action": verdict.action.value,
        "reason": verdict.reason,
        "target": verdict.target,
        "forget": list(verdict.forget),
        "reset": verdict.reset,
        "steps": _steps_as_lists(node, steps),
        "local": local,
    }


def run_steps(steps, env=None, timeout=120):
    """
    Run ``[[node, rabbitmqctl args...], ...]`` in order; stop at the first failure.

    CLI Example:

    .. code-block:: bash

        salt ctl02 rabbitmq_cluster.run_steps '[[rabbit@ctl02, stop_app]]'
    """
    done = []
    for step in steps:
        node, args = step[0], list(step[1:])
        res = _run(args, node, env, timeout=timeout)
        if res["retcode"] != 0:
            raise CommandExecutionError(
                f"rabbitmqctl -n {node} {' '.join(args)} failed: {_error(res)} "
                f"(done before: {done or 'nothing'})"
            )
        done.append(f"{node}: {' '.join(args)}")
    return done


def join(node, members, cluster_name, env=None):
    """
    Decide and carry out one step towards membership: found/name the cluster, join, reset
    and join, or forget nodes that left the model. Returns the plan with ``done``.

    CLI Example:

    .. code-block:: bash

        salt ctl02 rabbitmq_cluster.join rabbit@ctl02 \\
            '[rabbit@ctl01, rabbit@ctl02, rabbit@ctl03]' openstack
    """
    plan = plan_join(node, members, cluster_name, env)
    plan["done"] = run_steps(plan["steps"], env)
    return plan


def data_members(mnesia_dir):
    """
    Return the nodes a (stopped) node's data directory says it is clustered with, read from
    ``<mnesia_dir>/cluster_nodes.config``; ``[]`` when there is no such file.

    CLI Example:

    .. code-block:: bash

        salt ctl03 rabbitmq_cluster.data_members /var/lib/rabbitmq/main/mnesia/rabbit@ctl03
    """
    path = os.path.join(mnesia_dir, "cluster_nodes.config")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise CommandExecutionError(f"cannot read {path}: {exc}") from exc
    seen = []
    for found in _NODE_RE.findall(text):
        if found not in seen:
            seen.append(found)
    return seen


def stale_data(node, members, mnesia_dir, env=None):
    """
    Return ``{"reason", "data_members"}``: ``reason`` says why the stopped ``node``'s data
    must be set aside before it can boot (the running cluster forgot it), or is ``None``.

    CLI Example:

    .. code-block:: bash

        salt ctl03 rabbitmq_cluster.stale_data rabbit@ctl03 \
            '[rabbit@ctl01, rabbit@ctl02, rabbit@ctl03]' /var/lib/rabbitmq/main/mnesia/rabbit@ctl03
    """
    mates = data_members(mnesia_dir)
    peers = {}
    for member in list(members) + mates:
        if member == node or member in peers:
            continue
        view = peer_view(member, env)
        if view is not None:
            peers[member] = logic.PeerView(
                view["cluster_name"], tuple(view["cluster_members"]), tuple(view["running_nodes"])
            )
    reason = logic.forgotten_while_stopped(node, mates, peers)
    return {"reason": reason, "data_members": mates}


def set_aside(path):
    """
    Rename a data directory to ``<path>.forgotten-<UTC time>`` (nothing is deleted) and
    return the new path.

    CLI Example:

    .. code-block:: bash

        salt ctl03 rabbitmq_cluster.set_aside /var/lib/rabbitmq/main/mnesia/rabbit@ctl03
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = f"{path}.forgotten-{stamp}"
    try:
        os.rename(path, target)
    except OSError as exc:
        raise CommandExecutionError(f"cannot move {path} aside: {exc}") from exc
    log.warning("rabbitmq: moved the stale data directory %s to %s", path, target)
    return target


def forget(forget_node, node=None, env=None):
    """
    Remove ``forget_node`` (stopped) from the cluster of ``node``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.forget rabbit@ctl04 node=rabbit@ctl01
    """
    res = _run(["forget_cluster_node", forget_node], node, env, timeout=120)
    _check(res, f"forget_cluster_node {forget_node}", node)
    return True


def status(node=None, env=None):
    """
    Return a short status: ``{"running", "cluster_name", "members", "running_nodes",
    "partitions", "alarms"}``; ``running`` is false when the node or its app is down.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.status node=rabbit@ctl01
    """
    try:
        st = cluster_status(node, env)
    except CommandExecutionError as exc:
        return {"running": False, "reason": str(exc)}
    return {
        "running": _node(node) in st.get("running_nodes", []),
        "cluster_name": st.get("cluster_name"),
        "members": list(st.get("disk_nodes", []) + st.get("ram_nodes", [])),
        "running_nodes": list(st.get("running_nodes", [])),
        "partitions": st.get("partitions") or {},
        "alarms": st.get("alarms") or [],
    }


def health(members, node=None, cluster_name=None, env=None):
    """
    Return ``{"ok": bool, "reason": str}``: the node runs, is clustered with exactly
    ``members``, all running, no partition, no alarm (and the cluster name, when given).

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.health '[rabbit@ctl01, rabbit@ctl02, rabbit@ctl03]'
    """
    node = _node(node)
    res = _run(["cluster_status", "--formatter", "json"], node, env, timeout=30)
    if res["retcode"] != 0:
        return {"ok": False, "reason": f"{node} is not running: {_error(res)}"}
    verdict = health_logic.evaluate(
        res["stdout"], list(members), local_node=node, cluster_name=cluster_name
    )
    return {"ok": verdict.ok, "reason": verdict.reason}


# --------------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------------


def derived_policies(services, options=None, carries=("rpc", "notifications")):
    """
    Return the policies derived from the enabled ``services`` (pure; no rabbitmqctl).

    ``{"policies": [{name, pattern, apply_to, definition, priority}], "queue_arguments":
    [...], "notification_topics": [...]}``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.derived_policies '{nova: {enabled: true}}'
    """
    plan = policy_logic.build_policies(
        services or {}, policy_logic.PolicyOptions.from_pillar(options), list(carries)
    )
    return {
        "policies": [p.as_dict() for p in plan.policies],
        "queue_arguments": [
            {"pattern": q.pattern, "arguments": dict(q.arguments), "reason": q.reason}
            for q in plan.queue_arguments
        ],
        "notification_topics": list(plan.notification_topics),
    }


def list_policies(vhost="/", node=None, env=None):
    """
    Return ``{name: {"pattern", "apply_to", "definition", "priority"}}`` of ``vhost``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.list_policies /openstack
    """
    res = _run(["list_policies", "-p", vhost, "--formatter", "json"], node, env)
    out = {}
    for row in _json(res, f"list_policies -p {vhost}", node):
        definition = row.get("definition", {})
        if isinstance(definition, str):
            definition = json.loads(definition)
        out[row["name"]] = {
            "pattern": row["pattern"],
            "apply_to": row.get("apply-to", "all"),
            "definition": definition,
            "priority": int(row.get("priority", 0)),
        }
    return out


def set_policy(
    name, pattern, definition, vhost="/", priority=0, apply_to="all", node=None, env=None
):
    """
    Create or update policy ``name`` on ``vhost``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.set_policy ttl '^rpc\\.' '{"message-ttl": 600000}'
    """
    problem = policy_logic.check_pattern(pattern)
    if problem:
        raise CommandExecutionError(f"policy {name}: {problem}")
    policy = policy_logic.Policy(name, pattern, apply_to, dict(definition), int(priority))
    res = _run(policy.set_policy_args(vhost), node, env)
    _check(res, f"set_policy {name}", node)
    return True


def clear_policy(name, vhost="/", node=None, env=None):
    """
    Remove policy ``name`` from ``vhost``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.clear_policy ttl
    """
    res = _run(["clear_policy", "-p", vhost, name], node, env)
    _check(res, f"clear_policy {name}", node)
    return True


# --------------------------------------------------------------------------------------------
# Virtual hosts, users, permissions
# --------------------------------------------------------------------------------------------


def list_vhosts(node=None, env=None):
    """
    Return the virtual host names.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.list_vhosts
    """
    res = _run(["list_vhosts", "name", "--formatter", "json"], node, env)
    return sorted(row["name"] for row in _json(res, "list_vhosts", node))


def add_vhost(name, node=None, env=None):
    """
    Create virtual host ``name``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.add_vhost /openstack
    """
    _check(_run(["add_vhost", name], node, env), f"add_vhost {name}", node)
    return True


def list_users(node=None, env=None):
    """
    Return ``{user: [tags]}``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.list_users
    """
    res = _run(["list_users", "--formatter", "json"], node, env)
    return {row["user"]: sorted(row.get("tags") or []) for row in _json(res, "list_users", node)}


def check_password(user, password, node=None, env=None):
    """
    Return whether ``user`` authenticates with ``password`` (read from stdin by rabbitmqctl).

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.check_password nova "$PASSWORD"
    """
    res = _run(["authenticate_user", user], node, env, stdin=password)
    return res["retcode"] == 0


def add_user(user, password, node=None, env=None):
    """
    Create ``user``; the password goes to rabbitmqctl on stdin.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.add_user nova "$PASSWORD"
    """
    _check(_run(["add_user", user], node, env, stdin=password), f"add_user {user}", node)
    return True


def change_password(user, password, node=None, env=None):
    """
    Set ``user``'s password; the password goes to rabbitmqctl on stdin.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.change_password nova "$PASSWORD"
    """
    res = _run(["change_password", user], node, env, stdin=password)
    _check(res, f"change_password {user}", node)
    return True


def set_user_tags(user, tags, node=None, env=None):
    """
    Replace ``user``'s tags (``[]`` clears them).

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.set_user_tags admin '[administrator]'
    """
    res = _run(["set_user_tags", user, *tags], node, env)
    _check(res, f"set_user_tags {user}", node)
    return True


def list_user_permissions(user, node=None, env=None):
    """
    Return ``{vhost: [configure, write, read]}`` for ``user``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.list_user_permissions nova
    """
    res = _run(["list_user_permissions", user, "--formatter", "json"], node, env)
    return {
        row["vhost"]: [row["configure"], row["write"], row["read"]]
        for row in _json(res, f"list_user_permissions {user}", node)
    }


def set_permissions(user, vhost, configure=".*", write=".*", read=".*", node=None, env=None):
    """
    Grant ``user`` the given permission patterns on ``vhost``.

    CLI Example:

    .. code-block:: bash

        salt ctl01 rabbitmq_cluster.set_permissions nova /openstack
    """
    for pattern in (configure, write, read):
        problem = policy_logic.check_pattern(pattern) if pattern else None
        if problem:
            raise CommandExecutionError(f"permissions of {user} on {vhost}: {problem}")
    res = _run(["set_permissions", "-p", vhost, user, configure, write, read], node, env)
    _check(res, f"set_permissions -p {vhost} {user}", node)
    return True


def password_hash(user, password_pillar):
    """
    RabbitMQ's password hash (SHA-256, salted) of the password held in the pillar at
    ``password_pillar``, for a definitions file that creates ``user`` at boot. The salt is
    derived from the user and the password, so the same password gives the same file (no
    restart for nothing); the password itself is never returned.

    CLI Example:

    .. code-block:: bash

        salt-call rabbitmq_cluster.password_hash stacksalt_admin rabbitmq:server:admin:password
    """
    import hashlib

    from stacksalt.openstack.messaging import password_hash as _hash

    password = __salt__["pillar.get"](password_pillar, "", unmask=True)
    if not password:
        raise CommandExecutionError(f"pillar {password_pillar} is empty: no password to hash")
    salt = hashlib.sha256(f"stacksalt-rabbitmq:{user}:{password}".encode()).digest()[:4]
    return _hash(password, salt)
