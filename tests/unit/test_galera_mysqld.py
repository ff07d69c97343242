"""stacksalt.galera.mysqld without a server: what it prepares before it runs mariadbd."""

from __future__ import annotations

import subprocess
from pathlib import Path

from stacksalt.galera import mysqld

UUID = "dd2660c7-e618-11f1-880b-7ab2f4b5cc09"


def test_wsrep_recover_creates_the_socket_folder_first(tmp_path, monkeypatch):
    """mariadbd --wsrep-recover opens its socket before it recovers: in a fresh container
    (no /run/mysqld, no tmpfiles.d) it aborted, and the agent retried for ever."""
    cfg = mysqld.MysqldConfig(
        socket=str(tmp_path / "run" / "mysqld" / "mysqld.sock"),
        log=str(tmp_path / "log" / "mysql" / "agent.log"),
    )
    seen = {}

    def fake_run(cmd, **_kwargs):
        seen["socket_dir"] = Path(cfg.socket).parent.is_dir()
        log = next(a for a in cmd if a.startswith("--log-error=")).split("=", 1)[1]
        Path(log).write_text(f"[Note] WSREP: Recovered position: {UUID}:6\n")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(mysqld, "_owner", lambda path, user: None)
    monkeypatch.setattr(mysqld.subprocess, "run", fake_run)
    position = mysqld.wsrep_recover(cfg)
    assert seen == {"socket_dir": True}
    assert (position.uuid, position.seqno) == (UUID, 6)


def _started_argv(tmp_path, monkeypatch, **kwargs) -> list[str]:
    """Run mysqld.start with a stand-in binary that records its arguments."""
    seen = tmp_path / "argv"
    binary = tmp_path / "mariadbd"
    binary.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {seen}\n')
    binary.chmod(0o755)
    cfg = mysqld.MysqldConfig(
        binary=str(binary),
        datadir=str(tmp_path / "data"),
        socket=str(tmp_path / "run" / "mysqld.sock"),
        log=str(tmp_path / "log" / "mysqld.log"),
    )
    monkeypatch.setattr(mysqld, "_owner", lambda path, user: None)
    assert mysqld.start(cfg, **kwargs).wait(timeout=30) == 0
    return seen.read_text().splitlines()


def test_a_join_names_its_donors_with_a_fallback(tmp_path, monkeypatch):
    argv = _started_argv(
        tmp_path,
        monkeypatch,
        new_cluster=False,
        start_position=f"{UUID}:6",
        donors=["ctl03", "ctl02"],
    )
    # trailing comma: Galera may still use any other member when those cannot serve
    assert "--wsrep-sst-donor=ctl03,ctl02," in argv
    assert f"--wsrep-start-position={UUID}:6" in argv
    assert "--wsrep-new-cluster" not in argv


def test_a_bootstrap_names_no_donor(tmp_path, monkeypatch):
    argv = _started_argv(
        tmp_path, monkeypatch, new_cluster=True, start_position=None, donors=["ctl02"]
    )
    assert "--wsrep-new-cluster" in argv
    assert not [a for a in argv if a.startswith("--wsrep-sst-donor")]


def test_admin_as_configured_reads_show_grants():
    digest = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
    line = (
        "GRANT ALL PRIVILEGES ON *.* TO `stacksalt_admin`@`%` IDENTIFIED BY PASSWORD "
        f"'{digest}' WITH GRANT OPTION"
    )
    assert mysqld.admin_as_configured([line], "stacksalt_admin", digest)
    assert not mysqld.admin_as_configured([], "stacksalt_admin", digest)  # no account
    other = line.replace(digest, "*0000000000000000000000000000000000000000")
    assert not mysqld.admin_as_configured([other], "stacksalt_admin", digest)  # new password
    assert not mysqld.admin_as_configured(
        [line.replace(" WITH GRANT OPTION", "")], "stacksalt_admin", digest
    )
    assert not mysqld.admin_as_configured([line], "someone_else", digest)


def test_forget_position_asks_for_a_full_state_transfer(tmp_path):
    cfg = mysqld.MysqldConfig(datadir=str(tmp_path))
    mysqld.forget_position(cfg)  # a blank datadir: nothing to forget
    (tmp_path / "grastate.dat").write_text(
        "# GALERA saved state\nversion: 2.1\n"
        "uuid:    6f4cb974-ef6a-11f1-a028-b73566bee566\nseqno:   12\nsafe_to_bootstrap: 0\n"
    )
    mysqld.forget_position(cfg)
    text = (tmp_path / "grastate.dat").read_text()
    assert "seqno:   -1\n" in text and "6f4cb974-ef6a-11f1-a028-b73566bee566" in text
