"""What a Galera node does next, as a pure function of gathered facts.

It follows the Galera part of the Fuel CCP docs (its etcd protocol, bootstrap, reconnect,
recovery and ``force_bootstrap``) and the design spec's recovery rules (only a node whose data
is readable and consistent may be the source). The etcd layout is ``state`` (BUILDING /
STEADY / RECOVERY), ``uuid`` (the cluster uuid; a node with another uuid is in split brain),
``leader``, ``nodes/`` (live members), ``queue/`` (the recovery barrier) and ``seqno/``
(published positions). The Salt adapter reads all that into :class:`EtcdState`, reads the
local node into :class:`~stacksalt.galera.facts.NodeFacts`, calls :func:`decide`, acts on
the returned :class:`Decision` and writes ``Decision.reason`` to the etcd ``status`` record.

Scenarios:

- **Initial bootstrap**: no ``state``. Whoever holds the lock bootstraps a new cluster and
  sets BUILDING; later lock holders join one at a time; the last member to join sets STEADY.
- **Reconnect**: STEADY with live members: the lock holder joins (preferring the leader).
- **Recovery**: the operator set ``state`` to RECOVERY by hand, or a node found STEADY with
  no live member (the cluster was destroyed) and set RECOVERY itself. Every node publishes a
  fresh position; the source is chosen only when *all* members have published fresh
  positions (the barrier), by
  :func:`choose_winner`; the winner bootstraps, the others join; the last join sets STEADY.
- **Split brain**: a node whose cluster uuid differs from the etcd ``uuid`` is fenced:
  stopped and never served (the checker also declares it dead).

Decisions the spec leaves open, and the choice made here ([infer]):

- Starting mysqld (bootstrap or join) needs ``EtcdState.lock_holder == local.name``, so
  joiners start one at a time (RECIPES: "Joiners must start one at a time"). The adapter
  takes the lock only when :func:`decide`, given the lock, would start mysqld, then reads
  etcd again and decides under it.
- No ``state`` but a local data directory holding data: etcd lost its keys while the data
  survived. Bootstrapping a *new* cluster from whoever grabs the lock could pick an old copy,
  so the node starts a recovery instead (as for a STEADY cluster with no live member).
- A recovery without ``recovery_started_at`` (the operator only ran ``etcdctl set state
  RECOVERY``) starts at the earliest ``queue/`` entry.
- ``force_bootstrap`` does not override fencing: a forced node whose uuid differs from the
  etcd uuid is still fenced; delete the etcd ``uuid`` key if its data is the one to keep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from stacksalt.galera.facts import ZERO_UUID, NodeFacts, SeqnoRecord

DEFAULT_CLUSTER_SIZE = 3  # Fuel CCP's default
# Fuel CCP advises an odd size (a majority survives a split) of at most 5: every member
# certifies every write, so writes get slower with each one.
MAX_ADVISED_CLUSTER_SIZE = 5


class ClusterState(StrEnum):
    """Values of the etcd ``state`` key."""

    BUILDING = "BUILDING"
    STEADY = "STEADY"
    RECOVERY = "RECOVERY"


class Action(StrEnum):
    """What the adapter does with the local node."""

    BOOTSTRAP_NEW_CLUSTER = "BOOTSTRAP_NEW_CLUSTER"
    """Start mysqld with ``--wsrep-new-cluster`` on an empty cluster; write the new uuid."""
    JOIN = "JOIN"
    """Start mysqld joining ``target`` (with ``--wsrep-start-position`` when it has data)."""
    WAIT = "WAIT"
    """Do nothing now; decide again after the poll interval."""
    START_RECOVERY = "START_RECOVERY"
    """Set ``state`` to RECOVERY and ``recovery_started_at`` to now, then decide again."""
    PUBLISH_SEQNO = "PUBLISH_SEQNO"
    """Re-read the local position (``--wsrep-recover``), write ``queue/`` and ``seqno/``."""
    RECOVERY_BOOTSTRAP = "RECOVERY_BOOTSTRAP"
    """Set ``safe_to_bootstrap: 1`` and start with ``--wsrep-new-cluster`` from local data."""
    KEEP_RUNNING = "KEEP_RUNNING"
    """mysqld already runs in the right cluster; leave it alone."""
    FENCE = "FENCE"
    """Stop mysqld and keep it stopped: never serve this node's data (split brain)."""
    ERROR = "ERROR"
    """Stop and tell the operator; ``reason`` says what to fix."""


