"""Table tests for Galera readiness and liveness (stacksalt.galera.checker).

The five readiness conditions and six liveness rules of Fuel CCP's galera-checker.
"""

from __future__ import annotations

import pytest

from stacksalt.galera.checker import (
    CheckResult,
    LivenessFacts,
    check_liveness,
    check_readiness,
    sst_in_progress,
)

U = "6b1c4a3e-1d2f-11ef-8000-0242ac110002"
OTHER = "0f0e0d0c-1d2f-11ef-8000-0242ac110099"

HEALTHY = {
    "wsrep_local_state_comment": "Synced",
    "wsrep_evs_state": "OPERATIONAL",
    "wsrep_connected": "ON",
    "wsrep_ready": "ON",
    "wsrep_cluster_state_uuid": U,
    "wsrep_cluster_size": "3",
}


def wsrep(**changes: str | None) -> dict[str, str]:
    status = dict(HEALTHY)
    for key, value in changes.items():
        if value is None:
            status.pop(key)
        else:
            status[key] = value
    return status


@pytest.mark.parametrize(
    ("status", "etcd_uuid", "ok", "fragments"),
    [
        pytest.param(HEALTHY, U, True, ("ready", U), id="all-five-hold"),
        pytest.param(
            wsrep(wsrep_cluster_state_uuid=U.upper()), U, True, (), id="uuid-case-insensitive"
        ),
        pytest.param(
            wsrep(wsrep_local_state_comment="Donor/Desynced"),
            U,
            False,
            ("wsrep_local_state_comment is 'Donor/Desynced', not 'Synced' (condition 1)",),
            id="1-donor-not-synced",
        ),
        pytest.param(
            wsrep(wsrep_local_state_comment="Joined"),
            U,
            False,
            ("(condition 1)",),
            id="1-joined-not-synced",
        ),
        pytest.param(
            wsrep(wsrep_evs_state="GATHER"),
            U,
            False,
            ("wsrep_evs_state is 'GATHER', not 'OPERATIONAL' (condition 2)",),
            id="2-evs-not-operational",
        ),
        pytest.param(
            wsrep(wsrep_connected="OFF"),
            U,
            False,
            ("wsrep_connected", "(condition 3)"),
            id="3-not-connected",
        ),
        pytest.param(
            wsrep(wsrep_ready="OFF"),
            U,
            False,
            ("wsrep_ready is 'OFF'", "(condition 4)"),
            id="4-not-ready",
        ),
        pytest.param(
            HEALTHY,
            OTHER,
            False,
            ("not the etcd uuid", "(condition 5)"),
            id="5-uuid-differs-from-etcd",
        ),
        pytest.param(HEALTHY, None, False, ("etcd has no cluster uuid",), id="5-no-etcd-uuid"),
        pytest.param(
            wsrep(wsrep_evs_state=None),
            U,
            False,
            ("wsrep_evs_state is missing",),
            id="variable-missing",
        ),
        pytest.param(
            {},
            U,
            False,
            ("wsrep_local_state_comment is missing", "wsrep_cluster_state_uuid is missing"),
            id="mysqld-down-no-status",
        ),
        pytest.param(
            wsrep(wsrep_ready="OFF", wsrep_connected="OFF"),
            OTHER,
            False,
            ("wsrep_connected", "wsrep_ready", "not the etcd uuid"),
            id="every-failure-listed",
        ),
    ],
)
def test_check_readiness(status, etcd_uuid, ok, fragments) -> None:
    result = check_readiness(status, etcd_uuid)
    assert isinstance(result, CheckResult)
    assert result.ok is ok, result.reason
    for fragment in fragments:
        assert fragment in result.reason


def alive(**changes) -> LivenessFacts:
    base = {
        "cluster_state": "STEADY",
        "sst_in_progress": False,
        "pid_file_exists": True,
        "wsrep": HEALTHY,
        "etcd_uuid": U,
        "previous_state_comment": "Synced",
    }
    base.update(changes)
    return LivenessFacts(**base)


BOOM = ConnectionError("etcd unreachable")

