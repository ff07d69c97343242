"""Which RabbitMQ node does this member join? A pure decision, table-tested.

The seed deployment bootstrapped a RabbitMQ cluster by running ``set_cluster_name`` on the
first node and then letting every other node join it. This module keeps that rule and makes
every other situation explicit:

* The **first member in model order** starts the cluster and sets its name, but only when no
  member of that cluster is running; otherwise it joins the running cluster like anybody
  else (a first member that lost its data must not found a second cluster: split brain).
* Every other member **joins the first member**, or the first running member of the cluster
  in model order when the first member is down. Nodes that run but report another cluster
  name (a first member that has not named the cluster yet, a node full of foreign data) are
  never join targets. When nobody can be joined the member **waits**.
* A member whose data belongs to another cluster (clustered with other nodes, or named
  differently, or an earlier incarnation the running cluster does not list) is **reset and
  then joins**. A member the running cluster lists although its own data does not know the
  cluster (data directory lost) must also be forgotten on the target first, because
  ``join_cluster`` answers ``inconsistent_cluster`` otherwise.
* Once joined, the member that comes first in model order among the running members of the
  cluster **forgets** nodes that the cluster still lists but the model no longer has
  (``forget_cluster_node`` after a scale-down). Nodes still running are never forgotten.

:func:`decide` takes plain data and returns a :class:`Decision`; :func:`rabbitmqctl_steps`
turns a decision into the ``rabbitmqctl`` calls a thin Salt module runs. Gathering the facts
(``rabbitmqctl cluster_status --formatter json`` on each member) is the adapter's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Action",
    "Decision",
    "LocalView",
    "Observed",
    "PeerView",
    "Step",
    "decide",
    "forgotten_while_stopped",
    "membership",
    "predicted_membership",
    "rabbitmqctl_steps",
]


class Action(StrEnum):
    """What the local member has to do."""

    SET_CLUSTER_NAME = "set_cluster_name"
    JOIN = "join"
    ALREADY_JOINED = "already_joined"
    RESET_AND_JOIN = "reset_and_join"
    WAIT = "wait"
    FORGET = "forget"


@dataclass(frozen=True)
class PeerView:
    """What one *running* member reports through ``cluster_status``.

    ``cluster_members`` are the ``disk_nodes`` (every node the cluster knows, running or
    not) and ``running_nodes`` the nodes that member sees running.
    """

    cluster_name: str
    cluster_members: tuple[str, ...] = ()
    running_nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalView:
    """What the local node knows about itself.

    ``has_data`` is false for a node that never booted (empty data directory).
    ``cluster_name``/``cluster_members``/``running_nodes`` come from the local
    ``cluster_status`` (``None``/empty when unknown). ``app_running`` says whether the
    local RabbitMQ application runs; forgetting nodes needs it.
    """

    has_data: bool
    cluster_name: str | None = None
    cluster_members: tuple[str, ...] = ()
    running_nodes: tuple[str, ...] = ()
    app_running: bool = True


@dataclass(frozen=True)
class Observed:
    """Facts gathered by the adapter: running peers (by node name) and the local view.

    A member absent from ``peers`` is down (or did not answer). Entries for nodes that are
    not members of the instance are ignored.
    """

    local: LocalView
    peers: Mapping[str, PeerView] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`decide`.

    ``target`` is the node to join (JOIN, RESET_AND_JOIN). ``forget`` lists nodes to remove
    from the cluster: for FORGET they are forgotten locally; for RESET_AND_JOIN it holds the
    local node, forgotten *on the target* before joining. ``reset`` is true when the local
    data must be wiped first (always for RESET_AND_JOIN; for SET_CLUSTER_NAME when the first
    member carries another cluster's data). ``reason`` is meant for logs and state comments.
    """

    action: Action
    reason: str
    target: str | None = None
    forget: tuple[str, ...] = ()
    reset: bool = False

    def __post_init__(self) -> None:
        needs_target = self.action in (Action.JOIN, Action.RESET_AND_JOIN)
        if needs_target != (self.target is not None):
            raise ValueError(f"{self.action.value}: target must be set exactly when joining")
        if self.action is Action.RESET_AND_JOIN and not self.reset:
            raise ValueError("reset_and_join: reset must be true")
        if self.reset and self.action not in (Action.RESET_AND_JOIN, Action.SET_CLUSTER_NAME):
            raise ValueError(f"{self.action.value}: cannot reset")
        if self.action is Action.FORGET and not self.forget:
            raise ValueError("forget: no node to forget")


@dataclass(frozen=True)
class Step:
    """One ``rabbitmqctl`` call; ``node`` is ``None`` for the local node, else ``-n node``."""

    argv: tuple[str, ...]
    node: str | None = None


