"""Rolling restart helpers: when a member runs an older configuration than its files."""

from __future__ import annotations

import os
import subprocess
import time

from stacksalt.galera import restart


def test_process_start_time_of_a_child_is_now():
    before = time.time()
    child = subprocess.Popen(["sleep", "5"])  # noqa: S607
    try:
        started = restart.process_started_at(child.pid)
    finally:
        child.kill()
        child.wait()
    # btime has a resolution of one second, the start time of one clock tick
    assert before - 1.5 <= started <= time.time() + 1.5


def test_process_start_time_reads_a_name_with_spaces_and_parentheses(tmp_path):
    (tmp_path / "42").mkdir()
    fields = ["S"] + ["0"] * 16 + ["12345"] + ["0"] * 10  # field 22 is the 20th after ")"
    fields[19] = str(300 * os.sysconf("SC_CLK_TCK"))
    (tmp_path / "42" / "stat").write_text("42 (a (b) c) " + " ".join(fields) + "\n")
    (tmp_path / "stat").write_text("cpu 1 2 3\nbtime 1000\nprocesses 5\n")
    assert restart.process_started_at(42, tmp_path) == 1300


def test_files_written_after_the_start_are_due(tmp_path):
    old, new, gone = tmp_path / "old.cnf", tmp_path / "new.cnf", tmp_path / "gone.cnf"
    old.write_text("a")
    new.write_text("b")
    started = 1_000_000.0
    os.utime(old, (started - 10, started - 10))
    os.utime(new, (started + 60, started + 60))
    assert restart.changed_since([str(old), str(new), str(gone)], started) == [str(new)]


def test_a_file_written_just_before_the_start_is_not_due(tmp_path):
    cnf = tmp_path / "galera.cnf"
    cnf.write_text("a")
    started = 1_000_000.0
    os.utime(cnf, (started + 0.5, started + 0.5))  # within btime's one-second resolution
    assert restart.changed_since([str(cnf)], started) == []


def test_nothing_running_means_every_existing_file_is_due(tmp_path):
    cnf = tmp_path / "galera.cnf"
    cnf.write_text("a")
    assert restart.changed_since([str(cnf), str(tmp_path / "missing")], None) == [str(cnf)]
