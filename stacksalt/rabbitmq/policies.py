"""RabbitMQ policies derived from the OpenStack services enabled in the model.

Design (spec §5.1.1): only notification queues are replicated, because they must survive the
loss of one node; RPC queues are not (replication roughly halves throughput, and a lost RPC
message costs one retried call). The notification topics are not hand-listed per deployment:
they come from :data:`SERVICE_NOTIFICATION_TOPICS` for the services the model enables (plus
:data:`BASE_NOTIFICATION_TOPICS` and anything a service's pillar adds under
``notification_topics``). oslo.messaging names a notification queue ``<topic>.<priority>``
(``notifications.info``, ``versioned_notifications.error``), so a topic ``t`` becomes the
prefix ``t.`` in the pattern.

Two ways to replicate notification queues, chosen by ``notifications_queue_type``:

``mirrored`` (default)
    A policy ``ha-mode: all`` + ``ha-sync-mode: automatic``: classic mirrored queues, what
    the design describes and what RabbitMQ 3.10 runs. Clients need no change. Classic
    mirroring is deprecated since 3.9 and **removed in RabbitMQ 4.0**, and automatic sync
    blocks a queue while a returning mirror copies its backlog (a notification TTL bounds
    that backlog).
``quorum``
    Quorum queues (Raft). They survive the 4.0 upgrade and do not lose acknowledged
    messages, but a *policy cannot make a queue quorum*: the type is fixed by whoever
    declares the queue. So no replication policy is returned; instead a
    :class:`QueueArguments` recommendation ``x-queue-type: quorum`` for the clients
    (oslo.messaging: ``[oslo_messaging_rabbit] rabbit_quorum_queue = true``, which covers
    every queue the service declares, RPC topic queues included). Every declarer (notifiers
    and listeners) must agree, and existing classic queues of the same name must be deleted
    first, or declarations fail with ``PRECONDITION_FAILED - inequivalent arg
    'x-queue-type'``. Quorum queues are always durable (disk writes, against the design's
    "no disk nodes") and need a majority of members: three members tolerate one failure,
    and a one-node notifications instance gets no replication at all.

RPC queues get a message TTL (``rpc_message_ttl_ms``); ``reply_*`` and ``*_fanout_*`` queues,
which oslo.messaging creates per process, also expire when unused
(``transient_queue_expires_ms``, a backstop for queues orphaned by killed processes).
RabbitMQ applies only the highest-priority matching policy to a queue, so the patterns are
disjoint: the RPC catch-all excludes notification and transient queues by lookahead.

Every pattern is checked with :func:`re.compile`. RabbitMQ evaluates them with Erlang's PCRE
``re``; the patterns built here stay in the syntax both engines share.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "BASE_NOTIFICATION_TOPICS",
    "SERVICE_NOTIFICATION_TOPICS",
    "Policy",
    "PolicyError",
    "PolicyOptions",
    "PolicyPlan",
    "QueueArguments",
    "build_policies",
    "check_pattern",
    "enabled_service_names",
    "notification_pattern",
    "notification_topics",
]

#: Topics whose notification queues are always replicated, whatever the services.
BASE_NOTIFICATION_TOPICS: tuple[str, ...] = (
    "alarm",
    "alarming",
    "event",
    "metering",
    "notifications",
)

#: Notification topics each service emits to or listens on, from the services' defaults.
#: Services missing here use oslo.messaging's default topic ``notifications``.
SERVICE_NOTIFICATION_TOPICS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # [listener] event_alarm_topic = alarm.all; [DEFAULT] notifier_topic = alarming
        "aodh": ("alarm", "alarming"),
        "barbican": ("notifications",),
        # listens on notifications; [publisher_notifier] metering_topic / event_topic
        "ceilometer": ("notifications", "metering", "event"),
        "cinder": ("notifications",),
        "designate": ("notifications",),
        "glance": ("notifications",),
        "heat": ("notifications",),
        # [DEFAULT] versioned_notifications_topics
        "ironic": ("ironic_versioned_notifications",),
        "keystone": ("notifications",),
        "neutron": ("notifications",),
        # [notifications] versioned_notifications_topics; legacy ones on notifications
        "nova": ("notifications", "versioned_notifications"),
        # the searchlight listener consumes its own topic
        "searchlight": ("searchlight_indexer",),
    }
)

QUEUE_TYPES = ("mirrored", "quorum")
TRAFFIC = ("rpc", "notifications")
_TOPIC_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_TRANSIENT_PREFIXES = (r"reply_", r".*_fanout_")

PRIORITY_NOTIFICATIONS = 10
PRIORITY_TRANSIENT = 5
PRIORITY_RPC = 0


class PolicyError(ValueError):
    """Invalid options, topics or patterns."""


@dataclass(frozen=True)
class PolicyOptions:
    """Knobs for :func:`build_policies` (pillar ``rabbitmq:server:policy_options``)."""

    notifications_queue_type: str = "mirrored"
    rpc_message_ttl_ms: int = 600_000
    transient_queue_expires_ms: int = 1_800_000
    notifications_message_ttl_ms: int | None = None
    extra_notification_topics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.notifications_queue_type not in QUEUE_TYPES:
            raise PolicyError(
                f"notifications_queue_type: {self.notifications_queue_type!r} is not one of "
                f"{', '.join(QUEUE_TYPES)}"
            )
        for key in ("rpc_message_ttl_ms", "transient_queue_expires_ms"):
            _check_positive(key, getattr(self, key))
        if self.notifications_message_ttl_ms is not None:
            _check_positive("notifications_message_ttl_ms", self.notifications_message_ttl_ms)
        _check_topics("extra_notification_topics", self.extra_notification_topics)

    @classmethod
    def from_pillar(cls, data: Mapping[str, Any] | None) -> PolicyOptions:
        """Build options from a pillar mapping; unknown keys are an error."""
        data = dict(data or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise PolicyError(f"unknown policy options: {', '.join(unknown)}")
        if "extra_notification_topics" in data:
            data["extra_notification_topics"] = _as_topics(data["extra_notification_topics"])
        return cls(**data)


@dataclass(frozen=True)
class Policy:
    """One policy, as plain data for ``rabbitmqctl set_policy``."""

    name: str
    pattern: str
    apply_to: str
    definition: Mapping[str, Any]
    priority: int

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for pillar-like data, JSON or YAML)."""
        return {
            "name": self.name,
            "pattern": self.pattern,
            "apply_to": self.apply_to,
            "definition": dict(self.definition),
            "priority": self.priority,
        }

    def set_policy_args(self, vhost: str = "/") -> tuple[str, ...]:
        """Arguments after ``rabbitmqctl`` that set this policy on ``vhost``."""
        return (
            "set_policy",
            "-p",
            vhost,
            "--priority",
            str(self.priority),
            "--apply-to",
            self.apply_to,
            self.name,
            self.pattern,
            json.dumps(dict(self.definition), sort_keys=True),
        )