# --------------------------------------------------------------------------------------------
# The decision
# --------------------------------------------------------------------------------------------


def decide(
    members: Sequence[str],
    local_node: str,
    observed: Observed,
    cluster_name: str,
) -> Decision:
    """Decide what ``local_node`` does to become a member of cluster ``cluster_name``.

    ``members`` are the instance's node names in model order (``rabbit@ctl01``, ...); the
    first one founds the cluster. Raises ``ValueError`` on inconsistent inputs (empty or
    duplicate members, a local node outside the model, an empty cluster name).
    """
    _check_inputs(members, local_node, cluster_name)
    peers = {n: v for n, v in observed.peers.items() if n in members and n != local_node}
    targets = _join_targets(members, peers, cluster_name)
    split = _split_brain(targets, peers)
    if split:
        return Decision(Action.WAIT, split)
    local = observed.local
    if local.has_data and not local.cluster_members:
        return Decision(
            Action.WAIT,
            f"{local_node} has data but its cluster membership is unknown (app stopped and "
            "cluster_nodes.config unread?): refusing to reset or join blindly",
        )
    target = targets[0] if targets else None
    if _is_joined(members, local_node, local, cluster_name, peers, target):
        return _joined(members, local_node, local, peers, targets, cluster_name)
    if target is not None:
        return _join(local_node, local, target, peers[target], cluster_name)
    if local_node == members[0]:
        return _found(members, local_node, local, cluster_name)
    return _wait(members, local_node, local, peers, cluster_name)


def _check_inputs(members: Sequence[str], local_node: str, cluster_name: str) -> None:
    """Reject inputs no deployment can produce; these are bugs in the caller."""
    if not members:
        raise ValueError("the instance has no members")
    duplicates = sorted({m for m in members if list(members).count(m) > 1})
    if duplicates:
        raise ValueError(f"duplicate members: {', '.join(duplicates)}")
    if local_node not in members:
        raise ValueError(f"{local_node} is not a member of the instance ({', '.join(members)})")
    if not cluster_name:
        raise ValueError("the cluster name is empty")


def _join_targets(
    members: Sequence[str], peers: Mapping[str, PeerView], cluster_name: str
) -> list[str]:
    """Running members that belong to the cluster, in model order (first member first)."""
    return [m for m in members if m in peers and peers[m].cluster_name == cluster_name]


def _split_brain(targets: Sequence[str], peers: Mapping[str, PeerView]) -> str:
    """A reason when running members carry the cluster name but do not know each other."""
    for i, a in enumerate(targets):
        for b in targets[i + 1 :]:
            if b not in peers[a].cluster_members and a not in peers[b].cluster_members:
                return (
                    f"{a} and {b} both report cluster '{peers[a].cluster_name}' but do not "
                    "list each other: two clusters with one name (split brain); refusing to "
                    "pick one, an operator must merge them"
                )
    return ""


def _others(node: str, nodes: Sequence[str]) -> list[str]:
    """``nodes`` without ``node``."""
    return [n for n in nodes if n != node]


def _is_default_name(name: str | None, node: str) -> bool:
    """True for RabbitMQ's default cluster name.

    RabbitMQ names a fresh cluster ``<node's name part>@<the machine's FQDN>``: the node name
    itself (``rabbit@ctl01``), the node name with the domain (``rabbit@ctl01.example.org``),
    or, when the node name's host part is not the machine's name (``rabbit1@localhost`` on a
    machine called ``vm``, several nodes on one test host), ``rabbit1@vm``.
    """
    if not name or name == node or name.startswith(node + "."):
        return True
    prefix, at, host = name.partition("@")
    return bool(at and host) and prefix == node.partition("@")[0]


def _knows_model(local_node: str, local: LocalView, members: Sequence[str]) -> bool:
    """True when the local data is clustered with at least one other model member."""
    return bool(set(_others(local_node, local.cluster_members)) & set(members))


def _is_joined(
    members: Sequence[str],
    local_node: str,
    local: LocalView,
    cluster_name: str,
    peers: Mapping[str, PeerView],
    target: str | None,
) -> bool:
    """Whether the local node already is a member of the cluster."""
    if not local.has_data:
        return False
    if target is not None:
        # Both sides must agree: the cluster lists us and our data lists the cluster.
        return local_node in peers[target].cluster_members and target in local.cluster_members
    # Nobody of the cluster runs: trust our own data. A member clustered with other model
    # members is joined (after a full stop its boot waits for them; the name is unknown while
    # it waits); so is the founder of a one-node cluster that carries the name.
    if local.cluster_name not in (cluster_name, None):
        return False
    if _knows_model(local_node, local, members):
        return True
    return local_node == members[0] and local.cluster_name == cluster_name


