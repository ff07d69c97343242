"""runtime.run_job without a cluster: returns as they come, and a job still running at the
timeout reported as such (not silently missing)."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from stacksalt.cluster import runtime

JID = "20261203190000123456"


def _fake(monkeypatch, returns_by_poll: list[dict], running: set[str]):
    """Polls return ``returns_by_poll`` in turn (then the last one); ``running`` minions
    answer find_job; the clock advances 10 s per look."""
    clock = itertools.count(0, 10)
    polls = iter(returns_by_poll)
    last: dict = {}

    def lookup(_master, jid):
        nonlocal last
        assert jid == JID
        last = next(polls, last)
        return dict(last)

    fake_time = SimpleNamespace(monotonic=lambda: float(next(clock)), sleep=lambda _s: None)
    monkeypatch.setattr(runtime, "time", fake_time)
    monkeypatch.setattr(
        runtime, "run", lambda _m, _cmd: (0, f"Executed command with job ID: {JID}\n")
    )
    monkeypatch.setattr(runtime, "lookup_jid", lookup)
    monkeypatch.setattr(
        runtime,
        "salt",
        lambda _m, args, timeout=30: {m: {"jid": JID} for m in running if m in args[1]},
    )


def test_returns_collected_as_they_come(monkeypatch):
    _fake(monkeypatch, [{}, {"a": {"s": 1}}, {"a": {"s": 1}, "b": {"s": 2}}], running={"b"})
    logged = []
    got = runtime.run_job(object(), "*", ["state.highstate"], ["a", "b"], log=logged.append)
    assert got == {"a": {"s": 1}, "b": {"s": 2}}
    assert not any("gave up" in line for line in logged)


def test_a_job_still_running_at_the_timeout_says_so(monkeypatch):
    _fake(monkeypatch, [{"a": {"s": 1}}], running={"b"})
    logged = []
    got = runtime.run_job(
        object(), "*", ["state.highstate"], ["a", "b"], log=logged.append, timeout=100
    )
    assert got["a"] == {"s": 1}
    assert got["b"].startswith(f"no return within 100 s: job {JID} (state.highstate)")
    assert any(f"gave up after 100 s waiting for job {JID} on: b" in line for line in logged)
