"""Table tests for RabbitMQ policies derived from the enabled OpenStack services."""

from __future__ import annotations

import json
import re

import pytest

from stacksalt.rabbitmq.policies import (
    BASE_NOTIFICATION_TOPICS,
    SERVICE_NOTIFICATION_TOPICS,
    Policy,
    PolicyError,
    PolicyOptions,
    PolicyPlan,
    build_policies,
    check_pattern,
    notification_pattern,
    notification_topics,
    user_permissions,
)

SERVICES = {"nova": {"enabled": True}, "neutron": {}, "ceilometer": {"enabled": True}}
MIRROR = {"ha-mode": "all", "ha-sync-mode": "automatic"}


def effective(plan: PolicyPlan, queue: str) -> Policy | None:
    """The policy RabbitMQ applies to ``queue``: the highest-priority match (re.search)."""
    matches = [p for p in plan.policies if re.search(p.pattern, queue)]
    if not matches:
        return None
    top = max(p.priority for p in matches)
    winners = [p for p in matches if p.priority == top]
    assert len(winners) == 1, f"ambiguous policies for {queue}: {winners}"
    return winners[0]


TOPICS = {
    "nothing enabled: the base topics": ({}, BASE_NOTIFICATION_TOPICS),
    "nova adds versioned_notifications": (
        {"nova": {}},
        (*BASE_NOTIFICATION_TOPICS, "versioned_notifications"),
    ),
    "a disabled service adds nothing": (
        {"nova": {"enabled": False}, "ironic": False},
        BASE_NOTIFICATION_TOPICS,
    ),
    "ironic and searchlight bring their own topics": (
        {"ironic": True, "searchlight": {}},
        tuple(
            sorted(
                (*BASE_NOTIFICATION_TOPICS, "ironic_versioned_notifications", "searchlight_indexer")
            )
        ),
    ),
    "unknown service: oslo default topic only": ({"manila": {}}, BASE_NOTIFICATION_TOPICS),
    "pillar adds topics as a comma-separated string": (
        {"nova": {"notification_topics": "notifications, stacklight_notifications"}},
        (*BASE_NOTIFICATION_TOPICS, "stacklight_notifications", "versioned_notifications"),
    ),
    "pillar adds topics as a list": (
        {"heat": {"notification_topics": ["heat_events"]}},
        tuple(sorted((*BASE_NOTIFICATION_TOPICS, "heat_events"))),
    ),
}


@pytest.mark.parametrize(("services", "expected"), TOPICS.values(), ids=TOPICS.keys())
def test_notification_topics(services: dict, expected: tuple[str, ...]) -> None:
    assert notification_topics(services) == expected


def test_table_knows_nova_versioned_notifications() -> None:
    assert "versioned_notifications" in SERVICE_NOTIFICATION_TOPICS["nova"]


# (queue name, expected policy name or None) for the default mirrored layout with SERVICES.
QUEUES = {
    "legacy notifications": ("notifications.info", "notifications-mirrored"),
    "nova versioned notifications": ("versioned_notifications.error", "notifications-mirrored"),
    "ceilometer samples": ("metering.sample", "notifications-mirrored"),
    "ceilometer events": ("event.sample", "notifications-mirrored"),
    "aodh event alarms": ("alarm.all", "notifications-mirrored"),
    "aodh notifier": ("alarming.sample", "notifications-mirrored"),
    "rpc topic queue": ("conductor", "rpc-message-ttl"),
    "rpc server queue": ("compute.ctl01", "rpc-message-ttl"),
    "topic-like rpc queue is not a notification": ("notifications_designate", "rpc-message-ttl"),
    "prefix must be anchored": ("xnotifications.info", "rpc-message-ttl"),
    "reply queue": ("reply_3f2a9c", "rpc-transient-expiry"),
    "fanout queue": ("scheduler_fanout_0d1e2f", "rpc-transient-expiry"),
}


@pytest.mark.parametrize(("queue", "policy"), QUEUES.values(), ids=QUEUES.keys())
def test_each_queue_gets_exactly_the_right_policy(queue: str, policy: str) -> None:
    plan = build_policies(SERVICES)
    winner = effective(plan, queue)
    assert winner is not None and winner.name == policy


def test_versioned_notifications_need_nova() -> None:
    plan = build_policies({"neutron": {}})
    assert effective(plan, "versioned_notifications.info").name == "rpc-message-ttl"


PLANS = {
    "mirrored, both traffics": (
        {},
        ("rpc", "notifications"),
        {
            "notifications-mirrored": MIRROR,
            "rpc-transient-expiry": {"expires": 1_800_000, "message-ttl": 600_000},
            "rpc-message-ttl": {"message-ttl": 600_000},
        },
        (),
    ),
    "notifications instance only": (
        {},
        ("notifications",),
        {"notifications-mirrored": MIRROR},
        (),
    ),
    "rpc instance only, custom ttls": (
        {"rpc_message_ttl_ms": 30_000, "transient_queue_expires_ms": 60_000},
        ("rpc",),
        {
            "rpc-transient-expiry": {"expires": 60_000, "message-ttl": 30_000},
            "rpc-message-ttl": {"message-ttl": 30_000},
        },
        (),
    ),
    "mirrored with a notification ttl": (
        {"notifications_message_ttl_ms": 3_600_000},
        ("notifications",),
        {"notifications-mirrored": {**MIRROR, "message-ttl": 3_600_000}},
        (),
    ),
    "quorum: no ha policy, a queue-arguments recommendation": (
        {"notifications_queue_type": "quorum"},
        ("notifications",),
        {},
        ({"x-queue-type": "quorum"},),
    ),
    "quorum with ttl: a ttl-only policy": (
        {"notifications_queue_type": "quorum", "notifications_message_ttl_ms": 60_000},
        ("notifications",),
        {"notifications-ttl": {"message-ttl": 60_000}},
        ({"x-queue-type": "quorum"},),
    ),
}


