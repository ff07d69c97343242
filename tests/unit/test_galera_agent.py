"""The agent's guard rails that need no database: without etcd it decides nothing."""

from __future__ import annotations

import logging
import socket

import pytest

from stacksalt.etcdstore import EtcdUnavailable
from stacksalt.galera import mysqld
from stacksalt.galera.agent import Agent, AgentConfig
from stacksalt.galera.store import GaleraStore


def _dead_endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def agent(tmp_path):
    members = [{"name": f"n{i}", "address": f"10.0.0.{i}"} for i in (1, 2, 3)]
    cfg = AgentConfig(
        cluster="t",
        node="n1",
        address="10.0.0.1",
        members=members,
        etcd_endpoints=[_dead_endpoint()],
        mysqld=mysqld.MysqldConfig(
            datadir=str(tmp_path / "data"), socket=str(tmp_path / "mysqld.sock")
        ),
        runtime_dir=str(tmp_path / "run"),
        haproxy_enabled=False,
    )
    return Agent(cfg, GaleraStore.connect(cfg.etcd_endpoints, "t", timeout=0.5))


def test_no_etcd_means_no_bootstrap(agent):
    with pytest.raises(EtcdUnavailable, match="no etcd endpoint answered"):
        agent.step()
    assert agent.child is None  # nothing was started
    assert agent.lock_lease is None


def test_run_loop_reports_it_clearly(agent, caplog, monkeypatch):
    calls = []

    def one_step():
        calls.append(1)
        agent.stopping = True
        raise EtcdUnavailable("no etcd endpoint answered: http://127.0.0.1:1: refused")

    monkeypatch.setattr(agent, "step", one_step)
    monkeypatch.setattr("stacksalt.galera.agent.serve_checks", lambda _agent: None)
    with caplog.at_level(logging.ERROR, logger="stacksalt.galera.agent"):
        agent.run()
    assert calls == [1]
    assert "etcd unreachable, deciding nothing (no bootstrap without etcd)" in caplog.text


def test_config_file_errors_name_the_file(tmp_path):
    path = tmp_path / "galera.yaml"
    path.write_text("cluster: t\nnode: n1\n")
    with pytest.raises(SystemExit, match=f"{path}: bad galera agent config"):
        AgentConfig.load(str(path))


def test_pause_wakes_when_mariadbd_exits(agent):
    """A dead member leaves the live members at once, not a poll later: a pause of an hour
    returns when the child exits (if it slept through, the unit tests' time limit fails
    this test)."""
    import subprocess

    agent.child = subprocess.Popen(["sleep", "0.2"])
    agent.pause(3600)
    assert agent.child.poll() == 0


def test_pause_without_child_sleeps(agent, monkeypatch):
    from stacksalt.galera import agent as agent_module

    slept = []
    monkeypatch.setattr(agent_module.time, "sleep", slept.append)
    agent.child = None
    agent.pause(0.05)
    assert slept == [0.05]


def _join_setup(agent, answering: bool):
    """Members on loopback addresses; n2's Galera port listens when ``answering``."""
    from stacksalt.galera.decision import EtcdState

    listener = socket.socket()
    listener.bind(("127.0.0.2", 0))
    port = listener.getsockname()[1]
    if answering:
        listener.listen()
    else:
        listener.close()  # the port was just free: nothing listens there now
    agent.cfg.galera_port = port
    agent.cfg.members = [
        {"name": "n1", "address": "127.0.0.1"},
        {"name": "n2", "address": "127.0.0.2"},
        {"name": "n3", "address": "127.0.0.3"},
    ]
    etcd = EtcdState(state="STEADY", leader="n2", live_nodes=frozenset({"n2"}))
    return listener, etcd