def _joined(
    members: Sequence[str],
    local_node: str,
    local: LocalView,
    peers: Mapping[str, PeerView],
    targets: Sequence[str],
    cluster_name: str,
) -> Decision:
    """ALREADY_JOINED, or FORGET when this member is the one to remove stale nodes."""
    views = [peers[t] for t in targets]
    known = set(local.cluster_members).union(*(v.cluster_members for v in views))
    running = set(local.running_nodes).union(*(v.running_nodes for v in views), targets)
    stale = sorted(known - set(members))
    forgettable = tuple(n for n in stale if n not in running)
    still_running = [n for n in stale if n in running]
    where = f"member of cluster '{cluster_name}'"
    if not targets and _knows_model(local_node, local, members):
        where += " (no other member runs; the node waits for its peers when it boots)"
    elif not targets:
        where += " (no other member has joined yet)"
    notes = []
    if still_running:
        notes.append(
            f"{', '.join(still_running)} left the model but still running: stop before forgetting"
        )
    if not forgettable:
        return Decision(Action.ALREADY_JOINED, "; ".join([where, *notes]))
    forgetter = next(m for m in members if m == local_node or m in targets)
    if forgetter != local_node:
        notes.append(f"{forgetter} forgets {', '.join(forgettable)}")
        return Decision(Action.ALREADY_JOINED, "; ".join([where, *notes]))
    if not local.app_running:
        notes.append(f"forgetting {', '.join(forgettable)} once the local app runs")
        return Decision(Action.ALREADY_JOINED, "; ".join([where, *notes]))
    reason = f"{where}; {', '.join(forgettable)} left the model and are down: forget them"
    return Decision(Action.FORGET, "; ".join([reason, *notes]), forget=forgettable)


def _describe_local(local_node: str, local: LocalView) -> str:
    """A short description of the local data for reasons."""
    others = _others(local_node, local.cluster_members)
    name = local.cluster_name or "(unnamed)"
    if others:
        return f"cluster '{name}' with {', '.join(others)}"
    return f"cluster '{name}' (alone)"


def _is_blank(local_node: str, local: LocalView) -> bool:
    """A node with no data, or a node that booted once alone and was never named."""
    if not local.has_data:
        return True
    alone = not _others(local_node, local.cluster_members)
    return alone and _is_default_name(local.cluster_name, local_node)


def _join(
    local_node: str, local: LocalView, target: str, view: PeerView, cluster_name: str
) -> Decision:
    """JOIN or RESET_AND_JOIN ``target``, a running member of the cluster."""
    via = f"{target} runs and belongs to cluster '{cluster_name}'"
    if local_node in view.cluster_members:
        return Decision(
            Action.RESET_AND_JOIN,
            f"{via} and lists {local_node}, but the local data does not know the cluster "
            f"(data lost or reset; local: {_describe_local(local_node, local)}): forget "
            f"{local_node} on {target}, reset and join",
            target=target,
            forget=(local_node,),
            reset=True,
        )
    if _is_blank(local_node, local):
        return Decision(Action.JOIN, f"{via}: join it", target=target)
    return Decision(
        Action.RESET_AND_JOIN,
        f"{via}; local data belongs to {_describe_local(local_node, local)}, which the "
        "running cluster does not list: reset and join",
        target=target,
        reset=True,
    )


def _found(
    members: Sequence[str], local_node: str, local: LocalView, cluster_name: str
) -> Decision:
    """The first member with no running cluster to join: start (or rename) the cluster."""
    why = f"{local_node} is the first member and no member of cluster '{cluster_name}' runs"
    if _is_blank(local_node, local):
        return Decision(Action.SET_CLUSTER_NAME, f"{why}: start the cluster and name it")
    if _knows_model(local_node, local, members) or not _others(local_node, local.cluster_members):
        # Our own nodes under an old name (the model renamed the cluster): rename, keep data.
        return Decision(
            Action.SET_CLUSTER_NAME,
            f"{why}; local data is {_describe_local(local_node, local)}, built from model "
            f"members: rename it to '{cluster_name}'",
        )
    return Decision(
        Action.SET_CLUSTER_NAME,
        f"{why}; local data belongs to {_describe_local(local_node, local)}, none of them "
        "in the model: reset and start a new cluster",
        reset=True,
    )


