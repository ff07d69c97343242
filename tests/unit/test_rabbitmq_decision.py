"""Table tests for the RabbitMQ "join whom?" decision."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from stacksalt.rabbitmq.decision import (
    Action,
    Decision,
    LocalView,
    Observed,
    PeerView,
    Step,
    decide,
    forgotten_while_stopped,
    membership,
    predicted_membership,
    rabbitmqctl_steps,
)

NAME = "openstack-rpc"
N1, N2, N3, N4 = "rabbit@ctl01", "rabbit@ctl02", "rabbit@ctl03", "rabbit@ctl04"
MEMBERS = (N1, N2, N3)


def fresh() -> LocalView:
    """A node that never booted."""
    return LocalView(has_data=False)


def alone(node: str, name: str | None = None) -> LocalView:
    """A node that booted alone; RabbitMQ names such a cluster after the node."""
    return LocalView(True, name or node, (node,), (node,))


def clustered(
    members: tuple[str, ...], name: str | None = NAME, running: tuple[str, ...] | None = None
) -> LocalView:
    """A node whose data says it is clustered with ``members``."""
    return LocalView(True, name, members, members if running is None else running)


def peer(
    members: tuple[str, ...] = MEMBERS, name: str = NAME, running: tuple[str, ...] | None = None
) -> PeerView:
    """A running member's cluster_status view."""
    return PeerView(name, members, members if running is None else running)


@dataclass(frozen=True)
class Case:
    """One row: who we are, what we see, what we expect."""

    local_node: str
    local: LocalView
    peers: dict[str, PeerView]
    action: Action
    target: str | None = None
    forget: tuple[str, ...] = ()
    reset: bool = False
    reason: str = ""
    members: tuple[str, ...] = field(default=MEMBERS)


