"""Table tests for Galera fact parsing (stacksalt.galera.facts)."""

from __future__ import annotations

import json

import pytest

from stacksalt.galera.facts import (
    ZERO_UUID,
    GraState,
    NodeFacts,
    RecoveredPosition,
    SeqnoRecord,
    node_facts,
    parse_grastate,
    parse_recovered_position,
    parse_wsrep_status,
)

U = "5ee99582-bb8d-11e2-b8e3-23de375c1d30"
V = "0f0e0d0c-1d2f-11ef-8000-0242ac110099"


def grastate(uuid: str = U, seqno: str = "42", safe: str | None = "0", version="2.1") -> str:
    lines = ["# GALERA saved state", f"version: {version}", f"uuid:    {uuid}", f"seqno:   {seqno}"]
    if safe is not None:
        lines.append(f"safe_to_bootstrap: {safe}")
    return "\n".join(lines) + "\n"


def record_json(**changes: object) -> str:
    """A ``seqno/<node>`` etcd value; a change to ``None`` drops the key."""
    value = {"uuid": U, "seqno": 1, "safe_to_bootstrap": True, "read_at": 1.0, **changes}
    return json.dumps({k: v for k, v in value.items() if v is not None})


RECOVER_LOG = (
    "2024-05-01 10:00:00 0 [Note] Starting MariaDB 10.11.19 as process 1234\n"
    "2024-05-01 10:00:01 0 [Note] InnoDB: Buffer pool(s) load completed\n"
    f"2024-05-01 10:00:01 0 [Note] WSREP: Recovered position: {U}:57\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(grastate(), GraState("2.1", U, 42, False), id="clean-shutdown"),
        pytest.param(grastate(seqno="-1"), GraState("2.1", U, -1, False), id="crashed-seqno-1"),
        pytest.param(grastate(safe="1"), GraState("2.1", U, 42, True), id="safe-to-bootstrap"),
        pytest.param(
            grastate(seqno="-1", safe="1"), GraState("2.1", U, -1, True), id="seqno-1-safe-1"
        ),
        pytest.param(
            grastate(uuid=U.upper()), GraState("2.1", U, 42, False), id="uppercase-uuid-normalised"
        ),
        pytest.param(
            grastate(safe=None),
            GraState("2.1", U, 42, False),
            id="pre-3.19-without-safe-to-bootstrap",
        ),
        pytest.param(
            grastate(uuid=ZERO_UUID, seqno="-1"),
            GraState("2.1", ZERO_UUID, -1, False),
            id="empty-node",
        ),
        pytest.param(
            "version: 2.1\r\nuuid: " + U + "\r\nseqno: 3\r\ncert_index:\r\n",
            GraState("2.1", U, 3, False),
            id="crlf-and-unknown-empty-key",
        ),
        pytest.param(
            "\n\n  version:2.1\n uuid:" + U + "\nseqno:0\n",
            GraState("2.1", U, 0, False),
            id="odd-spacing",
        ),
    ],
)
def test_parse_grastate(text: str, expected: GraState) -> None:
    assert parse_grastate(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param("", "grastate.dat: missing key 'version'", id="empty-file"),
        pytest.param("version: 2.1\nseqno: 1\n", "grastate.dat: missing key 'uuid'", id="no-uuid"),
        pytest.param("version: 2.1\nuuid: " + U + "\n", "missing key 'seqno'", id="no-seqno"),
        pytest.param(grastate(version=""), "key 'version' is empty", id="empty-version"),
        pytest.param(
            grastate(uuid="not-a-uuid"), "key 'uuid' is not a uuid: 'not-a-uuid'", id="bad-uuid"
        ),
        pytest.param(grastate(uuid=U[:-1]), "key 'uuid' is not a uuid", id="short-uuid"),
        pytest.param(
            grastate(seqno="abc"), "key 'seqno' is not an integer: 'abc'", id="seqno-not-int"
        ),
        pytest.param(
            grastate(seqno="-2"),
            "key 'seqno' must be -1 or more, got -2",
            id="seqno-below-minus-one",
        ),
        pytest.param(
            grastate(safe="2"),
            "key 'safe_to_bootstrap' must be 0 or 1, got '2'",
            id="safe-not-flag",
        ),
        pytest.param(
            grastate(safe="yes"), "key 'safe_to_bootstrap' must be 0 or 1", id="safe-word"
        ),
        pytest.param(
            grastate() + "seqno: 7\n", "line 6: key 'seqno' given twice", id="duplicate-key"
        ),
        pytest.param(
            grastate() + "garbage line\n", "line 6: expected 'key: value'", id="line-without-colon"
        ),
    ],
)
def test_parse_grastate_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_grastate(text)