class ConfigError(ValueError):
    """The cluster configuration cannot work; the message lists every problem."""


class NoWinnerError(ValueError):
    """No member can be chosen as the recovery source without guessing."""


@dataclass(frozen=True)
class ClusterConfig:
    """The cluster as the model describes it.

    ``members`` are node names in model order (the order is the tie-break in recovery);
    ``force_bootstrap`` is the node named by ``percona.force_bootstrap`` when ``enabled``
    (Fuel CCP's way for the operator to name the recovery source), else ``None``.
    """

    name: str
    members: tuple[str, ...]
    cluster_size: int = DEFAULT_CLUSTER_SIZE
    force_bootstrap: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> ClusterConfig:
        """Build from pillar-like data.

        ``force_bootstrap`` may be ``{"enabled": bool, "node": str}`` (the shape of Fuel
        CCP's ``percona.force_bootstrap``), a node name, or absent/``None``.
        """
        for key in ("name", "members"):
            if key not in data:
                raise ConfigError(f"galera cluster config: missing key {key!r}")
        members = data["members"]
        if isinstance(members, str) or not isinstance(members, Sequence):
            raise ConfigError("galera cluster config: key 'members' must be a list of names")
        size = data.get("cluster_size", DEFAULT_CLUSTER_SIZE)
        if isinstance(size, bool) or not isinstance(size, int):
            raise ConfigError(
                f"galera cluster config: key 'cluster_size' must be an integer, got {size!r}"
            )
        return cls(
            name=str(data["name"]),
            members=tuple(str(m) for m in members),
            cluster_size=size,
            force_bootstrap=_forced_node(data.get("force_bootstrap")),
        )


@dataclass(frozen=True)
class EtcdState:
    """The cluster state as read from etcd (all optional: a new cluster has none of it).

    ``state`` is the raw string of the ``state`` key (validated by :func:`decide`);
    ``live_nodes`` are the ``nodes/`` entries; ``queue`` maps node → unix time it entered the
    recovery queue; ``seqnos`` maps node → its published :class:`SeqnoRecord`;
    ``lock_holder`` is who holds the bootstrap/join lock after the adapter tried to take it.
    """

    state: str | None = None
    cluster_uuid: str | None = None
    leader: str | None = None
    live_nodes: frozenset[str] = frozenset()
    queue: Mapping[str, float] = field(default_factory=dict)
    seqnos: Mapping[str, SeqnoRecord] = field(default_factory=dict)
    lock_holder: str | None = None
    recovery_started_at: float | None = None

    def recovery_start(self) -> float | None:
        """When the recovery began: ``recovery_started_at``, else the first queue entry."""
        if self.recovery_started_at is not None:
            return self.recovery_started_at
        return min(self.queue.values()) if self.queue else None