@dataclass(frozen=True)
class QueueArguments:
    """Arguments clients must pass when declaring queues that match ``pattern``."""

    pattern: str
    arguments: Mapping[str, Any]
    reason: str


@dataclass(frozen=True)
class PolicyPlan:
    """Policies to set, queue arguments to give clients, and the topics they came from."""

    policies: tuple[Policy, ...]
    queue_arguments: tuple[QueueArguments, ...] = ()
    notification_topics: tuple[str, ...] = field(default=())


def build_policies(
    services: Mapping[str, Any],
    options: PolicyOptions | None = None,
    carries: Sequence[str] = TRAFFIC,
) -> PolicyPlan:
    """Policies for an instance that ``carries`` RPC and/or notification traffic.

    ``services`` maps service names to their pillar (``{"nova": {...}}``); a service whose
    pillar says ``enabled: false`` (or whose value is ``False``) is skipped. A seed-002 layout
    has an ``rpc`` instance (``carries=("rpc",)``) and a ``notifications`` instance
    (``carries=("notifications",)``); the CCP layout has one cluster carrying both.
    """
    options = options or PolicyOptions()
    carries = _check_carries(carries)
    topics = notification_topics(services, options.extra_notification_topics)
    notif = notification_pattern(topics)
    policies: list[Policy] = []
    queue_arguments: list[QueueArguments] = []
    if "notifications" in carries:
        policies.extend(_notification_policies(notif, options))
        queue_arguments.extend(_notification_queue_arguments(notif, options))
    if "rpc" in carries:
        policies.extend(_rpc_policies(topics, options))
    return PolicyPlan(tuple(policies), tuple(queue_arguments), topics)


