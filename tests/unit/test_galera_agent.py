"""The agent's guard rails that need no database: without etcd it decides nothing."""

from __future__ import annotations

import logging
import socket

import pytest

from stacksalt.etcdstore import EtcdStore, EtcdUnavailable
from stacksalt.galera import mysqld
from stacksalt.galera.agent import Agent, AgentConfig


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
    return Agent(cfg, EtcdStore(cfg.etcd_endpoints, "/galera/t", timeout=0.5))


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
    """A dead member leaves the live members at once, not a poll later."""
    import subprocess
    import time

    agent.child = subprocess.Popen(["sleep", "0.2"])
    started = time.monotonic()
    agent.pause(60)
    assert agent.child.poll() == 0
    assert time.monotonic() - started < 30, "pause() slept through the child's exit"


def test_pause_without_child_sleeps(agent):
    import time

    agent.child = None
    started = time.monotonic()
    agent.pause(0.05)
    assert time.monotonic() - started >= 0.05


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