def test_parse_grastate_names_the_file() -> None:
    with pytest.raises(ValueError, match=r"^/var/lib/mysql/grastate.dat: missing key 'uuid'"):
        parse_grastate("version: 2.1\nseqno: 1\n", source="/var/lib/mysql/grastate.dat")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(RECOVER_LOG, RecoveredPosition(U, 57), id="mariadb-log"),
        pytest.param(
            f"WSREP: Recovered position: {U}:57,0-1-57\n",
            RecoveredPosition(U, 57),
            id="with-gtid-suffix",
        ),
        pytest.param(
            f"[Note] WSREP: Recovered position: {ZERO_UUID}:-1\n",
            RecoveredPosition(ZERO_UUID, -1),
            id="empty-node",
        ),
        pytest.param(
            f"WSREP: Recovered position: {V}:3\nWSREP: Recovered position: {U}:9\n",
            RecoveredPosition(U, 9),
            id="last-line-wins",
        ),
        pytest.param(
            f"WSREP: Recovered position: {U.upper()}:0   \n",
            RecoveredPosition(U, 0),
            id="uppercase-trailing-space",
        ),
    ],
)
def test_parse_recovered_position(text: str, expected: RecoveredPosition) -> None:
    assert parse_recovered_position(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param("", "no 'WSREP: Recovered position:' line found", id="empty"),
        pytest.param("[ERROR] Aborting\n", "no 'WSREP: Recovered position:' line", id="aborted"),
        pytest.param("WSREP: Recovered position: garbage\n", "line 1: cannot parse", id="garbage"),
        pytest.param(
            "x\nWSREP: Recovered position: " + U + ":seven\n",
            "line 2: cannot parse",
            id="seqno-not-int",
        ),
        pytest.param(
            "WSREP: Recovered position: 1234-5678:5\n", "line 1: key 'uuid' is not", id="bad-uuid"
        ),
        pytest.param(
            f"WSREP: Recovered position: {U}:-5\n", "must be -1 or more", id="seqno-below-minus-one"
        ),
    ],
)
def test_parse_recovered_position_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_recovered_position(text)


@pytest.mark.parametrize(
    ("grastate_text", "recover", "expected"),
    [
        pytest.param(grastate(), None, (U, 42, False), id="clean-grastate"),
        pytest.param(
            grastate(safe="1"), RECOVER_LOG, (U, 42, True), id="valid-seqno-ignores-recover"
        ),
        pytest.param(grastate(seqno="-1"), RECOVER_LOG, (U, 57, False), id="crashed-recovered"),
        pytest.param(grastate(seqno="-1"), None, (U, -1, False), id="crashed-not-recovered"),
        pytest.param(
            grastate(uuid=ZERO_UUID, seqno="-1"),
            RECOVER_LOG,
            (U, 57, False),
            id="zero-grastate-recovered-uuid",
        ),
        pytest.param(
            grastate(seqno="-1"),
            f"WSREP: Recovered position: {ZERO_UUID}:-1",
            (U, -1, False),
            id="recover-finds-nothing-keeps-uuid",
        ),
        pytest.param(None, None, (ZERO_UUID, -1, False), id="no-grastate-blank"),
        pytest.param(None, RECOVER_LOG, (U, 57, False), id="no-grastate-recovered"),
    ],
)
def test_node_facts(grastate_text, recover, expected) -> None:
    facts = node_facts("n1", grastate_text, recover, read_at=1000.0)
    assert (facts.uuid, facts.seqno, facts.safe_to_bootstrap) == expected
    assert facts.seqno_read_at == 1000.0