CASES = {
    "first member, fresh, nobody up: found the cluster": Case(
        N1, fresh(), {}, Action.SET_CLUSTER_NAME, reason="start the cluster and name it"
    ),
    "first member booted alone with the default name: name it": Case(
        N1, alone(N1), {}, Action.SET_CLUSTER_NAME
    ),
    "first member booted alone with an FQDN default name: name it": Case(
        N1, alone(N1, "rabbit@ctl01.example.local"), {}, Action.SET_CLUSTER_NAME
    ),
    "first member booted alone on a machine named otherwise (one-host test): name it": Case(
        "rabbit1@localhost",
        alone("rabbit1@localhost", "rabbit1@vm"),
        {},
        Action.SET_CLUSTER_NAME,
        reason="start the cluster and name it",
        members=("rabbit1@localhost", "rabbit2@localhost"),
    ),
    "second member booted alone with the machine's default name: plain join": Case(
        "rabbit2@localhost",
        alone("rabbit2@localhost", "rabbit2@vm"),
        {"rabbit1@localhost": peer(("rabbit1@localhost",), running=("rabbit1@localhost",))},
        Action.JOIN,
        target="rabbit1@localhost",
        members=("rabbit1@localhost", "rabbit2@localhost"),
    ),
    "first member already named, alone: nothing to do": Case(
        N1, alone(N1, NAME), {}, Action.ALREADY_JOINED, reason="no other member has joined yet"
    ),
    "second member, fresh, first up: join the first": Case(
        N2, fresh(), {N1: peer((N1,))}, Action.JOIN, target=N1, reason="join it"
    ),
    "second member prefers the first even when another member runs": Case(
        N3, fresh(), {N2: peer((N1, N2)), N1: peer((N1, N2))}, Action.JOIN, target=N1
    ),
    "third member, first down: join any running member": Case(
        N3, fresh(), {N2: peer((N1, N2), running=(N2,))}, Action.JOIN, target=N2
    ),
    "second member, nobody up: wait for the first": Case(
        N2,
        fresh(),
        {},
        Action.WAIT,
        reason=f"waiting for {N1} to start cluster '{NAME}'",
    ),
    "first member runs but has not named the cluster: wait": Case(
        N2,
        fresh(),
        {N1: PeerView(N1, (N1,), (N1,))},
        Action.WAIT,
        reason=f"waiting for {N1} to name the cluster",
    ),
    "first member unnamed (rebooted fresh) but a named member runs: join that one": Case(
        N2, fresh(), {N1: PeerView(N1, (N1,)), N3: peer((N1, N3))}, Action.JOIN, target=N3
    ),
    "second member already clustered: nothing to do": Case(
        N2, clustered(MEMBERS), {N1: peer(), N3: peer()}, Action.ALREADY_JOINED
    ),
    "local data from another cluster: reset and join": Case(
        N2,
        clustered((N2, "rabbit@old01"), name="legacy"),
        {N1: peer((N1,))},
        Action.RESET_AND_JOIN,
        target=N1,
        reset=True,
        reason="local data belongs to cluster 'legacy' with rabbit@old01",
    ),
    "local node named like us but unknown to the running cluster: reset and join": Case(
        N2,
        alone(N2, NAME),
        {N1: peer((N1, N3))},
        Action.RESET_AND_JOIN,
        target=N1,
        reset=True,
        reason="which the running cluster does not list",
    ),
    "data lost, the cluster still lists us: forget on target, reset, join": Case(
        N2,
        alone(N2),
        {N1: peer()},
        Action.RESET_AND_JOIN,
        target=N1,
        forget=(N2,),
        reset=True,
        reason="data lost or reset",
    ),
    "first member lost its data while the others run: rejoin, never found a second cluster": Case(
        N1,
        alone(N1),
        {N2: peer(), N3: peer()},
        Action.RESET_AND_JOIN,
        target=N2,
        forget=(N1,),
        reset=True,
    ),
    "first member fresh while a cluster without it runs: join it": Case(
        N1, fresh(), {N2: peer((N2, N3))}, Action.JOIN, target=N2
    ),
    "first member with foreign data, nobody up: reset and found": Case(
        N1,
        clustered((N1, "rabbit@old01"), name="legacy"),
        {},
        Action.SET_CLUSTER_NAME,
        reset=True,
        reason="none of them in the model",
    ),
    "model renamed the cluster: the first member renames, keeps data": Case(
        N1,
        clustered(MEMBERS, name="rpc-old"),
        {N2: peer(name="rpc-old")},
        Action.SET_CLUSTER_NAME,
        reason=f"rename it to '{NAME}'",
    ),
    "full outage: clustered member boots before its peers and waits for them": Case(
        N2,
        LocalView(True, None, MEMBERS, (), app_running=False),
        {},
        Action.ALREADY_JOINED,
        reason="waits for its peers",
    ),
    "non-first member with foreign data, nobody up: wait": Case(
        N3,
        clustered((N3, "rabbit@old01"), name="legacy"),
        {},
        Action.WAIT,
        reason="local data is cluster 'legacy'",
    ),
    "scale-down: the first running member forgets removed nodes": Case(
        N1,
        clustered((*MEMBERS, N4), running=MEMBERS),
        {N2: peer((*MEMBERS, N4), running=MEMBERS)},
        Action.FORGET,
        forget=(N4,),
    ),
    "scale-down: other members leave the forgetting to the first running one": Case(
        N2,
        clustered((*MEMBERS, N4), running=MEMBERS),
        {N1: peer((*MEMBERS, N4), running=MEMBERS)},
        Action.ALREADY_JOINED,
        reason=f"{N1} forgets {N4}",
    ),
    "scale-down: the second member forgets when the first is down": Case(
        N2,
        clustered((*MEMBERS, N4), running=(N2, N3)),
        {N3: peer((*MEMBERS, N4), running=(N2, N3))},
        Action.FORGET,
        forget=(N4,),
    ),
    "scale-down: a removed node that still runs is not forgotten": Case(
        N1,
        clustered((*MEMBERS, N4)),
        {N2: peer((*MEMBERS, N4))},
        Action.ALREADY_JOINED,
        reason="still running",
    ),
    "scale-down: forgetting waits for the local app": Case(
        N1,
        LocalView(True, None, (*MEMBERS, N4), (), app_running=False),
        {},
        Action.ALREADY_JOINED,
        reason="once the local app runs",
    ),
    "split brain: two running groups share the name: refuse to pick": Case(
        N1,
        fresh(),
        {N2: peer((N2,)), N3: peer((N3,))},
        Action.WAIT,
        reason="split brain",
    ),
    "data present but membership unknown: refuse to act blindly": Case(
        N2,
        LocalView(True, None, (), (), app_running=False),
        {N1: peer()},
        Action.WAIT,
        reason="membership is unknown",
    ),
    "peers outside the model are never join targets": Case(
        N2, fresh(), {"rabbit@ctl09": peer(("rabbit@ctl09",))}, Action.WAIT
    ),
    "single-member instance: the only member founds it": Case(
        N1, fresh(), {}, Action.SET_CLUSTER_NAME, members=(N1,)
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_decide(case: Case) -> None:
    decision = decide(case.members, case.local_node, Observed(case.local, case.peers), NAME)
    assert (decision.action, decision.target, decision.forget, decision.reset) == (
        case.action,
        case.target,
        case.forget,
        case.reset,
    ), decision.reason
    assert case.reason in decision.reason
    assert decision.reason


BAD_INPUTS = {
    "no members": ((), N1, NAME, "no members"),
    "duplicate members": ((N1, N2, N1), N1, NAME, "duplicate members: rabbit@ctl01"),
    "local node not in the model": (MEMBERS, N4, NAME, "not a member"),
    "empty cluster name": (MEMBERS, N1, "", "cluster name is empty"),
}


@pytest.mark.parametrize(
    ("members", "local_node", "name", "message"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys()
)
def test_decide_rejects_bad_inputs(
    members: tuple[str, ...], local_node: str, name: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        decide(members, local_node, Observed(fresh()), name)


BAD_DECISIONS = {
    "join without target": {"action": Action.JOIN},
    "wait with target": {"action": Action.WAIT, "target": N1},
    "reset_and_join without reset": {"action": Action.RESET_AND_JOIN, "target": N1},
    "join with reset": {"action": Action.JOIN, "target": N1, "reset": True},
    "forget nothing": {"action": Action.FORGET},
}


@pytest.mark.parametrize("kwargs", BAD_DECISIONS.values(), ids=BAD_DECISIONS.keys())
def test_decision_invariants(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Decision(reason="x", **kwargs)


STEPS = {
    "found": (
        Decision(Action.SET_CLUSTER_NAME, "r"),
        (Step(("set_cluster_name", NAME)),),
    ),
    "reset and found": (
        Decision(Action.SET_CLUSTER_NAME, "r", reset=True),
        (
            Step(("stop_app",)),
            Step(("force_reset",)),
            Step(("start_app",)),
            Step(("set_cluster_name", NAME)),
        ),
    ),
    "join": (
        Decision(Action.JOIN, "r", target=N1),
        (Step(("stop_app",)), Step(("join_cluster", N1)), Step(("start_app",))),
    ),
    "reset, forget on target, join": (
        Decision(Action.RESET_AND_JOIN, "r", target=N1, forget=(N2,), reset=True),
        (
            Step(("stop_app",)),
            Step(("force_reset",)),
            Step(("forget_cluster_node", N2), node=N1),
            Step(("join_cluster", N1)),
            Step(("start_app",)),
        ),
    ),
    "forget": (
        Decision(Action.FORGET, "r", forget=(N4, "rabbit@ctl05")),
        (Step(("forget_cluster_node", N4)), Step(("forget_cluster_node", "rabbit@ctl05"))),
    ),
    "already joined": (Decision(Action.ALREADY_JOINED, "r"), ()),
    "wait": (Decision(Action.WAIT, "r"), ()),
}


@pytest.mark.parametrize(("decision", "expected"), STEPS.values(), ids=STEPS.keys())
def test_rabbitmqctl_steps(decision: Decision, expected: tuple[Step, ...]) -> None:
    assert rabbitmqctl_steps(decision, NAME) == expected


# --------------------------------------------------------------------------------------------
# forgotten_while_stopped: a stopped member whose data the running cluster no longer knows
# --------------------------------------------------------------------------------------------

_ALL = ("rabbit@a", "rabbit@b", "rabbit@c")


@pytest.mark.parametrize(
    ("case", "data_members", "peers", "stale"),
    [
        ("no data at all", (), {"rabbit@a": PeerView("x", _ALL[:2], _ALL[:2])}, False),
        ("never clustered", ("rabbit@c",), {"rabbit@a": PeerView("x", _ALL[:2])}, False),
        ("still listed", _ALL, {"rabbit@a": PeerView("x", _ALL, _ALL[:2])}, False),
        ("forgotten by a running mate", _ALL, {"rabbit@a": PeerView("x", _ALL[:2])}, True),
        ("mates down: no proof", _ALL, {}, False),
        (
            "one mate forgot, another still lists",
            _ALL,
            {"rabbit@a": PeerView("x", _ALL), "rabbit@b": PeerView("x", _ALL[:2])},
            True,
        ),
        (
            "running node is not a mate",
            ("rabbit@c", "rabbit@d"),
            {"rabbit@a": PeerView("x")},
            False,
        ),
    ],
)
def test_forgotten_while_stopped(case, data_members, peers, stale):
    reason = forgotten_while_stopped("rabbit@c", data_members, peers)
    assert (reason is not None) is stale, case
    if stale:
        assert "rabbit@c" in reason and "forgotten" in reason


def _plan(action, local_members, **extra):
    plan = {
        "action": action,
        "local": {"cluster_name": "old", "cluster_members": local_members},
        "local_node": "rabbit@b",
        "target": "rabbit@a",
        "forget": [],
        "reset": False,
    }
    plan.update(extra)
    return plan


@pytest.mark.parametrize(
    ("plan", "members"),
    [
        # a blank node joins the first member, which already clusters with c
        (
            _plan("join", ["rabbit@b"], target_members=["rabbit@a", "rabbit@c"]),
            ["rabbit@a", "rabbit@b", "rabbit@c"],
        ),
        # reset and join: its old peers are gone, the target's forgotten member too
        (
            _plan(
                "reset_and_join",
                ["rabbit@b", "rabbit@x"],
                target_members=["rabbit@a", "rabbit@b", "rabbit@old"],
                forget=["rabbit@old", "rabbit@b"],
            ),
            ["rabbit@a", "rabbit@b"],
        ),
        # forget a member that left the model
        (
            _plan("forget", ["rabbit@a", "rabbit@b", "rabbit@d"], forget=["rabbit@d"]),
            ["rabbit@a", "rabbit@b"],
        ),
        # the founder names a cluster it resets into
        (_plan("set_cluster_name", ["rabbit@b", "rabbit@z"], reset=True), ["rabbit@b"]),
        # the founder names the cluster it is alone in
        (_plan("set_cluster_name", ["rabbit@b"]), ["rabbit@b"]),
    ],
)
def test_predicted_membership(plan, members):
    assert predicted_membership(plan, "openstack") == {
        "cluster_name": "openstack",
        "members": members,
    }


def test_membership_sorts_and_tolerates_a_missing_list():
    assert membership({"cluster_name": "c", "cluster_members": ["b", "a"]}) == {
        "cluster_name": "c",
        "members": ["a", "b"],
    }
    assert membership({}) == {"cluster_name": None, "members": []}