@dataclass(frozen=True)
class Decision:
    """The outcome: an action, its target, the state to write, and why.

    ``new_state`` is written by the adapter only after the action succeeded (``None``: leave
    ``state`` as it is). ``reason`` is the sentence an operator reads in etcd ``status``.
    """

    action: Action
    reason: str
    target: str | None = None
    new_state: ClusterState | None = None
    warnings: tuple[str, ...] = ()

    def status_record(self) -> dict[str, object]:
        """The JSON-able body of the etcd ``status`` record."""
        return {
            "action": str(self.action),
            "target": self.target,
            "new_state": str(self.new_state) if self.new_state else None,
            "reason": self.reason,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Winner:
    """The recovery source chosen by :func:`choose_winner`."""

    name: str
    rule: str
    reason: str
    record: SeqnoRecord | None = None


@dataclass(frozen=True)
class Freshness:
    """Members' publications sorted into fresh, stale (with why) and missing."""

    fresh: dict[str, SeqnoRecord]
    stale: dict[str, str]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every expected member has a fresh publication."""
        return not self.stale and not self.missing

    def describe_gaps(self) -> str:
        """``no seqno from a, b; stale: c (why)`` for reasons."""
        parts = []
        if self.missing:
            parts.append("no seqno from " + ", ".join(self.missing))
        if self.stale:
            parts.append("stale: " + ", ".join(f"{n} ({w})" for n, w in self.stale.items()))
        return "; ".join(parts)


@dataclass(frozen=True)
class _Ctx:
    """Everything one decision looks at."""

    cfg: ClusterConfig
    etcd: EtcdState
    local: NodeFacts
    now: float
    window: float
    timeout: float
    force_partial: bool

    @property
    def others_live(self) -> tuple[str, ...]:
        """Live members other than the local node, in model order."""
        live = self.etcd.live_nodes
        return tuple(m for m in self.cfg.members if m in live and m != self.local.name)

    @property
    def holds_lock(self) -> bool:
        return self.etcd.lock_holder == self.local.name

    def all_others_live(self) -> bool:
        return set(self.others_live) == set(self.cfg.members) - {self.local.name}

    def wait_for_lock(self, what: str) -> Decision:
        holder = self.etcd.lock_holder
        who = f"node {holder} holds the lock" if holder else "the lock is free; take it first"
        return Decision(
            Action.WAIT, f"{what}: waiting for the lock ({who}); members start one at a time"
        )


def validate_config(cfg: ClusterConfig) -> list[str]:
    """Check a cluster config; return warnings, raise :class:`ConfigError` on errors.

    Errors: empty name; no members; a member listed twice; ``cluster_size`` below 1 or above
    the number of members; ``force_bootstrap`` not a member. Warnings: an even
    ``cluster_size`` and one above 5 (both advised against); fewer ``cluster_size`` than
    members (recovery waits for every listed member).
    """
    errors: list[str] = []
    warnings: list[str] = []
    if not cfg.name:
        errors.append("cluster name is empty")
    if not cfg.members:
        errors.append("members list is empty")
    duplicates = sorted({m for m in cfg.members if cfg.members.count(m) > 1})
    if duplicates:
        errors.append(f"members listed more than once: {', '.join(duplicates)}")
    count = len(set(cfg.members))
    if cfg.cluster_size < 1:
        errors.append(f"cluster_size must be at least 1, got {cfg.cluster_size}")
    elif cfg.members and cfg.cluster_size > count:
        errors.append(
            f"cluster_size {cfg.cluster_size} is larger than the {count} members "
            f"({', '.join(cfg.members)})"
        )
    if cfg.force_bootstrap is not None and cfg.force_bootstrap not in cfg.members:
        errors.append(
            f"force_bootstrap node {cfg.force_bootstrap!r} is not a member "
            f"({', '.join(cfg.members) or 'none'})"
        )
    if errors:
        raise ConfigError(f"galera cluster {cfg.name!r}: " + "; ".join(errors))
    if cfg.cluster_size % 2 == 0:
        warnings.append(
            f"cluster_size {cfg.cluster_size} is even; use an odd size so a "
            "majority survives a network split"
        )
    if cfg.cluster_size > MAX_ADVISED_CLUSTER_SIZE:
        warnings.append(
            f"cluster_size {cfg.cluster_size} is above {MAX_ADVISED_CLUSTER_SIZE};"
            " writes get slower with every node"
        )
    if cfg.cluster_size < count:
        warnings.append(
            f"cluster_size {cfg.cluster_size} is smaller than the {count} members; "
            "recovery waits for every listed member"
        )
    return warnings


def parse_state(raw: str | None) -> ClusterState | None:
    """Validate the etcd ``state`` value; ``None`` or empty means no state yet."""
    if raw is None or not raw.strip():
        return None
    try:
        return ClusterState(raw.strip().upper())
    except ValueError:
        allowed = ", ".join(s.value for s in ClusterState)
        raise ValueError(
            f"etcd key 'state' has unknown value {raw!r}; expected one of {allowed}"
        ) from None


def classify_publications(
    expected: Sequence[str],
    seqnos: Mapping[str, SeqnoRecord],
    *,
    since: float | None,
    now: float,
    window: float,
) -> Freshness:
    """Sort the members' published positions into fresh, stale and missing.

    A record is stale when it was read before the recovery started (``since``) — it may
    predate the outage — or more than ``window`` seconds before ``now``.
    """
    fresh: dict[str, SeqnoRecord] = {}
    stale: dict[str, str] = {}
    missing: list[str] = []
    for name in expected:
        record = seqnos.get(name)
        if record is None:
            missing.append(name)
        elif since is not None and record.read_at < since:
            stale[name] = (
                f"read at {record.read_at:.0f}, before the recovery started at {since:.0f}"
            )
        elif now - record.read_at > window:
            stale[name] = (
                f"read {now - record.read_at:.0f}s ago, older than the {window:.0f}s window"
            )
        else:
            fresh[name] = record
    return Freshness(fresh=fresh, stale=stale, missing=tuple(missing))


def choose_winner(
    cfg: ClusterConfig,
    records: Mapping[str, SeqnoRecord],
    cluster_uuid: str | None,
) -> Winner:
    """Choose the recovery source from published positions.

    Rules, first match wins:

    1. ``force_bootstrap`` names a node: that node (the operator's choice), whether or not
       it has published; if it has published, it must have data and the cluster's uuid.
    2. Records whose uuid is not the etcd cluster uuid are excluded (split brain).
    3. Among members *with data* (non-zero uuid and seqno >= 0): a ``safe_to_bootstrap: 1``
       node (Galera marks the last node to leave the cluster), else the highest seqno
       (the most recent data). ``safe_to_bootstrap: 1`` with seqno -1 is not a valid
       candidate.
    4. No member has data: if any member has a real uuid but seqno -1 even after
       ``--wsrep-recover``, its position is unknown and :class:`NoWinnerError` is raised
       (never guess; the operator sets ``force_bootstrap``). If all are empty (zero uuid),
       the cluster is new: any node may bootstrap.

    **Tie-break**: among equal candidates (same seqno, same rule) the member listed first in
    ``cfg.members`` (model order) wins. Every node computes the same answer from the same
    records, so exactly one node bootstraps.
    """
    order = {name: index for index, name in enumerate(cfg.members)}
    if cfg.force_bootstrap is not None:
        return _forced_winner(cfg.force_bootstrap, records.get(cfg.force_bootstrap), cluster_uuid)
    candidates = sorted((r for n, r in records.items() if n in order), key=lambda r: order[r.name])
    excluded = [r for r in candidates if _foreign(r.uuid, cluster_uuid)]
    candidates = [r for r in candidates if r not in excluded]
    note = _excluded_note(excluded, cluster_uuid)
    if not candidates:
        raise NoWinnerError("no member with the cluster uuid has published a seqno" + note)
    with_data = [r for r in candidates if r.has_data]
    if with_data:
        return _best_with_data(with_data, order, note)
    unknown = [r for r in candidates if not r.is_blank]
    if unknown:
        listed = ", ".join(f"{r.name} ({r.position})" for r in unknown)
        raise NoWinnerError(
            f"no member has a valid seqno: {listed} hold data whose position is unknown even "
            "after --wsrep-recover; refusing to guess — inspect the data directories and set "
            "force_bootstrap" + note
        )
    first = next((r for r in candidates if r.safe_to_bootstrap), candidates[0])
    return Winner(
        first.name,
        "all empty",
        f"{first.name} wins: no member has data (all uuids are zero), so the cluster "
        "starts empty (safe_to_bootstrap first, else model order)" + note,
        first,
    )


def decide(
    cfg: ClusterConfig,
    etcd: EtcdState,
    local: NodeFacts,
    *,
    now: float,
    freshness_window: float = 120.0,
    recovery_timeout: float = 600.0,
    force_partial: bool = False,
) -> Decision:
    """Decide what the local node does next.

    ``now`` is the current unix time; a published seqno is fresh when read after the recovery
    started and within ``freshness_window`` seconds; a recovery that has not found its source
    ``recovery_timeout`` seconds after it started ends in :attr:`Action.ERROR`.
    ``force_partial`` lets the recovery choose among the fresh publications it has even when
    members are missing — the operator's explicit "decide on partial data".
    """
    try:
        warnings = tuple(validate_config(cfg))
        state = parse_state(etcd.state)
    except ValueError as exc:
        return Decision(Action.ERROR, str(exc))
    if local.name not in cfg.members:
        return Decision(
            Action.ERROR,
            f"node {local.name} is not a member of galera cluster "
            f"{cfg.name!r} ({', '.join(cfg.members)}); not starting",
        )
    ctx = _Ctx(cfg, etcd, local, now, freshness_window, recovery_timeout, force_partial)
    decision = _fence(ctx) or _running(ctx, state) or _HANDLERS[state](ctx)
    return replace(decision, warnings=warnings)


def donor_order(
    members: tuple[str, ...] | list[str], joiner: str, leader: str | None, live: frozenset[str]
) -> list[str]:
    """The donors a joiner asks for, best first: the live members other than the leader in
    model order, then the leader. A donor goes Donor/Desynced while it serves the state
    transfer (IST included) and is then not ready, so a join that picked the leader would
    send the single writer to a backup for as long as it lasts. The list is handed to
    ``wsrep_sst_donor`` with a trailing comma, so Galera may still fall back to any member."""
    others = [m for m in members if m in live and m not in (joiner, leader)]
    if leader in live and leader != joiner:
        others.append(leader)
    return others


def leader_to_claim(
    members: Sequence[str], live: frozenset[str], leader: str | None, me: str
) -> bool:
    """Whether ``me`` takes the leadership: the leader is the first live member in model
    order, and it is kept while it lives (a member coming back does not take it back)."""
    if leader in live:
        return False
    return next((n for n in members if n in live), None) == me


def join_peers(members: Sequence[str], live: frozenset[str], me: str) -> list[str]:
    """The live members a joiner would join, in model order."""
    return [n for n in members if n in live and n != me]


def gate_join(decision: Decision, peers: Sequence[str], answering: bool, port: int) -> Decision:
    """A JOIN goes ahead only when one of the live ``peers`` answers on its Galera ``port``
    (``answering``). A member's registration outlives its mariadbd by up to one look of its
    agent: when every member crashed at once, the first agent to look still sees the others
    live, and joining them is doomed (abandoned only once they unregister)."""
    if decision.action is not Action.JOIN or not peers or answering:
        return decision
    return Decision(
        Action.WAIT,
        f"{decision.reason}; but no live member ({', '.join(peers)}) answers on its "
        f"Galera port {port}: waiting for their agents to see it",
    )


def _fence(ctx: _Ctx) -> Decision | None:
    stored = ctx.etcd.cluster_uuid
    mine = ctx.local.cluster_uuid
    if not _foreign(mine, stored):
        return None
    hint = ""
    if ctx.cfg.force_bootstrap == ctx.local.name:
        hint = (
            "; force_bootstrap does not override fencing: delete the etcd uuid key if "
            "this node's data is the one to keep"
        )
    return Decision(
        Action.FENCE,
        f"split brain: node {ctx.local.name} has cluster uuid {mine} but etcd "
        f"uuid is {stored}; fenced (stopped, never served){hint}",
        target=ctx.local.name,
    )


def _running(ctx: _Ctx, state: ClusterState | None) -> Decision | None:
    if not ctx.local.alive:
        return None
    comment = ctx.local.wsrep.get("wsrep_local_state_comment", "unknown")
    new_state = None
    done = ""
    if state in (ClusterState.BUILDING, ClusterState.RECOVERY) and ctx.all_others_live():
        new_state = ClusterState.STEADY
        done = f"; all {len(ctx.cfg.members)} members are live, {state} -> STEADY"
    return Decision(
        Action.KEEP_RUNNING,
        f"node {ctx.local.name} is already running (wsrep_local_state_comment={comment}){done}",
        target=ctx.local.name,
        new_state=new_state,
    )


def _initial(ctx: _Ctx) -> Decision:
    if not ctx.local.is_blank:
        return Decision(
            Action.START_RECOVERY,
            f"etcd has no cluster state but node {ctx.local.name} holds data "
            f"({ctx.local.position}); starting recovery so the member with the "
            "newest data bootstraps",
            new_state=ClusterState.RECOVERY,
        )
    if not ctx.holds_lock:
        return ctx.wait_for_lock("initial bootstrap")
    single = len(ctx.cfg.members) == 1
    new_state = ClusterState.STEADY if single else ClusterState.BUILDING
    return Decision(
        Action.BOOTSTRAP_NEW_CLUSTER,
        f"initial bootstrap: no cluster state in etcd and node {ctx.local.name} "
        f"holds the lock; bootstrapping a new cluster (state {new_state})",
        target=ctx.local.name,
        new_state=new_state,
    )


def _building(ctx: _Ctx) -> Decision:
    if ctx.others_live:
        return _join(ctx, "building", ClusterState.BUILDING)
    if ctx.etcd.cluster_uuid:
        return Decision(
            Action.START_RECOVERY,
            f"state is BUILDING but no member is live and cluster uuid "
            f"{ctx.etcd.cluster_uuid} exists; members may hold data, starting "
            "recovery",
            new_state=ClusterState.RECOVERY,
        )
    if not ctx.holds_lock:
        return ctx.wait_for_lock("building")
    return Decision(
        Action.BOOTSTRAP_NEW_CLUSTER,
        f"state is BUILDING but no member is live and no cluster uuid was stored: "
        f"the first bootstrap did not finish; node {ctx.local.name} bootstraps "
        "again",
        target=ctx.local.name,
        new_state=ClusterState.BUILDING,
    )


def _steady(ctx: _Ctx) -> Decision:
    if not ctx.others_live:
        return Decision(
            Action.START_RECOVERY,
            "state is STEADY but no member is live: the cluster was destroyed; starting recovery",
            new_state=ClusterState.RECOVERY,
        )
    return _join(ctx, "reconnect", ClusterState.STEADY)


def _recovery(ctx: _Ctx) -> Decision:
    if ctx.others_live:
        return _join(ctx, "recovery", ClusterState.RECOVERY)
    republish = _needs_publish(ctx)
    if republish:
        return Decision(Action.PUBLISH_SEQNO, republish, target=ctx.local.name)
    since = ctx.etcd.recovery_start()
    timed_out = since is not None and ctx.now - since > ctx.timeout
    seen = classify_publications(
        ctx.cfg.members, ctx.etcd.seqnos, since=since, now=ctx.now, window=ctx.window
    )
    if seen.complete or ctx.cfg.force_bootstrap is not None:
        return _recover_from(ctx, seen.fresh, timed_out, partial_note="")
    if ctx.force_partial:
        note = (
            f" (FORCED decision on partial data: {seen.describe_gaps()}; the winner may not "
            "hold the newest data)"
        )
        return _recover_from(ctx, seen.fresh, timed_out, partial_note=note)
    have = f"{len(seen.fresh)}/{len(ctx.cfg.members)} fresh"
    if timed_out:
        return Decision(
            Action.ERROR,
            f"recovery timed out after {ctx.timeout:.0f}s with {have}: "
            f"{seen.describe_gaps()}; refusing to choose a source from partial "
            "data — start the missing members, or set force_bootstrap, or decide "
            "on partial data explicitly",
        )
    return Decision(
        Action.WAIT,
        f"recovery: waiting for every member's fresh seqno ({have}; {seen.describe_gaps()})",
    )


def _recover_from(
    ctx: _Ctx, records: Mapping[str, SeqnoRecord], timed_out: bool, partial_note: str
) -> Decision:
    try:
        winner = choose_winner(ctx.cfg, records, ctx.etcd.cluster_uuid)
    except NoWinnerError as exc:
        return Decision(Action.ERROR, f"recovery: {exc}{partial_note}")
    reason = f"recovery: {winner.reason}{partial_note}"
    if winner.name == ctx.local.name:
        if not ctx.holds_lock:
            return ctx.wait_for_lock(reason)
        single = len(ctx.cfg.members) == 1
        return Decision(
            Action.RECOVERY_BOOTSTRAP,
            f"{reason}; bootstrapping from local data",
            target=winner.name,
            new_state=ClusterState.STEADY if single else None,
        )
    if timed_out:
        return Decision(
            Action.ERROR,
            f"{reason}; but {winner.name} has not bootstrapped within "
            f"{ctx.timeout:.0f}s of the recovery start; check that "
            "node",
            target=winner.name,
        )
    return Decision(
        Action.WAIT, f"{reason}; waiting for {winner.name} to bootstrap", target=winner.name
    )


def _needs_publish(ctx: _Ctx) -> str:
    """Why the local node must (re)publish its position, or ``""``."""
    since = ctx.etcd.recovery_start()
    mine = classify_publications(
        [ctx.local.name], ctx.etcd.seqnos, since=since, now=ctx.now, window=ctx.window
    )
    if mine.fresh:
        return ""
    gap = mine.describe_gaps()
    return (
        f"recovery: node {ctx.local.name} must publish a fresh position ({gap}); "
        "re-read it with --wsrep-recover and write queue/ and seqno/"
    )


def _join(ctx: _Ctx, scenario: str, state: ClusterState) -> Decision:
    if not ctx.holds_lock:
        return ctx.wait_for_lock(scenario)
    live = ctx.others_live
    leader = ctx.etcd.leader
    target = leader if leader in live else live[0]
    via = "the leader" if target == leader else "the first live member in model order"
    new_state = None
    done = ""
    if state is not ClusterState.STEADY and ctx.all_others_live():
        new_state = ClusterState.STEADY
        done = f"; it is the last of {len(ctx.cfg.members)} members, {state} -> STEADY"
    return Decision(
        Action.JOIN,
        f"{scenario}: state {state}, live members {', '.join(live)}; node "
        f"{ctx.local.name} joins {target} ({via}){done}",
        target=target,
        new_state=new_state,
    )


_HANDLERS = {
    None: _initial,
    ClusterState.BUILDING: _building,
    ClusterState.STEADY: _steady,
    ClusterState.RECOVERY: _recovery,
}


def _foreign(uuid: str, cluster_uuid: str | None) -> bool:
    """True when ``uuid`` is a real cluster uuid other than the stored one."""
    return bool(cluster_uuid) and uuid != ZERO_UUID and uuid != cluster_uuid.lower()


def _excluded_note(excluded: list[SeqnoRecord], cluster_uuid: str | None) -> str:
    if not excluded:
        return ""
    names = ", ".join(f"{r.name} ({r.uuid})" for r in excluded)
    return f" [excluded for split brain, uuid is not {cluster_uuid}: {names}]"


def _forced_winner(name: str, record: SeqnoRecord | None, cluster_uuid: str | None) -> Winner:
    if record is None:
        return Winner(
            name,
            "force_bootstrap",
            f"{name} wins: force_bootstrap names it (it has not published a seqno)",
        )
    if _foreign(record.uuid, cluster_uuid):
        raise NoWinnerError(
            f"force_bootstrap names {name} but its uuid {record.uuid} is not "
            f"the cluster uuid {cluster_uuid}"
        )
    if not record.has_data:
        raise NoWinnerError(
            f"force_bootstrap names {name} but it has no data "
            f"({record.position}); refusing to bootstrap an empty node by "
            "force — fix or remove force_bootstrap"
        )
    return Winner(
        name,
        "force_bootstrap",
        f"{name} wins: force_bootstrap names it (seqno {record.seqno})",
        record,
    )


def _best_with_data(with_data: list[SeqnoRecord], order: Mapping[str, int], note: str) -> Winner:
    safe = [r for r in with_data if r.safe_to_bootstrap]
    pool, rule = (safe, "safe_to_bootstrap") if safe else (with_data, "highest seqno")
    best = min(pool, key=lambda r: (-r.seqno, order[r.name]))
    ties = [r.name for r in pool if r.seqno == best.seqno]
    seqnos = ", ".join(f"{r.name}: {r.seqno}" for r in with_data)
    text = f"{best.name} wins by {rule} (seqno {best.seqno}; {seqnos})"
    if len(ties) > 1:
        text += f"; tie between {', '.join(ties)} broken by model order of members"
    higher = [r.name for r in with_data if r.seqno > best.seqno]
    if higher:
        text += (
            f"; note: {', '.join(higher)} report a higher seqno but are not marked "
            "safe_to_bootstrap"
        )
    return Winner(best.name, rule, text + note, best)


def _forced_node(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if not value.get("enabled", False):
            return None
        node = value.get("node")
        if not node:
            raise ConfigError(
                "galera cluster config: force_bootstrap is enabled but 'node' is not set"
            )
        return str(node)
    raise ConfigError(
        f"galera cluster config: force_bootstrap must be a mapping or a node name, got {value!r}"
    )