@pytest.mark.parametrize(
    ("options", "carries", "definitions", "arguments"), PLANS.values(), ids=PLANS.keys()
)
def test_build_policies(
    options: dict, carries: tuple[str, ...], definitions: dict, arguments: tuple
) -> None:
    plan = build_policies(SERVICES, PolicyOptions.from_pillar(options), carries)
    assert {p.name: dict(p.definition) for p in plan.policies} == definitions
    assert tuple(dict(q.arguments) for q in plan.queue_arguments) == arguments
    for policy in plan.policies:
        assert policy.apply_to == "queues"
        assert re.compile(policy.pattern)
    for recommendation in plan.queue_arguments:
        assert re.search(recommendation.pattern, "notifications.info")
        assert "x-queue-type=quorum" in recommendation.reason


def test_quorum_mode_leaves_notification_queues_without_mirroring() -> None:
    plan = build_policies(SERVICES, PolicyOptions(notifications_queue_type="quorum"))
    assert effective(plan, "notifications.info") is None
    assert effective(plan, "conductor").name == "rpc-message-ttl"


def test_set_policy_args_and_dict() -> None:
    plan = build_policies({"nova": {}}, carries=("notifications",))
    (policy,) = plan.policies
    args = policy.set_policy_args("/openstack")
    assert args[:7] == (
        "set_policy",
        "-p",
        "/openstack",
        "--priority",
        "10",
        "--apply-to",
        "queues",
    )
    assert args[7:9] == (
        "notifications-mirrored",
        r"^(alarm|alarming|event|metering|notifications|versioned_notifications)\.",
    )
    assert json.loads(args[9]) == MIRROR
    assert policy.as_dict()["definition"] == MIRROR
    assert plan.notification_topics[-1] == "versioned_notifications"


def test_notification_pattern_escapes_topics() -> None:
    pattern = notification_pattern(["a.b", "c-d"])
    assert pattern == r"^(a\.b|c\-d)\."
    assert re.search(pattern, "a.b.info") and not re.search(pattern, "aXb.info")


BAD_OPTIONS = {
    "unknown queue type": ({"notifications_queue_type": "stream"}, "notifications_queue_type"),
    "zero ttl": ({"rpc_message_ttl_ms": 0}, "rpc_message_ttl_ms"),
    "boolean ttl": ({"transient_queue_expires_ms": True}, "transient_queue_expires_ms"),
    "string ttl": ({"notifications_message_ttl_ms": "600"}, "notifications_message_ttl_ms"),
    "unknown key": ({"ha_mode": "all"}, "unknown policy options: ha_mode"),
    "topic with a regex": ({"extra_notification_topics": ["notif.*"]}, "invalid topic"),
}


@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_bad_options(options: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(message)):
        PolicyOptions.from_pillar(options)


BAD_CALLS = {
    "bad carries": (lambda: build_policies({}, carries=("events",)), "carries"),
    "empty carries": (lambda: build_policies({}, carries=()), "carries"),
    "bad pillar topic": (
        lambda: build_policies({"nova": {"notification_topics": ["no spaces"]}}),
        "nova.notification_topics",
    ),
    "no topics": (lambda: notification_pattern([]), "no notification topics"),
}


@pytest.mark.parametrize(("call", "message"), BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_calls(call, message: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(message)):
        call()


PATTERNS = {
    "valid": ("^reply_", None),
    "unbalanced group": ("^(notifications", "invalid regular expression"),
    "nothing to repeat": ("*.info", "invalid regular expression"),
    "empty": ("", "non-empty string"),
    "not a string": (42, "non-empty string"),
}


@pytest.mark.parametrize(("pattern", "problem"), PATTERNS.values(), ids=PATTERNS.keys())
def test_check_pattern(pattern, problem: str | None) -> None:
    result = check_pattern(pattern)
    if problem is None:
        assert result is None
    else:
        assert problem in result


@pytest.mark.parametrize(
    ("given", "wanted"),
    [
        (None, {}),
        ({"/": None}, {"/": [".*", ".*", ".*"]}),
        ({"/": True}, {"/": [".*", ".*", ".*"]}),
        ({"/o": ["^nova", "", ".*"]}, {"/o": ["^nova", "", ".*"]}),
        ({"/o": {"write": "^q"}}, {"/o": [".*", "^q", ".*"]}),
    ],
)
def test_user_permissions(given, wanted):
    assert user_permissions(given) == wanted


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"/o": [".*", ".*"]}, "permissions on /o: need [configure, write, read]"),
        ({"/o": "all"}, "permissions on /o: need [configure, write, read]"),
        ({"/o": ["(", ".*", ".*"]}, "permissions on /o: invalid regular expression '('"),
    ],
)
def test_user_permissions_refused(given, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        user_permissions(given)