@pytest.mark.parametrize("answering", [True, False])
def test_a_join_waits_while_no_live_member_answers(agent, answering):
    """All members killed at once: n2 is still registered (its agent has not looked yet) but
    its mariadbd is gone. Joining it would be doomed; the agent waits instead."""
    from stacksalt.galera.decision import Action, Decision

    listener, etcd = _join_setup(agent, answering)
    try:
        join = Decision(Action.JOIN, "reconnect: node n1 joins n2 (the leader)", target="n2")
        decided = agent.check_join(join, etcd)
    finally:
        listener.close()
    if answering:
        assert decided is join
    else:
        assert decided.action is Action.WAIT
        assert "no live member (n2) answers on its Galera port" in decided.reason
        assert decided.reason.startswith("reconnect: node n1 joins n2")


def _log_lines(path, want: int, timeout: float = 5.0) -> list[str]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= want:
            return lines
        time.sleep(0.05)
    return path.read_text().split() if path.exists() else []


def test_the_writer_haproxy_is_reloaded_only_on_a_change_and_never_too_young(
    agent, tmp_path, monkeypatch
):
    """A stand-in HAProxy that records its starts and reloads. Same config: nothing sent. A
    new leader right after the start: not sent yet (a SIGUSR2 before HAProxy has set its
    handlers kills it), sent on the next look once settled. Died: started again."""
    import time

    from stacksalt.galera import agent as agent_mod

    events = tmp_path / "events"
    binary = tmp_path / "haproxy"
    binary.write_text(
        f"#!/bin/bash\ntrap 'echo reload >> {events}' USR2\necho start >> {events}\n"
        "while :; do sleep 0.05; done\n"
    )
    binary.chmod(0o755)
    agent.cfg.haproxy_enabled = True
    agent.cfg.haproxy_binary = str(binary)
    monkeypatch.setattr(agent_mod, "HAPROXY_SETTLE", 1.0)
    conf = tmp_path / "run" / "galera-haproxy.cfg"
    try:
        agent.update_haproxy(None)
        assert _log_lines(events, 1) == ["start"]
        agent.update_haproxy("n1")  # n1 is the writer when there is no leader: same config
        agent.update_haproxy("n2")  # a change, but HAProxy is too young for a signal
        time.sleep(0.3)
        assert events.read_text().split() == ["start"]
        assert "server n1 10.0.0.1:3306 check\n" in conf.read_text()
        time.sleep(1.0)
        agent.update_haproxy("n2")
        assert _log_lines(events, 2) == ["start", "reload"]
        assert "server n2 10.0.0.2:3306 check\n" in conf.read_text()
        agent.update_haproxy("n2")
        time.sleep(0.3)
        assert events.read_text().split() == ["start", "reload"]
        agent.haproxy.kill()
        agent.haproxy.wait()
        agent.update_haproxy("n2")  # same leader, but it died: started again
        assert _log_lines(events, 3) == ["start", "reload", "start"]
    finally:
        if agent.haproxy is not None:
            agent.haproxy.kill()
            agent.haproxy.wait()


def test_the_checks_share_one_recent_wsrep_status(agent, monkeypatch):
    """Checks answer from a status read less than CHECK_MAX_AGE ago (one query for many
    HAProxy checks); the agent's own looks always read it anew."""
    from stacksalt.galera import agent as agent_mod

    calls = []

    def status(_cfg):
        calls.append(1)
        return {"wsrep_local_state_comment": "Synced", "wsrep_ready": "ON"}

    monkeypatch.setattr(agent_mod.mysqld, "wsrep_status", status)
    for _ in range(5):
        agent.wsrep(agent_mod.CHECK_MAX_AGE)
    assert len(calls) == 1
    agent.wsrep()
    assert len(calls) == 2
    agent.wsrep_seen = (agent.wsrep_seen[0] - agent_mod.CHECK_MAX_AGE, agent.wsrep_seen[1])
    assert agent.wsrep(agent_mod.CHECK_MAX_AGE)["wsrep_ready"] == "ON"
    assert len(calls) == 3  # too old: read anew
