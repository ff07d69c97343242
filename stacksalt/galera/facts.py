"""Facts a Galera node knows about its own data, parsed from plain text.

Three sources, all read by the Salt adapter and handed here as strings or rows:

- ``grastate.dat`` in the data directory (:func:`parse_grastate`)::

      # GALERA saved state
      version: 2.1
      uuid:    5ee99582-bb8d-11e2-b8e3-23de375c1d30
      seqno:   -1
      safe_to_bootstrap: 0

- the log of ``mariadbd --wsrep-recover`` (:func:`parse_recovered_position`), needed when
  ``grastate.dat`` says ``seqno: -1`` (the node crashed); the line is
  ``WSREP: Recovered position: <uuid>:<seqno>`` (newer MariaDB append ``,<gtid>``);
- ``SHOW STATUS LIKE 'wsrep%'`` rows (:func:`parse_wsrep_status`).

As in Fuel CCP's Galera container, a node whose ``grastate.dat`` lost its position runs
``--wsrep-recover`` and the result is written back to ``grastate.dat``; as the design spec
asks, the data must be readable and consistent, and the most recent data set is chosen.
Every parse error is a :class:`ValueError` whose message names the source and the key or
line at fault.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
"""The cluster uuid of a node that never joined a cluster (empty data directory)."""

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_RECOVERED_MARK = "WSREP: Recovered position:"
_RECOVERED_RE = re.compile(
    r"WSREP: Recovered position:\s*(?P<uuid>[0-9A-Fa-f-]+):(?P<seqno>-?\d+)(?:,\S*)?\s*$"
)
_GRASTATE_REQUIRED = ("version", "uuid", "seqno")


@dataclass(frozen=True)
class GraState:
    """The contents of ``grastate.dat``.

    ``safe_to_bootstrap`` is absent from files written by Galera before 3.19; it then reads
    as ``False``, which is what those versions meant.
    """

    version: str
    uuid: str
    seqno: int
    safe_to_bootstrap: bool


@dataclass(frozen=True)
class RecoveredPosition:
    """The position printed by ``mariadbd --wsrep-recover``."""

    uuid: str
    seqno: int


@dataclass(frozen=True)
class SeqnoRecord:
    """A node's position as published in etcd under ``seqno/<node>`` during a recovery.

    ``read_at`` is the unix time at which the node read its position; a record read before
    the recovery started, or longer ago than the freshness window, is stale.
    """

    name: str
    uuid: str
    seqno: int
    safe_to_bootstrap: bool
    read_at: float

    @property
    def is_blank(self) -> bool:
        """True when the node never joined a cluster (zero uuid)."""
        return self.uuid == ZERO_UUID

    @property
    def has_data(self) -> bool:
        """True when the node has a known position in a real cluster history."""
        return not self.is_blank and self.seqno >= 0

    @property
    def position(self) -> str:
        """``<uuid>:<seqno>``, the form Galera prints and ``--wsrep-start-position`` takes."""
        return f"{self.uuid}:{self.seqno}"

    def to_json(self) -> str:
        """Serialise for the etcd value (the key carries the node name)."""
        return json.dumps(
            {
                "uuid": self.uuid,
                "seqno": self.seqno,
                "safe_to_bootstrap": self.safe_to_bootstrap,
                "read_at": self.read_at,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, name: str, text: str) -> SeqnoRecord:
        """Parse the etcd value written by :meth:`to_json`; errors name ``seqno/<name>``."""
        source = f"etcd seqno/{name}"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}: not valid JSON: {exc}") from exc
        _require(
            isinstance(data, dict), f"{source}: expected a JSON object, got {type(data).__name__}"
        )
        for key in ("uuid", "seqno", "safe_to_bootstrap", "read_at"):
            _require(key in data, f"{source}: missing key {key!r}")
        safe = data["safe_to_bootstrap"]
        _require(isinstance(safe, bool), f"{source}: key 'safe_to_bootstrap' must be true or false")
        read_at = data["read_at"]
        _require(
            isinstance(read_at, int | float) and not isinstance(read_at, bool),
            f"{source}: key 'read_at' must be a unix time, got {read_at!r}",
        )
        return cls(
            name=name,
            uuid=_parse_uuid(str(data["uuid"]), source, "uuid"),
            seqno=_parse_seqno(str(data["seqno"]), source, "seqno"),
            safe_to_bootstrap=safe,
            read_at=float(read_at),
        )


@dataclass(frozen=True)
class NodeFacts:
    """What the local node knows about itself when it asks what to do.

    ``seqno_read_at`` is when ``uuid``/``seqno`` were read (``None``: never). ``alive`` is
    true when mysqld is running and already part of the cluster; ``wsrep`` then holds its
    ``SHOW STATUS LIKE 'wsrep%'`` variables.
    """

    name: str
    uuid: str = ZERO_UUID
    seqno: int = -1
    safe_to_bootstrap: bool = False
    seqno_read_at: float | None = None
    alive: bool = False
    wsrep: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        """True when the node never joined a cluster (zero uuid)."""
        return self.uuid == ZERO_UUID

    @property
    def has_data(self) -> bool:
        """True when the node has a known position in a real cluster history."""
        return not self.is_blank and self.seqno >= 0

    @property
    def position(self) -> str:
        """``<uuid>:<seqno>``."""
        return f"{self.uuid}:{self.seqno}"

    @property
    def cluster_uuid(self) -> str:
        """The cluster uuid this node belongs to: the running server's, else the file's."""
        running = self.wsrep.get("wsrep_cluster_state_uuid", "") if self.alive else ""
        return running.strip().lower() or self.uuid

    def to_record(self) -> SeqnoRecord:
        """The record to publish in etcd; needs ``seqno_read_at``."""
        if self.seqno_read_at is None:
            raise ValueError(f"node {self.name}: seqno_read_at is not set; read the seqno first")
        return SeqnoRecord(
            name=self.name,
            uuid=self.uuid,
            seqno=self.seqno,
            safe_to_bootstrap=self.safe_to_bootstrap,
            read_at=self.seqno_read_at,
        )


def parse_grastate(text: str, source: str = "grastate.dat") -> GraState:
    """Parse ``grastate.dat``; ``source`` names the file in error messages.

    Blank lines and ``#`` comments are skipped, unknown keys are ignored; ``version``,
    ``uuid`` and ``seqno`` are required, a key given twice is an error.
    """
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"{source} line {number}: expected 'key: value', got {line!r}")
        key = key.strip()
        if key in values:
            raise ValueError(f"{source} line {number}: key {key!r} given twice")
        values[key] = value.strip()
    for key in _GRASTATE_REQUIRED:
        if key not in values:
            raise ValueError(f"{source}: missing key {key!r}")
    if not values["version"]:
        raise ValueError(f"{source}: key 'version' is empty")
    return GraState(
        version=values["version"],
        uuid=_parse_uuid(values["uuid"], source, "uuid"),
        seqno=_parse_seqno(values["seqno"], source, "seqno"),
        safe_to_bootstrap=_parse_flag(values.get("safe_to_bootstrap", "0"), source),
    )


def parse_recovered_position(
    text: str, source: str = "mariadbd --wsrep-recover output"
) -> RecoveredPosition:
    """Find ``WSREP: Recovered position: <uuid>:<seqno>`` in a ``--wsrep-recover`` log.

    The last such line wins (the server may print more than one). A trailing ``,<gtid>``
    (MariaDB 10.5+) is ignored. ``00000000-...:-1`` is a valid answer: the node is empty.
    """
    found: RecoveredPosition | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if _RECOVERED_MARK not in line:
            continue
        match = _RECOVERED_RE.search(line.rstrip())
        if match is None:
            raise ValueError(
                f"{source} line {number}: cannot parse recovered position in {line.strip()!r}"
            )
        where = f"{source} line {number}"
        found = RecoveredPosition(
            uuid=_parse_uuid(match["uuid"], where, "uuid"),
            seqno=_parse_seqno(match["seqno"], where, "seqno"),
        )
    if found is None:
        raise ValueError(f"{source}: no '{_RECOVERED_MARK}' line found")
    return found


def parse_wsrep_status(rows: Iterable[tuple[str, object]]) -> dict[str, str]:
    """Turn ``SHOW STATUS LIKE 'wsrep%'`` rows into ``{variable: value}`` strings.

    Variable names are lower-cased (MySQL is case-insensitive about them); ``None``
    values become ``""``.
    """
    status: dict[str, str] = {}
    for row in rows:
        if len(row) != 2:
            raise ValueError(f"SHOW STATUS row: expected (Variable_name, Value), got {row!r}")
        name, value = row
        status[str(name).strip().lower()] = "" if value is None else str(value).strip()
    return status


def node_facts(
    name: str,
    grastate_text: str | None,
    recover_output: str | None = None,
    *,
    read_at: float,
    alive: bool = False,
    wsrep: Mapping[str, str] | None = None,
) -> NodeFacts:
    """Build :class:`NodeFacts` from the raw texts a node has.

    - No ``grastate.dat`` (``None``): the node is blank, unless ``recover_output`` says
      otherwise.
    - ``seqno: -1`` (crash) and ``recover_output`` given: the recovered position is used.
    - A valid seqno in ``grastate.dat`` (clean shutdown) is used as is.

    When both sources carry a real (non-zero) uuid and they differ, the data directory is
    inconsistent (the design spec: data must be "consistent and not corrupted") and a
    ``ValueError`` is raised rather than guessing.
    """
    state = parse_grastate(grastate_text) if grastate_text is not None else None
    uuid = state.uuid if state else ZERO_UUID
    seqno = state.seqno if state else -1
    safe = state.safe_to_bootstrap if state else False
    if recover_output is not None and seqno < 0:
        recovered = parse_recovered_position(recover_output)
        if ZERO_UUID not in (uuid, recovered.uuid) and uuid != recovered.uuid:
            raise ValueError(
                f"node {name}: grastate.dat uuid {uuid} differs from recovered uuid "
                f"{recovered.uuid}; the data directory is inconsistent"
            )
        if recovered.uuid != ZERO_UUID:
            uuid, seqno = recovered.uuid, recovered.seqno
    return NodeFacts(
        name=name,
        uuid=uuid,
        seqno=seqno,
        safe_to_bootstrap=safe,
        seqno_read_at=read_at,
        alive=alive,
        wsrep=dict(wsrep or {}),
    )


def _require(condition: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``condition`` holds (malformed input is a value
    error here whatever its Python type)."""
    if not condition:
        raise ValueError(message)


def _parse_uuid(value: str, source: str, key: str) -> str:
    uuid = value.strip().lower()
    if not _UUID_RE.match(uuid):
        raise ValueError(f"{source}: key {key!r} is not a uuid: {value!r}")
    return uuid


def _parse_seqno(value: str, source: str, key: str) -> int:
    try:
        seqno = int(value.strip())
    except ValueError:
        raise ValueError(f"{source}: key {key!r} is not an integer: {value!r}") from None
    if seqno < -1:
        raise ValueError(f"{source}: key {key!r} must be -1 or more, got {seqno}")
    return seqno


def _parse_flag(value: str, source: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError(f"{source}: key 'safe_to_bootstrap' must be 0 or 1, got {value!r}")
    return value == "1"
