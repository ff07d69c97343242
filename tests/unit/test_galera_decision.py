"""Table tests for the Galera decision (stacksalt.galera.decision).

Each row is one situation a node can find itself in: the cluster config, what etcd holds,
what the node knows about itself, and the decision expected (the Galera protocol of the
Fuel CCP docs, the design spec's recovery rules: see stacksalt/galera/decision.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from stacksalt.galera.decision import (
    Action,
    ClusterConfig,
    ClusterState,
    ConfigError,
    Decision,
    EtcdState,
    NoWinnerError,
    choose_winner,
    classify_publications,
    decide,
    donor_order,
    gate_join,
    join_peers,
    leader_to_claim,
    parse_state,
    validate_config,
)
from stacksalt.galera.facts import ZERO_UUID, NodeFacts, SeqnoRecord

NOW = 100_000.0
START = NOW - 60  # the recovery started a minute ago
U = "6b1c4a3e-1d2f-11ef-8000-0242ac110002"  # the cluster uuid stored in etcd
OTHER = "0f0e0d0c-1d2f-11ef-8000-0242ac110099"  # another cluster's uuid
CFG = ClusterConfig("k8scluster", ("n1", "n2", "n3"))
ONE = ClusterConfig("solo", ("n1",), cluster_size=1)
ANY = object()


def forced(node: str) -> ClusterConfig:
    return ClusterConfig("k8scluster", ("n1", "n2", "n3"), force_bootstrap=node)


def rec(name: str, seqno: int, uuid: str = U, safe: bool = False, at: float = NOW - 10):
    return SeqnoRecord(name=name, uuid=uuid, seqno=seqno, safe_to_bootstrap=safe, read_at=at)


def recs(*records: SeqnoRecord) -> dict[str, SeqnoRecord]:
    return {r.name: r for r in records}


def blank(name: str) -> NodeFacts:
    return NodeFacts(name=name, seqno_read_at=NOW - 5)


def data(name: str, seqno: int = 10, uuid: str = U, **kw) -> NodeFacts:
    return NodeFacts(name=name, uuid=uuid, seqno=seqno, seqno_read_at=NOW - 5, **kw)


def running(name: str, uuid: str = U) -> NodeFacts:
    wsrep = {"wsrep_cluster_state_uuid": uuid, "wsrep_local_state_comment": "Synced"}
    return NodeFacts(name=name, uuid=ZERO_UUID, alive=True, wsrep=wsrep)


def etcd(state: str | None = None, *, live=(), lock=None, leader=None, uuid=U, **kw):
    return EtcdState(
        state=state,
        cluster_uuid=uuid if state else None,
        leader=leader,
        live_nodes=frozenset(live),
        lock_holder=lock,
        **kw,
    )


def recovery(seqnos=(), *, lock=None, live=(), start: float | None = START, **kw):
    return etcd(
        "RECOVERY",
        live=live,
        lock=lock,
        seqnos=recs(*seqnos),
        recovery_started_at=start,
        **kw,
    )


@dataclass(frozen=True)
class Case:
    etcd: EtcdState
    local: NodeFacts
    action: Action
    target: object = ANY
    new_state: object = ANY
    reason: tuple[str, ...] = ()
    cfg: ClusterConfig = CFG
    kwargs: dict = field(default_factory=dict)
    warning: str = ""


ALL3 = (rec("n1", 40), rec("n2", 42), rec("n3", 41))

CASES = [
    # --- initial bootstrap: no state in etcd ---
    pytest.param(
        Case(
            etcd(lock="n1"),
            blank("n1"),
            Action.BOOTSTRAP_NEW_CLUSTER,
            "n1",
            ClusterState.BUILDING,
            ("initial bootstrap", "holds the lock"),
        ),
        id="initial-lock-holder-bootstraps-BUILDING",
    ),
    pytest.param(
        Case(etcd(lock="n2"), blank("n1"), Action.WAIT, None, None, ("node n2 holds the lock",)),
        id="initial-other-holds-lock-wait",
    ),
    pytest.param(
        Case(etcd(), blank("n1"), Action.WAIT, None, None, ("lock is free",)),
        id="initial-lock-free-wait",
    ),
    pytest.param(
        Case(
            etcd(lock="n1"),
            blank("n1"),
            Action.BOOTSTRAP_NEW_CLUSTER,
            "n1",
            ClusterState.STEADY,
            cfg=ONE,
        ),
        id="initial-single-member-goes-STEADY",
    ),
    pytest.param(
        Case(
            etcd(lock="n1"),
            data("n1", 7),
            Action.START_RECOVERY,
            None,
            ClusterState.RECOVERY,
            ("no cluster state", "holds data"),
        ),
        id="initial-no-state-but-local-data-starts-recovery",
    ),
    # --- BUILDING ---
    pytest.param(
        Case(
            etcd("BUILDING", live=["n1"], lock="n1", leader="n1"),
            blank("n2"),
            Action.WAIT,
            None,
            None,
            ("node n1 holds the lock", "one at a time"),
        ),
        id="building-another-node-holds-lock-wait",
    ),
    pytest.param(
        Case(
            etcd("BUILDING", live=["n1"], lock="n2", leader="n1"),
            blank("n2"),
            Action.JOIN,
            "n1",
            None,
            ("joins n1 (the leader)",),
        ),
        id="building-joiner-joins-leader-stays-BUILDING",
    ),
    pytest.param(
        Case(
            etcd("BUILDING", live=["n1", "n2"], lock="n3", leader="n1"),
            blank("n3"),
            Action.JOIN,
            "n1",
            ClusterState.STEADY,
            ("last of 3 members", "-> STEADY"),
        ),
        id="building-last-joiner-sets-STEADY",
    ),
    pytest.param(
        Case(
            etcd("BUILDING", lock="n2", uuid=None),
            blank("n2"),
            Action.BOOTSTRAP_NEW_CLUSTER,
            "n2",
            ClusterState.BUILDING,
            ("did not finish",),
        ),
        id="building-no-live-no-uuid-bootstraps-again",
    ),
    pytest.param(
        Case(
            etcd("BUILDING", lock="n2"),
            data("n2", 3),
            Action.START_RECOVERY,
            None,
            ClusterState.RECOVERY,
            ("no member is live",),
        ),
        id="building-no-live-with-uuid-starts-recovery",
    ),
    # --- STEADY: reconnect, and a destroyed cluster (no member live) ---
    pytest.param(
        Case(
            etcd("STEADY", live=["n1", "n2"], leader="n2", lock="n3"),
            data("n3", 5),
            Action.JOIN,
            "n2",
            None,
            ("reconnect", "joins n2 (the leader)"),
        ),
        id="steady-reconnect-joins-leader",
    ),
    pytest.param(
        Case(
            etcd("STEADY", live=["n2", "n3"], leader="n1", lock="n1"),
            data("n1", 5),
            Action.JOIN,
            "n2",
            None,
            ("first live member in model order",),
        ),
        id="steady-reconnect-dead-leader-joins-first-live",
    ),
    pytest.param(
        Case(
            etcd("STEADY", live=["n1", "n2"], leader="n1", lock="n2"),
            data("n3", 5),
            Action.WAIT,
            None,
            None,
            ("node n2 holds the lock",),
        ),
        id="steady-reconnect-waits-for-lock",
    ),
    pytest.param(
        Case(
            etcd("STEADY", live=[], lock="n1"),
            data("n1", 5),
            Action.START_RECOVERY,
            None,
            ClusterState.RECOVERY,
            ("no member is live", "starting recovery"),
        ),
        id="steady-no-live-members-starts-recovery",
    ),
    pytest.param(
        Case(
            etcd("STEADY", live=["n1"], lock="n1"),
            data("n1", 5),
            Action.START_RECOVERY,
            None,
            ClusterState.RECOVERY,
        ),
        id="steady-only-own-stale-key-starts-recovery",
    ),
    pytest.param(
        Case(
            etcd("STEADY", live=["n2", "n3"]),
            running("n1"),
            Action.KEEP_RUNNING,
            "n1",
            None,
            ("already running",),
        ),
        id="steady-running-member-keeps-running",
    ),
    pytest.param(
        Case(
            etcd("BUILDING", live=["n2", "n3"]),
            running("n1"),
            Action.KEEP_RUNNING,
            "n1",
            ClusterState.STEADY,
            ("BUILDING -> STEADY",),
        ),
        id="building-running-all-live-sets-STEADY",
    ),
    # --- split brain: a cluster uuid other than etcd's ---
    pytest.param(
        Case(
            etcd("STEADY", live=["n1", "n2"], lock="n3"),
            data("n3", 99, uuid=OTHER),
            Action.FENCE,
            "n3",
            None,
            ("split brain", OTHER, U, "never served"),
        ),
        id="uuid-mismatch-fenced",
    ),
    pytest.param(
        Case(
            etcd("STEADY", live=["n2", "n3"]),
            running("n1", uuid=OTHER),
            Action.FENCE,
            "n1",
            None,
            ("split brain",),
        ),
        id="running-node-wsrep-uuid-mismatch-fenced",
    ),
    pytest.param(
        Case(
            recovery([rec("n3", 9, uuid=OTHER)], lock="n3"),
            data("n3", 9, uuid=OTHER),
            Action.FENCE,
            "n3",
            None,
            ("force_bootstrap does not override",),
            cfg=forced("n3"),
        ),
        id="forced-node-with-foreign-uuid-still-fenced",
    ),
    pytest.param(
        Case(etcd("STEADY", live=["n1"], leader="n1", lock="n2"), blank("n2"), Action.JOIN, "n1"),
        id="empty-node-is-not-split-brain-joins",
    ),
    # --- RECOVERY: publishing positions, and the barrier (all members published) ---
    pytest.param(
        Case(
            recovery([rec("n2", 5)]),
            data("n1", 5),
            Action.PUBLISH_SEQNO,
            "n1",
            None,
            ("must publish", "no seqno from n1"),
        ),
        id="recovery-own-seqno-missing-publish",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 5, at=START - 30)]),
            data("n1", 5),
            Action.PUBLISH_SEQNO,
            "n1",
            None,
            ("before the recovery started",),
        ),
        id="recovery-own-seqno-predates-recovery-republish",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 40), rec("n2", 42)], lock="n1"),
            data("n1", 40),
            Action.WAIT,
            None,
            None,
            ("2/3 fresh", "no seqno from n3"),
        ),
        id="recovery-missing-publication-wait",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 40, at=NOW - 5), rec("n2", 42, at=NOW - 5)], start=NOW - 700),
            data("n1", 40),
            Action.ERROR,
            None,
            None,
            ("timed out after 600s", "no seqno from n3", "refusing"),
        ),
        id="recovery-missing-publication-timeout-error",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 40), rec("n2", 42), rec("n3", 50, at=START - 1)]),
            data("n1", 40),
            Action.WAIT,
            None,
            None,
            ("stale: n3", "before the recovery started"),
        ),
        id="recovery-seqno-published-before-recovery-is-stale",
    ),
    pytest.param(
        Case(
            recovery(
                [rec("n1", 40), rec("n2", 42), rec("n3", 50, at=NOW - 500)],
                start=None,
                queue={"n1": NOW - 30},
            ),
            data("n1", 40),
            Action.WAIT,
            None,
            None,
            ("stale: n3",),
        ),
        id="recovery-seqno-before-first-queue-entry-is-stale",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 40), rec("n2", 42), rec("n3", 50, at=NOW - 50)], start=None),
            data("n1", 40),
            Action.WAIT,
            None,
            None,
            ("older than the 30s window",),
            kwargs={"freshness_window": 30.0},
        ),
        id="recovery-seqno-older-than-window-is-stale",
    ),
    # --- RECOVERY: choosing the source ---
    pytest.param(
        Case(
            recovery(ALL3, lock="n2"),
            data("n2", 42),
            Action.RECOVERY_BOOTSTRAP,
            "n2",
            None,
            ("n2 wins by highest seqno", "bootstrapping from local data"),
        ),
        id="recovery-highest-seqno-local-bootstraps",
    ),
    pytest.param(
        Case(
            recovery(ALL3, lock="n1"),
            data("n1", 40),
            Action.WAIT,
            "n2",
            None,
            ("waiting for n2 to bootstrap",),
        ),
        id="recovery-highest-seqno-elsewhere-wait",
    ),
    pytest.param(
        Case(
            recovery(ALL3, lock="n3"),
            data("n2", 42),
            Action.WAIT,
            None,
            None,
            ("n2 wins", "node n3 holds the lock"),
        ),
        id="recovery-winner-waits-for-lock",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 40), rec("n2", 42), rec("n3", 42)], lock="n2"),
            data("n2", 42),
            Action.RECOVERY_BOOTSTRAP,
            "n2",
            None,
            ("tie between n2, n3 broken by model order",),
        ),
        id="recovery-equal-seqnos-first-in-model-order-wins",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 40), rec("n2", 42), rec("n3", 42)], lock="n3"),
            data("n3", 42),
            Action.WAIT,
            "n2",
            None,
            ("tie between n2, n3",),
        ),
        id="recovery-equal-seqnos-later-member-waits",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 40, safe=True), rec("n2", 42), rec("n3", 41)], lock="n1"),
            data("n1", 40),
            Action.RECOVERY_BOOTSTRAP,
            "n1",
            None,
            ("wins by safe_to_bootstrap", "n2, n3 report a higher seqno"),
        ),
        id="recovery-safe-to-bootstrap-preferred",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", -1, safe=True), rec("n2", 42), rec("n3", 41)], lock="n1"),
            data("n1", -1, safe_to_bootstrap=True),
            Action.WAIT,
            "n2",
            None,
            ("n2 wins by highest seqno",),
        ),
        id="recovery-seqno-minus1-with-safe1-not-chosen",
    ),
    pytest.param(
        Case(
            recovery(
                [rec("n1", -1, uuid=ZERO_UUID, safe=True), rec("n2", 3), rec("n3", 1)], lock="n1"
            ),
            blank("n1"),
            Action.WAIT,
            "n2",
            None,
            ("n2 wins",),
        ),
        id="recovery-empty-node-never-chosen-over-data",
    ),
    pytest.param(
        Case(
            recovery([rec(n, -1, uuid=ZERO_UUID) for n in ("n1", "n2", "n3")], lock="n1"),
            blank("n1"),
            Action.RECOVERY_BOOTSTRAP,
            "n1",
            None,
            ("all uuids are zero",),
        ),
        id="recovery-all-empty-first-member-bootstraps",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", -1), rec("n2", -1), rec("n3", -1, uuid=ZERO_UUID)]),
            data("n1", -1),
            Action.ERROR,
            None,
            None,
            ("no member has a valid seqno", "force_bootstrap"),
        ),
        id="recovery-no-valid-seqno-anywhere-error",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 40), rec("n2", 99, uuid=OTHER), rec("n3", 41)], lock="n3"),
            data("n3", 41),
            Action.RECOVERY_BOOTSTRAP,
            "n3",
            None,
            ("excluded for split brain", "n2"),
        ),
        id="recovery-foreign-uuid-publication-excluded",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 42)], lock="n1"),
            data("n1", 42),
            Action.RECOVERY_BOOTSTRAP,
            "n1",
            ClusterState.STEADY,
            cfg=ONE,
        ),
        id="recovery-single-member-goes-STEADY",
    ),
    # --- RECOVERY: force_bootstrap (the operator names the source) ---
    pytest.param(
        Case(
            recovery([rec("n1", 50), rec("n3", 10)], lock="n3"),
            data("n3", 10),
            Action.RECOVERY_BOOTSTRAP,
            "n3",
            None,
            ("force_bootstrap names it",),
            cfg=forced("n3"),
        ),
        id="forced-node-present-bootstraps-despite-lower-seqno",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 50), rec("n3", 10)], lock="n1"),
            data("n1", 50),
            Action.WAIT,
            "n3",
            None,
            ("force_bootstrap", "waiting for n3"),
            cfg=forced("n3"),
        ),
        id="forced-node-present-others-wait-for-it",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 50)], lock="n1"),
            data("n1", 50),
            Action.WAIT,
            "n3",
            None,
            ("has not published",),
            cfg=forced("n3"),
        ),
        id="forced-node-absent-wait",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 50)], start=NOW - 700),
            data("n1", 50),
            Action.ERROR,
            "n3",
            None,
            ("n3 has not bootstrapped within 600s",),
            cfg=forced("n3"),
        ),
        id="forced-node-absent-timeout-error",
    ),
    pytest.param(
        Case(
            recovery([rec("n3", -1, uuid=ZERO_UUID)], lock="n3"),
            blank("n3"),
            Action.ERROR,
            None,
            None,
            ("has no data", "refusing"),
            cfg=forced("n3"),
        ),
        id="forced-node-empty-refused",
    ),
    # --- RECOVERY: deciding on partial data only when told to ---
    pytest.param(
        Case(
            recovery([rec("n1", 40), rec("n2", 42)], lock="n2"),
            data("n2", 42),
            Action.RECOVERY_BOOTSTRAP,
            "n2",
            None,
            ("FORCED decision on partial data", "no seqno from n3"),
            kwargs={"force_partial": True},
        ),
        id="forced-decision-on-partial-data",
    ),
    pytest.param(
        Case(
            recovery([rec("n1", 40), rec("n2", 99, at=START - 5)], lock="n1"),
            data("n1", 40),
            Action.RECOVERY_BOOTSTRAP,
            "n1",
            None,
            ("stale: n2", "no seqno from n3"),
            kwargs={"force_partial": True},
        ),
        id="forced-partial-ignores-stale-seqno",
    ),
    # --- RECOVERY: after the winner bootstrapped ---
    pytest.param(
        Case(
            recovery(ALL3, live=["n2"], lock="n1", leader="n2"),
            data("n1", 40),
            Action.JOIN,
            "n2",
            None,
            ("recovery", "joins n2"),
        ),
        id="recovery-winner-live-others-join",
    ),
    pytest.param(
        Case(
            recovery(ALL3, live=["n2", "n1"], lock="n3", leader="n2"),
            data("n3", 41),
            Action.JOIN,
            "n2",
            ClusterState.STEADY,
            ("RECOVERY -> STEADY",),
        ),
        id="recovery-last-joiner-sets-STEADY",
    ),
    pytest.param(
        Case(
            recovery(ALL3, start=NOW - 700, lock="n1"),
            data("n1", 40),
            Action.ERROR,
            "n2",
            None,
            ("n2 has not bootstrapped",),
            kwargs={"freshness_window": 900.0},
        ),
        id="recovery-winner-never-bootstraps-timeout-error",
    ),
    # --- configuration and bad input ---
    pytest.param(
        Case(
            etcd(lock="n1"),
            blank("n1"),
            Action.BOOTSTRAP_NEW_CLUSTER,
            "n1",
            ClusterState.BUILDING,
            cfg=ClusterConfig("c", ("n1", "n2", "n3", "n4"), 4),
            warning="cluster_size 4 is even",
        ),
        id="even-cluster-size-warns-but-works",
    ),
    pytest.param(
        Case(
            etcd(lock="n1"),
            blank("n1"),
            Action.ERROR,
            None,
            None,
            ("cluster_size 5 is larger than the 3 members",),
            cfg=ClusterConfig("c", ("n1", "n2", "n3"), 5),
        ),
        id="cluster-size-larger-than-members-error",
    ),
    pytest.param(
        Case(
            etcd(lock="n1"),
            blank("n1"),
            Action.ERROR,
            None,
            None,
            ("force_bootstrap node 'n9' is not a member",),
            cfg=forced("n9"),
        ),
        id="force-bootstrap-not-a-member-error",
    ),
    pytest.param(
        Case(etcd(lock="n7"), blank("n7"), Action.ERROR, None, None, ("node n7 is not a member",)),
        id="local-node-not-a-member-error",
    ),
    pytest.param(
        Case(
            etcd("STEADYISH"), blank("n1"), Action.ERROR, None, None, ("unknown value 'STEADYISH'",)
        ),
        id="unknown-etcd-state-error",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_decide(case: Case) -> None:
    decision = decide(case.cfg, case.etcd, case.local, now=NOW, **case.kwargs)
    assert decision.action is case.action, decision.reason
    if case.target is not ANY:
        assert decision.target == case.target, decision.reason
    if case.new_state is not ANY:
        assert decision.new_state == case.new_state, decision.reason
    for fragment in case.reason:
        assert fragment in decision.reason
    if case.warning:
        assert any(case.warning in w for w in decision.warnings), decision.warnings
    assert decision.reason  # an operator always gets a sentence


def test_decision_table_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    "records",
    [
        pytest.param(ALL3, id="distinct"),
        pytest.param((rec("n1", 7), rec("n2", 7), rec("n3", 7)), id="all-equal"),
        pytest.param(
            (rec("n1", 7), rec("n2", 9, safe=True), rec("n3", 9, safe=True)), id="two-safe"
        ),
        pytest.param(tuple(rec(n, -1, uuid=ZERO_UUID) for n in ("n1", "n2", "n3")), id="all-empty"),
    ],
)
def test_exactly_one_node_bootstraps(records: tuple[SeqnoRecord, ...]) -> None:
    """Every node computes the same winner, so exactly one bootstraps."""
    actions = {}
    for name in CFG.members:
        local = NodeFacts(name=name, uuid=records[0].uuid, seqno_read_at=NOW - 5)
        actions[name] = decide(CFG, recovery(records, lock=name), local, now=NOW).action
    assert sorted(actions.values()).count(Action.RECOVERY_BOOTSTRAP) == 1, actions
    assert set(actions.values()) <= {Action.RECOVERY_BOOTSTRAP, Action.WAIT}


@pytest.mark.parametrize(
    ("cfg", "warnings", "error"),
    [
        pytest.param(CFG, [], None, id="three-ok"),
        pytest.param(ONE, [], None, id="one-ok"),
        pytest.param(
            ClusterConfig("c", ("a", "b")),
            None,
            "larger than the 2 members",
            id="default-size-3-with-2-members",
        ),
        pytest.param(ClusterConfig("c", ("a", "b"), 2), ["even"], None, id="even-size"),
        pytest.param(ClusterConfig("c", tuple("abcdefg"), 7), ["above 5"], None, id="large-size"),
        pytest.param(
            ClusterConfig("c", ("a", "b", "c", "d"), 3),
            ["smaller than the 4"],
            None,
            id="size-below-members",
        ),
        pytest.param(ClusterConfig("c", ()), None, "members list is empty", id="no-members"),
        pytest.param(
            ClusterConfig("c", ("a", "a", "b"), 1), None, "more than once: a", id="duplicate-member"
        ),
        pytest.param(ClusterConfig("c", ("a",), 0), None, "at least 1", id="size-zero"),
        pytest.param(ClusterConfig("", ("a",), 1), None, "name is empty", id="no-name"),
        pytest.param(
            ClusterConfig("c", ("a", "b", "c"), 3, "z"),
            None,
            "force_bootstrap node 'z' is not a member",
            id="forced-not-member",
        ),
    ],
)
def test_validate_config(cfg: ClusterConfig, warnings: list[str] | None, error: str | None):
    if error:
        with pytest.raises(ConfigError, match=error):
            validate_config(cfg)
        return
    got = validate_config(cfg)
    assert len(got) == len(warnings)
    for fragment, warning in zip(warnings, got, strict=True):
        assert fragment in warning


@pytest.mark.parametrize(
    ("data", "expected", "error"),
    [
        pytest.param(
            {"name": "c", "members": ["a", "b", "c"]},
            ClusterConfig("c", ("a", "b", "c")),
            None,
            id="defaults",
        ),
        pytest.param(
            {
                "name": "c",
                "members": ["a"],
                "cluster_size": 1,
                "force_bootstrap": {"enabled": True, "node": "a"},
            },
            ClusterConfig("c", ("a",), 1, "a"),
            None,
            id="spec-force-shape",
        ),
        pytest.param(
            {
                "name": "c",
                "members": ["a"],
                "cluster_size": 1,
                "force_bootstrap": {"enabled": False, "node": "a"},
            },
            ClusterConfig("c", ("a",), 1, None),
            None,
            id="force-disabled",
        ),
        pytest.param(
            {"name": "c", "members": ["a"], "force_bootstrap": "a"},
            ClusterConfig("c", ("a",), 3, "a"),
            None,
            id="force-as-name",
        ),
        pytest.param(
            {"name": "c", "members": ["a"], "force_bootstrap": {"enabled": True}},
            None,
            "'node' is not set",
            id="force-enabled-without-node",
        ),
        pytest.param({"members": ["a"]}, None, "missing key 'name'", id="no-name"),
        pytest.param({"name": "c", "members": "a,b"}, None, "must be a list", id="members-str"),
        pytest.param(
            {"name": "c", "members": ["a"], "cluster_size": "3"},
            None,
            "must be an integer",
            id="size-str",
        ),
        pytest.param(
            {"name": "c", "members": ["a"], "force_bootstrap": 3},
            None,
            "mapping or a node name",
            id="force-bad-type",
        ),
    ],
)
def test_cluster_config_from_mapping(data, expected, error):
    if error:
        with pytest.raises(ConfigError, match=error):
            ClusterConfig.from_mapping(data)
    else:
        assert ClusterConfig.from_mapping(data) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("STEADY", ClusterState.STEADY, id="steady"),
        pytest.param(" recovery\n", ClusterState.RECOVERY, id="etcdctl-lowercase-newline"),
        pytest.param("BUILDING", ClusterState.BUILDING, id="building"),
    ],
)
def test_parse_state(raw, expected):
    assert parse_state(raw) == expected


def test_parse_state_rejects_unknown():
    with pytest.raises(ValueError, match="etcd key 'state' has unknown value 'DONE'"):
        parse_state("DONE")


@pytest.mark.parametrize(
    ("records", "cluster_uuid", "winner", "rule"),
    [
        pytest.param(ALL3, U, "n2", "highest seqno", id="highest"),
        pytest.param(
            (rec("n3", 5), rec("n2", 5)),
            U,
            "n2",
            "highest seqno",
            id="tie-model-order-not-dict-order",
        ),
        pytest.param(
            (rec("n1", 5, safe=True), rec("n2", 6, safe=True)),
            U,
            "n2",
            "safe_to_bootstrap",
            id="two-safe-highest-of-them",
        ),
        pytest.param(
            (rec("n1", 5), rec("n2", 6)),
            U.upper(),
            "n2",
            "highest seqno",
            id="stored-uuid-uppercase",
        ),
        pytest.param(
            (rec("n1", 5), rec("x9", 50)), U, "n1", "highest seqno", id="non-member-ignored"
        ),
    ],
)
def test_choose_winner(records, cluster_uuid, winner, rule):
    chosen = choose_winner(CFG, recs(*records), cluster_uuid)
    assert (chosen.name, chosen.rule) == (winner, rule)


@pytest.mark.parametrize(
    ("cfg", "records", "error"),
    [
        pytest.param(CFG, (), "no member with the cluster uuid", id="nothing-published"),
        pytest.param(
            CFG, (rec("n1", 5, uuid=OTHER),), "excluded for split brain", id="only-foreign"
        ),
        pytest.param(
            forced("n1"),
            (rec("n1", 5, uuid=OTHER),),
            "is not the cluster uuid",
            id="forced-foreign",
        ),
    ],
)
def test_choose_winner_refuses(cfg, records, error):
    with pytest.raises(NoWinnerError, match=error):
        choose_winner(cfg, recs(*records), U)


def test_classify_publications():
    seen = classify_publications(
        ["n1", "n2", "n3", "n4"],
        recs(rec("n1", 1, at=NOW - 1), rec("n2", 1, at=START - 1), rec("n4", 1, at=NOW - 500)),
        since=START,
        now=NOW,
        window=120.0,
    )
    assert list(seen.fresh) == ["n1"]
    assert set(seen.stale) == {"n2", "n4"}
    assert seen.missing == ("n3",)
    assert not seen.complete
    assert "no seqno from n3" in seen.describe_gaps()


def test_status_record_is_json_ready():
    decision = decide(CFG, etcd(lock="n1"), blank("n1"), now=NOW)
    assert decision.status_record() == {
        "action": "BOOTSTRAP_NEW_CLUSTER",
        "target": "n1",
        "new_state": "BUILDING",
        "reason": decision.reason,
        "warnings": [],
    }


@pytest.mark.parametrize(
    ("joiner", "leader", "live", "expected"),
    [
        # the killed leader rejoins: the other non-leader first, the new leader last
        ("ctl01", "ctl02", {"ctl02", "ctl03"}, ["ctl03", "ctl02"]),
        # a non-leader rejoins
        ("ctl03", "ctl01", {"ctl01", "ctl02"}, ["ctl02", "ctl01"]),
        # only the leader is up (recovery: the winner bootstrapped, the first joiner)
        ("ctl02", "ctl01", {"ctl01"}, ["ctl01"]),
        # members not live are never named; the joiner never names itself
        ("ctl01", "ctl03", {"ctl01", "ctl03"}, ["ctl03"]),
        # no leader recorded: model order
        ("ctl02", None, {"ctl01", "ctl03"}, ["ctl01", "ctl03"]),
        # nobody live: no list, Galera chooses
        ("ctl01", "ctl02", set(), []),
    ],
)
def test_donor_order_keeps_the_leader_out_of_state_transfers(joiner, leader, live, expected):
    members = ("ctl01", "ctl02", "ctl03")
    assert donor_order(members, joiner, leader, frozenset(live)) == expected


M3 = ("n1", "n2", "n3")


@pytest.mark.parametrize(
    ("live", "leader", "me", "claims"),
    [
        (frozenset(M3), "n1", "n1", False),  # the leader lives: nothing to do
        (frozenset({"n2", "n3"}), "n2", "n1", False),  # kept while it lives, even if n1 is back
        (frozenset({"n1", "n2", "n3"}), "n3", "n1", False),  # a member coming back waits
        (frozenset({"n2", "n3"}), "n1", "n2", True),  # the leader died: first live member
        (frozenset({"n2", "n3"}), "n1", "n3", False),  # ... and only it
        (frozenset({"n3"}), None, "n3", True),  # no leader yet
        (frozenset(), None, "n1", False),  # nobody live: nobody claims
        (frozenset({"n1", "n2"}), "gone", "n1", True),  # a leader that is not a member
    ],
)
def test_leader_to_claim(live, leader, me, claims):
    assert leader_to_claim(M3, live, leader, me) is claims


def test_join_peers_in_model_order_without_me():
    assert join_peers(M3, frozenset({"n3", "n1", "n2"}), "n2") == ["n1", "n3"]
    assert join_peers(M3, frozenset({"n2"}), "n2") == []


JOIN = Decision(Action.JOIN, "the cluster is STEADY with live members")


@pytest.mark.parametrize(
    ("decision", "peers", "answering", "action"),
    [
        (JOIN, ["n1"], True, Action.JOIN),  # a peer answers: join
        (JOIN, ["n1", "n3"], False, Action.WAIT),  # registered but dead: wait
        (JOIN, [], False, Action.JOIN),  # nobody to ask (decide chose the join)
        (Decision(Action.PUBLISH_SEQNO, "recovery"), ["n1"], False, Action.PUBLISH_SEQNO),
    ],
)
def test_gate_join(decision, peers, answering, action):
    out = gate_join(decision, peers, answering, 4567)
    assert out.action is action
    if action is Action.WAIT:
        assert "n1, n3" in out.reason and "4567" in out.reason and JOIN.reason in out.reason
