"""Readiness and liveness of a Galera node, as pure functions.

The rules of Fuel CCP's "galera-checker" (its Galera docs): a node is ready when five
wsrep conditions hold, and alive unless one of six liveness rules says otherwise (all checks
passed → alive). The design spec adds that only a Synced node may receive traffic: OPEN,
PRIMARY, JOINER, JOINED and DONOR nodes must not. The Salt adapter (and the HTTP checker
HAProxy polls) gathers the facts and returns 200 / 503 from ``CheckResult.ok``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

STEADY = "STEADY"
SYNCED = "Synced"
JOINED = "Joined"
_SST_MARKER = "wsrep_sst_"
_T = TypeVar("_T")

# (variable, required value): readiness conditions 1-4; the 5th compares the cluster uuid
READINESS_CONDITIONS: tuple[tuple[str, str], ...] = (
    ("wsrep_local_state_comment", SYNCED),
    ("wsrep_evs_state", "OPERATIONAL"),
    ("wsrep_connected", "ON"),
    ("wsrep_ready", "ON"),
)


class CheckResult(NamedTuple):
    """``(ok, reason)``: whether the check passed and a sentence saying why."""

    ok: bool
    reason: str


@dataclass(frozen=True)
class LivenessFacts:
    """The facts liveness looks at, gathered in the order the rules use them.

    Each fact is either its value or the exception raised while reading it (rule 6).
    ``cluster_state`` is the etcd ``state`` value, ``None`` when the key does not exist yet;
    ``etcd_uuid`` is the etcd ``uuid`` value, ``None`` when absent; ``wsrep`` holds
    ``SHOW STATUS LIKE 'wsrep%'``; ``previous_state_comment`` is the
    ``wsrep_local_state_comment`` seen by the previous liveness check (``None``: first check).
    """

    cluster_state: str | BaseException | None
    sst_in_progress: bool | BaseException
    pid_file_exists: bool | BaseException
    wsrep: Mapping[str, str] | BaseException
    etcd_uuid: str | BaseException | None
    previous_state_comment: str | None = None


class _FactError(Exception):
    """A fact needed by a rule could not be read (liveness rule 6)."""


def check_readiness(wsrep: Mapping[str, str], etcd_uuid: str | None) -> CheckResult:
    """Is this node ready for traffic? All five conditions must hold:

    1. ``wsrep_local_state_comment`` = ``Synced`` (the only state that may take traffic)
    2. ``wsrep_evs_state`` = ``OPERATIONAL``
    3. ``wsrep_connected`` = ``ON``
    4. ``wsrep_ready`` = ``ON``
    5. ``wsrep_cluster_state_uuid`` = the etcd ``uuid`` (the node is in this cluster)

    A missing variable or a missing etcd uuid fails its condition. The reason lists every
    failed condition, not only the first. Values are compared exactly as the server prints
    them; uuids case-insensitively.
    """
    failures = []
    for number, (variable, wanted) in enumerate(READINESS_CONDITIONS, 1):
        value = wsrep.get(variable)
        if value != wanted:
            failures.append(f"{variable} is {_show(value)}, not {wanted!r} (condition {number})")
    uuid = wsrep.get("wsrep_cluster_state_uuid")
    if not etcd_uuid:
        failures.append(
            "etcd has no cluster uuid to compare wsrep_cluster_state_uuid with (condition 5)"
        )
    elif uuid is None or uuid.strip().lower() != etcd_uuid.strip().lower():
        failures.append(
            f"wsrep_cluster_state_uuid is {_show(uuid)}, not the etcd uuid {etcd_uuid!r} "
            "(condition 5)"
        )
    if failures:
        return CheckResult(False, "not ready: " + "; ".join(failures))
    return CheckResult(
        True,
        f"ready: Synced, OPERATIONAL, connected, wsrep ready, cluster "
        f"uuid {etcd_uuid} matches etcd",
    )


def check_liveness(facts: LivenessFacts) -> CheckResult:
    """Is this node alive? The six rules in the galera-checker's order:

    1. etcd ``state`` is not ``STEADY`` (absent included) → skip: alive.
    2. an SST is in progress → skip: alive.
    3. no mysqld pid file yet → skip: alive.
    4. ``wsrep_cluster_state_uuid`` differs from the etcd uuid → dead: split brain.
    5. ``wsrep_local_state_comment`` is ``Joined`` now and was ``Joined`` at the previous
       check → dead: it cannot finish joining.
    6. any exception during the checks → dead. A fact given as an exception fires
       this rule when the rule that needs it is reached; so does a missing wsrep variable or
       a missing etcd uuid while ``STEADY`` (the spec's checker reads it and fails).

    Otherwise alive: all checks passed. ``ok`` False means "kill the galera container".
    """
    try:
        return _liveness(facts)
    except _FactError as exc:
        return CheckResult(False, f"dead: {exc} (rule 6)")


def sst_in_progress(cmdlines: Iterable[str]) -> bool:
    """True when a process command line shows a running state snapshot transfer.

    MariaDB runs a ``wsrep_sst_<method>`` script (``wsrep_sst_mariabackup``,
    ``wsrep_sst_rsync``) on both donor and joiner for the length of an SST; a plain
    ``mariabackup`` (a backup job) is not an SST.
    """
    return any(_SST_MARKER in line for line in cmdlines)


def _liveness(facts: LivenessFacts) -> CheckResult:
    state = _fact(facts.cluster_state, "reading etcd state")
    if state != STEADY:
        return CheckResult(
            True,
            f"alive: cluster state is {state or 'absent'}, not STEADY; check skipped (rule 1)",
        )
    if _fact(facts.sst_in_progress, "looking for an SST"):
        return CheckResult(True, "alive: SST in progress; check skipped (rule 2)")
    if not _fact(facts.pid_file_exists, "looking for the mysqld pid file"):
        return CheckResult(True, "alive: no mysqld pid file yet; check skipped (rule 3)")
    wsrep = _fact(facts.wsrep, "reading wsrep status")
    etcd_uuid = _fact(facts.etcd_uuid, "reading etcd uuid")
    if not etcd_uuid:
        raise _FactError("etcd uuid key is absent while the cluster state is STEADY")
    node_uuid = _variable(wsrep, "wsrep_cluster_state_uuid")
    if node_uuid.strip().lower() != etcd_uuid.strip().lower():
        return CheckResult(
            False,
            f"dead: split brain, wsrep_cluster_state_uuid {node_uuid} "
            f"differs from etcd uuid {etcd_uuid} (rule 4)",
        )
    comment = _variable(wsrep, "wsrep_local_state_comment")
    if comment == JOINED and facts.previous_state_comment == JOINED:
        return CheckResult(
            False,
            "dead: Joined at this check and the previous one; it cannot finish joining (rule 5)",
        )
    return CheckResult(True, f"alive: all checks passed (wsrep_local_state_comment={comment})")


def _fact(value: _T | BaseException, what: str) -> _T:
    if isinstance(value, BaseException):
        raise _FactError(f"{what} failed: {type(value).__name__}: {value}")
    return value


def _variable(wsrep: Mapping[str, str], name: str) -> str:
    value = wsrep.get(name)
    if value is None:
        raise _FactError(f"{name} is missing from SHOW STATUS")
    return value


def _show(value: str | None) -> str:
    return "missing" if value is None else repr(value)