def enabled_service_names(services: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of the enabled services, sorted."""
    return tuple(sorted(name for name, pillar in services.items() if _is_enabled(pillar)))


def notification_topics(services: Mapping[str, Any], extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Sorted union of the base topics, the enabled services' topics and ``extra``."""
    topics = set(BASE_NOTIFICATION_TOPICS) | set(extra)
    for name in enabled_service_names(services):
        topics.update(SERVICE_NOTIFICATION_TOPICS.get(name, ("notifications",)))
        pillar = services[name]
        if isinstance(pillar, Mapping) and "notification_topics" in pillar:
            own = _as_topics(pillar["notification_topics"])
            _check_topics(f"{name}.notification_topics", own)
            topics.update(own)
    return tuple(sorted(topics))


def notification_pattern(topics: Iterable[str]) -> str:
    """``^(t1|t2|...)\\.`` matching the queues ``<topic>.<priority>`` of ``topics``."""
    topics = sorted(set(topics))
    if not topics:
        raise PolicyError("no notification topics")
    _check_topics("notification topics", topics)
    return _checked("notifications", rf"^({'|'.join(re.escape(t) for t in topics)})\.")


def check_pattern(pattern: Any) -> str | None:
    """``None`` when ``pattern`` is a valid regular expression, else what is wrong."""
    if not isinstance(pattern, str) or not pattern:
        return "the pattern must be a non-empty string"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regular expression {pattern!r}: {exc}"
    return None


def user_permissions(perms: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """A user's permissions as ``{vhost: [configure, write, read]}``, each a valid regular
    expression: ``None`` or ``true`` for a vhost means ``.*`` on all three, a mapping names
    them (``.*`` for the ones left out). A ValueError names the vhost and what is wrong."""
    out = {}
    for vhost, given in (perms or {}).items():
        value = given
        if value is None or value is True:
            value = [".*", ".*", ".*"]
        if isinstance(value, Mapping):
            value = [value.get(k, ".*") for k in ("configure", "write", "read")]
        if not isinstance(value, list | tuple) or len(value) != 3:
            raise ValueError(f"permissions on {vhost}: need [configure, write, read], got {value}")
        value = [str(v) for v in value]
        for pattern in value:
            problem = pattern and check_pattern(pattern)
            if problem:
                raise ValueError(f"permissions on {vhost}: {problem}")
        out[vhost] = value
    return out


# --------------------------------------------------------------------------------------------
# Policy builders
# --------------------------------------------------------------------------------------------


def _notification_policies(pattern: str, options: PolicyOptions) -> list[Policy]:
    """Mirroring (classic) or only an optional TTL (quorum) for notification queues."""
    definition: dict[str, Any] = {}
    if options.notifications_queue_type == "mirrored":
        definition.update({"ha-mode": "all", "ha-sync-mode": "automatic"})
    if options.notifications_message_ttl_ms is not None:
        definition["message-ttl"] = options.notifications_message_ttl_ms
    if not definition:
        return []
    name = "notifications-mirrored" if "ha-mode" in definition else "notifications-ttl"
    return [Policy(name, pattern, "queues", definition, PRIORITY_NOTIFICATIONS)]


def _notification_queue_arguments(pattern: str, options: PolicyOptions) -> list[QueueArguments]:
    """The quorum recommendation for clients; nothing for mirrored queues."""
    if options.notifications_queue_type != "quorum":
        return []
    return [
        QueueArguments(
            pattern,
            MappingProxyType({"x-queue-type": "quorum"}),
            "a policy cannot change a queue's type: every client declaring notification "
            "queues (notifiers and listeners) must pass x-queue-type=quorum "
            "(oslo.messaging: [oslo_messaging_rabbit] rabbit_quorum_queue = true); delete "
            "existing classic queues of the same name first",
        )
    ]


def _rpc_policies(topics: Sequence[str], options: PolicyOptions) -> list[Policy]:
    """Message TTL for RPC queues; expiry plus TTL for per-process reply/fanout queues."""
    transient = f"^(?:{'|'.join(_TRANSIENT_PREFIXES)})"
    notif = "|".join(re.escape(t) for t in topics)
    rpc = f"^(?!(?:{notif})\\.)(?!{'|'.join(_TRANSIENT_PREFIXES)})"
    ttl = options.rpc_message_ttl_ms
    return [
        Policy(
            "rpc-transient-expiry",
            _checked("rpc-transient-expiry", transient),
            "queues",
            {"expires": options.transient_queue_expires_ms, "message-ttl": ttl},
            PRIORITY_TRANSIENT,
        ),
        Policy(
            "rpc-message-ttl",
            _checked("rpc-message-ttl", rpc),
            "queues",
            {"message-ttl": ttl},
            PRIORITY_RPC,
        ),
    ]


# --------------------------------------------------------------------------------------------
# Checks and coercions
# --------------------------------------------------------------------------------------------


def _checked(name: str, pattern: str) -> str:
    """Return ``pattern`` after compiling it; raise :class:`PolicyError` otherwise."""
    problem = check_pattern(pattern)
    if problem:
        raise PolicyError(f"policy {name}: {problem}")
    return pattern


def _is_enabled(pillar: Any) -> bool:
    """A service is enabled unless its pillar is ``False`` or says ``enabled: false``."""
    if isinstance(pillar, Mapping):
        return bool(pillar.get("enabled", True))
    return pillar is not False


def _as_topics(value: Any) -> tuple[str, ...]:
    """Accept a list of topics or oslo's comma-separated string."""
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, Iterable):
        return tuple(value)
    raise PolicyError(f"topics must be a list or a comma-separated string, not {value!r}")


def _check_topics(where: str, topics: Iterable[Any]) -> None:
    """Topics are plain names: letters, digits, ``_``, ``.`` and ``-``."""
    bad = [t for t in topics if not isinstance(t, str) or not _TOPIC_RE.match(t)]
    if bad:
        raise PolicyError(f"{where}: invalid topic(s) {', '.join(map(repr, bad))}")


def _check_positive(key: str, value: Any) -> None:
    """Durations are positive integers of milliseconds."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PolicyError(f"{key}: {value!r} is not a positive number of milliseconds")


def _check_carries(carries: Sequence[str]) -> tuple[str, ...]:
    """``carries`` is a non-empty subset of :data:`TRAFFIC`."""
    if isinstance(carries, str):
        carries = (carries,)
    bad = [c for c in carries if c not in TRAFFIC]
    if bad or not carries:
        raise PolicyError(f"carries: {list(carries)!r} must be a non-empty subset of {TRAFFIC}")
    return tuple(carries)