LIVENESS = [
    pytest.param(alive(), True, "all checks passed", id="synced-alive"),
    pytest.param(
        alive(cluster_state="RECOVERY", wsrep=RuntimeError("no sql")),
        True,
        "rule 1",
        id="rule1-recovery-skips-even-if-sql-fails",
    ),
    pytest.param(
        alive(cluster_state="BUILDING", etcd_uuid=OTHER),
        True,
        "rule 1",
        id="rule1-building-skips-uuid-check",
    ),
    pytest.param(alive(cluster_state=None), True, "absent, not STEADY", id="rule1-no-state-key"),
    pytest.param(
        alive(sst_in_progress=True, wsrep=wsrep(wsrep_cluster_state_uuid=OTHER)),
        True,
        "rule 2",
        id="rule2-sst-skips",
    ),
    pytest.param(
        alive(pid_file_exists=False, wsrep=TimeoutError("connect")),
        True,
        "rule 3",
        id="rule3-no-pid-file-skips",
    ),
    pytest.param(
        alive(wsrep=wsrep(wsrep_cluster_state_uuid=OTHER)),
        False,
        "split brain",
        id="rule4-uuid-differs-kills",
    ),
    pytest.param(
        alive(wsrep=wsrep(wsrep_local_state_comment="Joined"), previous_state_comment="Joined"),
        False,
        "rule 5",
        id="rule5-joined-twice-kills",
    ),
    pytest.param(
        alive(wsrep=wsrep(wsrep_local_state_comment="Joined"), previous_state_comment="Joining"),
        True,
        "Joined",
        id="rule5-first-joined-alive",
    ),
    pytest.param(
        alive(wsrep=wsrep(wsrep_local_state_comment="Joined"), previous_state_comment=None),
        True,
        "Joined",
        id="rule5-joined-on-first-check-alive",
    ),
    pytest.param(
        alive(wsrep=wsrep(wsrep_local_state_comment="Donor/Desynced")),
        True,
        "Donor/Desynced",
        id="donor-alive",
    ),
    pytest.param(
        alive(cluster_state=BOOM),
        False,
        "reading etcd state failed",
        id="rule6-etcd-state-exception",
    ),
    pytest.param(
        alive(sst_in_progress=OSError("ps")),
        False,
        "looking for an SST failed",
        id="rule6-sst-probe-exception",
    ),
    pytest.param(
        alive(pid_file_exists=PermissionError("denied")),
        False,
        "pid file failed",
        id="rule6-pid-probe-exception",
    ),
    pytest.param(
        alive(wsrep=RuntimeError("Lost connection")),
        False,
        "reading wsrep status failed: RuntimeError: Lost connection",
        id="rule6-sql-exception",
    ),
    pytest.param(
        alive(etcd_uuid=BOOM), False, "reading etcd uuid failed", id="rule6-etcd-uuid-exception"
    ),
    pytest.param(
        alive(etcd_uuid=None),
        False,
        "etcd uuid key is absent",
        id="rule6-etcd-uuid-absent-while-steady",
    ),
    pytest.param(
        alive(wsrep=wsrep(wsrep_cluster_state_uuid=None)),
        False,
        "wsrep_cluster_state_uuid is missing",
        id="rule6-uuid-variable-missing",
    ),
    pytest.param(
        alive(wsrep=wsrep(wsrep_local_state_comment=None)),
        False,
        "wsrep_local_state_comment is missing",
        id="rule6-state-variable-missing",
    ),
]


@pytest.mark.parametrize(("facts", "ok", "fragment"), LIVENESS)
def test_check_liveness(facts: LivenessFacts, ok: bool, fragment: str) -> None:
    result = check_liveness(facts)
    assert result.ok is ok, result.reason
    assert fragment in result.reason
    assert result.reason.startswith("alive" if ok else "dead")


@pytest.mark.parametrize(
    ("cmdlines", "expected"),
    [
        pytest.param(["/usr/sbin/mariadbd --wsrep-new-cluster"], False, id="only-server"),
        pytest.param(
            ["/bin/bash -ue /usr//bin/wsrep_sst_mariabackup --role joiner"],
            True,
            id="mariabackup-sst-joiner",
        ),
        pytest.param(["/usr/bin/wsrep_sst_rsync --role donor"], True, id="rsync-sst-donor"),
        pytest.param(
            ["mariabackup --backup --target-dir=/backup"], False, id="backup-job-is-not-sst"
        ),
        pytest.param([], False, id="no-processes"),
    ],
)
def test_sst_in_progress(cmdlines: list[str], expected: bool) -> None:
    assert sst_in_progress(cmdlines) is expected
