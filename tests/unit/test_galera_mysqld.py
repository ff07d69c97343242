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