def _wait(
    members: Sequence[str],
    local_node: str,
    local: LocalView,
    peers: Mapping[str, PeerView],
    cluster_name: str,
) -> Decision:
    """Nobody to join yet: say who is down and who runs under another name."""
    parts = []
    for m in _others(local_node, members):
        if m not in peers:
            parts.append(f"{m} down")
        else:
            parts.append(f"{m} runs but reports cluster '{peers[m].cluster_name}'")
    first = members[0]
    hint = f"waiting for {first} to start cluster '{cluster_name}'"
    if first in peers:
        hint = f"waiting for {first} to name the cluster '{cluster_name}'"
    mine = ""
    if local.has_data and not _is_blank(local_node, local):
        mine = f"; local data is {_describe_local(local_node, local)}"
    return Decision(
        Action.WAIT,
        f"no running member belongs to cluster '{cluster_name}' ({'; '.join(parts)}){mine}; {hint}",
    )


# --------------------------------------------------------------------------------------------
# From a decision to rabbitmqctl calls
# --------------------------------------------------------------------------------------------


def rabbitmqctl_steps(decision: Decision, cluster_name: str) -> tuple[Step, ...]:
    """The ``rabbitmqctl`` calls that carry out ``decision``, in order.

    Resets use ``force_reset``: a plain ``reset`` tries to leave the old cluster gracefully
    and fails when the old peers are unreachable, which is exactly when foreign data has to
    go. ``join_cluster`` needs the local app stopped; ``forget_cluster_node`` on the target
    needs the forgotten node's app stopped, hence the order below.
    """
    if decision.action in (Action.ALREADY_JOINED, Action.WAIT):
        return ()
    if decision.action is Action.FORGET:
        return tuple(Step(("forget_cluster_node", n)) for n in decision.forget)
    target = decision.target
    steps = [Step(("stop_app",))] if decision.reset or target else []
    if decision.reset:
        steps.append(Step(("force_reset",)))
    if target is None:  # SET_CLUSTER_NAME
        if steps:
            steps.append(Step(("start_app",)))
        steps.append(Step(("set_cluster_name", cluster_name)))
        return tuple(steps)
    steps.extend(Step(("forget_cluster_node", n), node=target) for n in decision.forget)
    steps.append(Step(("join_cluster", target)))
    steps.append(Step(("start_app",)))
    return tuple(steps)


# --------------------------------------------------------------------------------------------
# A stopped member the running cluster forgot (scale down, then up again)
# --------------------------------------------------------------------------------------------


def forgotten_while_stopped(
    local_node: str, data_members: Sequence[str], peers: Mapping[str, PeerView]
) -> str | None:
    """Why the *stopped* local node's data must be set aside before it can start, or ``None``.

    RabbitMQ refuses to boot a node whose data says it is clustered with peers that no longer
    list it (``inconsistent_cluster``: the node was forgotten after a scale-down, then put
    back in the model). Such a node cannot be reset online because it never starts; its data
    directory has to be moved aside so that it starts blank and joins.

    ``data_members`` are the nodes its data directory says it is clustered with (empty when
    it has no data or never clustered); ``peers`` the running members that answered. The
    data is stale only when a running peer that the data names as a cluster mate does not
    list the local node: a peer that is merely down proves nothing, and a node that never
    clustered boots fine and is reset online by :func:`decide`.
    """
    mates = [n for n in data_members if n != local_node]
    for node in mates:
        view = peers.get(node)
        if view is not None and local_node not in view.cluster_members:
            return (
                f"{local_node}'s data says it is clustered with {node}, but the running "
                f"{node} lists only {', '.join(view.cluster_members) or 'itself'}: "
                f"{local_node} was forgotten and would refuse to boot"
            )
    return None


def membership(local: Mapping) -> dict:
    """A member's view of its cluster as the state reports it: the name and the members."""
    return {
        "cluster_name": local.get("cluster_name"),
        "members": sorted(local.get("cluster_members", [])),
    }


def predicted_membership(plan: Mapping, cluster_name: str) -> dict:
    """What the membership will be once ``plan`` ran (what ``test=True`` reports): ``plan``
    is the execution module's join plan (``action``, ``local``, ``local_node``, ``target``,
    ``target_members``, ``forget``, ``reset``)."""
    members = set(membership(plan["local"])["members"])
    if plan["action"] in ("join", "reset_and_join"):
        members = {plan["local_node"], plan["target"]}
        members.update(plan.get("target_members", []))
        members -= set(plan["forget"]) - {plan["local_node"]}
    elif plan["action"] == "forget":
        members -= set(plan["forget"])
    elif plan["action"] == "set_cluster_name" and plan["reset"]:
        members = {plan["local_node"]}
    return {"cluster_name": cluster_name, "members": sorted(members)}
