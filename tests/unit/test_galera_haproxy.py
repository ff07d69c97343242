"""The single-writer HAProxy configuration: leader active, others backups in model order."""

from __future__ import annotations

import pytest

from stacksalt.galera import haproxy

MEMBERS = [
    {"name": "ctl01", "address": "10.0.0.11"},
    {"name": "ctl02", "address": "10.0.0.12"},
    {"name": "ctl03", "address": "10.0.0.13"},
]


def servers(text):
    return [line.split()[1:] for line in text.splitlines() if line.strip().startswith("server")]


@pytest.mark.parametrize(
    ("leader", "expected"),
    [
        (
            "ctl01",
            [
                ["ctl01", "10.0.0.11:3306", "check"],
                ["ctl02", "10.0.0.12:3306", "check", "backup"],
                ["ctl03", "10.0.0.13:3306", "check", "backup"],
            ],
        ),
        (
            "ctl02",
            [
                ["ctl02", "10.0.0.12:3306", "check"],
                ["ctl01", "10.0.0.11:3306", "check", "backup"],
                ["ctl03", "10.0.0.13:3306", "check", "backup"],
            ],
        ),
        (
            None,
            [
                ["ctl01", "10.0.0.11:3306", "check"],
                ["ctl02", "10.0.0.12:3306", "check", "backup"],
                ["ctl03", "10.0.0.13:3306", "check", "backup"],
            ],
        ),
        (
            "gone",
            [
                ["ctl01", "10.0.0.11:3306", "check"],
                ["ctl02", "10.0.0.12:3306", "check", "backup"],
                ["ctl03", "10.0.0.13:3306", "check", "backup"],
            ],
        ),
    ],
    ids=["leader-first", "leader-second", "no-leader", "unknown-leader"],
)
def test_exactly_one_writer(leader, expected):
    text = haproxy.render(MEMBERS, leader, "0.0.0.0", 13306, 9200, "/run/x.sock")
    assert servers(text) == expected
    assert "option httpchk GET /ready" in text
    assert "on-marked-down shutdown-sessions" in text
    assert "bind 0.0.0.0:13306" in text


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "inter 500ms fall 2 rise 2"),  # the default: failover in about 1 s
        ({"check_inter_ms": 2000, "check_fall": 3}, "inter 2000ms fall 3 rise 2"),
    ],
    ids=["default", "tolerant"],
)
def test_check_timing(kwargs, expected):
    text = haproxy.render(MEMBERS, "ctl01", "0.0.0.0", 13306, 9200, "/run/x.sock", **kwargs)
    assert f"default-server port 9200 {expected} " in text


def test_a_reload_ends_the_old_workers_sessions():
    """After a leader change the old worker must not keep clients on the old writer."""
    text = haproxy.render(MEMBERS, "ctl02", "0.0.0.0", 13306, 9200, "/run/x.sock")
    glob = text.split("defaults", 1)[0]
    assert "    hard-stop-after 1s\n" in glob