def test_node_facts_inconsistent_uuids() -> None:
    with pytest.raises(
        ValueError, match=f"node n1: grastate.dat uuid {V} differs from recovered uuid {U}"
    ):
        node_facts("n1", grastate(uuid=V, seqno="-1"), RECOVER_LOG, read_at=1.0)


@pytest.mark.parametrize(
    ("facts", "blank", "has_data", "cluster_uuid"),
    [
        pytest.param(NodeFacts("n1"), True, False, ZERO_UUID, id="default-blank"),
        pytest.param(NodeFacts("n1", U, 5), False, True, U, id="data"),
        pytest.param(NodeFacts("n1", U, -1), False, False, U, id="unknown-position"),
        pytest.param(
            NodeFacts("n1", U, 5, alive=True, wsrep={"wsrep_cluster_state_uuid": V.upper()}),
            False,
            True,
            V,
            id="running-uses-wsrep-uuid",
        ),
        pytest.param(
            NodeFacts("n1", U, 5, alive=False, wsrep={"wsrep_cluster_state_uuid": V}),
            False,
            True,
            U,
            id="stopped-ignores-wsrep",
        ),
    ],
)
def test_node_facts_properties(facts, blank, has_data, cluster_uuid) -> None:
    assert (facts.is_blank, facts.has_data, facts.cluster_uuid) == (blank, has_data, cluster_uuid)


def test_to_record_round_trip() -> None:
    facts = NodeFacts("n2", U, 42, True, seqno_read_at=1234.5)
    record = facts.to_record()
    assert record == SeqnoRecord("n2", U, 42, True, 1234.5)
    assert record.position == f"{U}:42"
    assert SeqnoRecord.from_json("n2", record.to_json()) == record


def test_to_record_needs_read_time() -> None:
    with pytest.raises(ValueError, match="node n1: seqno_read_at is not set"):
        NodeFacts("n1", U, 1).to_record()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param("{", "etcd seqno/n1: not valid JSON", id="bad-json"),
        pytest.param("[1]", "etcd seqno/n1: expected a JSON object, got list", id="list"),
        pytest.param(
            record_json(read_at=None),
            "etcd seqno/n1: missing key 'read_at'",
            id="no-read-at",
        ),
        pytest.param(
            record_json(safe_to_bootstrap=1),
            "key 'safe_to_bootstrap' must be true or false",
            id="safe-int",
        ),
        pytest.param(
            record_json(read_at="x"),
            "key 'read_at' must be a unix time",
            id="read-at-str",
        ),
        pytest.param(
            record_json(uuid="nope"),
            "etcd seqno/n1: key 'uuid' is not a uuid",
            id="bad-uuid",
        ),
        pytest.param(
            record_json(seqno="x"),
            "key 'seqno' is not an integer",
            id="bad-seqno",
        ),
    ],
)
def test_seqno_record_from_json_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        SeqnoRecord.from_json("n1", text)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            [("wsrep_ready", "ON"), ("WSREP_CONNECTED", "ON")],
            {"wsrep_ready": "ON", "wsrep_connected": "ON"},
            id="names-lowercased",
        ),
        pytest.param(
            [("wsrep_cluster_size", 3), ("wsrep_provider_name", None)],
            {"wsrep_cluster_size": "3", "wsrep_provider_name": ""},
            id="values-as-str",
        ),
        pytest.param([], {}, id="no-rows"),
    ],
)
def test_parse_wsrep_status(rows, expected) -> None:
    assert parse_wsrep_status(rows) == expected


def test_parse_wsrep_status_bad_row() -> None:
    with pytest.raises(ValueError, match="expected \\(Variable_name, Value\\)"):
        parse_wsrep_status([("wsrep_ready",)])
