"""_states/galera_cluster.py: databases and accounts are applied by the leader; a member that
is not the leader waits for the change to replicate, and applies it itself when the leader
never does (the leadership moved during the run to a member already past the state).

The execution-module functions are stand-ins over a set of database names: what is tested
is who applies what and when, not SQL (the local cluster runs the real thing)."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEADER = {"cluster": "local", "node": "ctl02", "endpoints": ["http://127.0.0.1:1"]}


def load_states(databases: set[str], is_leader: bool, test: bool = False):
    spec = importlib.util.spec_from_file_location(
        "galera_cluster_states", ROOT / "_states" / "galera_cluster.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    created = []

    def create(name, socket=None):
        databases.add(name)
        created.append(name)

    mod.__salt__ = {
        "galera_cluster.database_exists": lambda name, socket=None: name in databases,
        "galera_cluster.database_create": create,
        "galera_cluster.is_leader": lambda **_leader: is_leader,
    }
    mod.__opts__ = {"test": test}
    return mod, created


def test_the_leader_creates_a_missing_database():
    mod, created = load_states(set(), is_leader=True)
    ret = mod.database_present("keystone", leader=LEADER)
    assert ret["result"] is True and ret["changes"] and created == ["keystone"]


def test_a_member_that_is_not_the_leader_waits_for_the_leaders_change():
    databases: set[str] = set()
    mod, created = load_states(databases, is_leader=False)
    # the leader's CREATE arrives by replication a moment later
    threading.Timer(0.3, databases.add, ("keystone",)).start()
    ret = mod.database_present("keystone", leader=LEADER, leader_wait=5)
    assert ret["result"] is True and not ret["changes"], ret
    assert created == []
    assert "applied by the leader" in ret["comment"]


def test_a_member_applies_it_when_the_leader_never_does():
    mod, created = load_states(set(), is_leader=False)
    ret = mod.database_present("keystone", leader=LEADER, leader_wait=1.5)
    assert ret["result"] is True and ret["changes"], ret
    assert created == ["keystone"]


@pytest.mark.parametrize("is_leader", [True, False])
def test_test_mode_changes_nothing_and_waits_for_nobody(is_leader):
    mod, created = load_states(set(), is_leader=is_leader, test=True)
    ret = mod.database_present("keystone", leader=LEADER, leader_wait=60)
    assert created == []
    assert ret["result"] is (None if is_leader else True)
