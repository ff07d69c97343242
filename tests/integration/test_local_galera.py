"""Galera on the local cluster's three controllers: destructive scenarios that count
acknowledged writes.

A writer inserts numbered rows through the single-writer HAProxy on ctl01 and records every id
the server acknowledged (autocommit: the INSERT returned). After each scenario every member
must hold every acknowledged id.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.request

import pymysql
import pytest

from stacksalt.galera.store import GaleraStore

from .helpers import ADDR, CTL, dexec, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.requires("docker")]

WRITER_HOST, WRITER_PORT = ADDR["ctl01"], 13306
SYNC_TIMEOUT = 300
# A Salt job on the controllers, a rolling restart of the three members included (35-57 s
# measured, minutes on a loaded machine).
JOB_TIMEOUT = 600


def sql(node: str, query: str, check: bool = True) -> str:
    """Run SQL as root over the local socket; the query goes on stdin, never on argv."""
    return dexec(node, "mariadb -N -B", stdin=query, check=check)


def wsrep(node: str) -> dict[str, str]:
    out = sql(node, "SHOW GLOBAL STATUS LIKE 'wsrep%';", check=False)
    return dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)


def store() -> GaleraStore:
    return GaleraStore.connect([f"http://{ADDR[n]}:2379" for n in CTL], "local")


def status(node: str) -> dict:
    return store().status(node)


def all_synced(size: int = 3) -> bool:
    for node in CTL:
        w = wsrep(node)
        if (
            w.get("wsrep_local_state_comment") != "Synced"
            or w.get("wsrep_ready") != "ON"
            or int(w.get("wsrep_cluster_size", 0)) != size
        ):
            return False
    return True


def wait_synced(size: int = 3) -> None:
    wait_for(f"{size} Synced members", lambda: all_synced(size), timeout=SYNC_TIMEOUT)


def kill9(node: str) -> None:
    dexec(node, "pkill -9 -x mariadbd")


def agent(node: str, action: str) -> None:
    dexec(node, f"systemctl {action} stacksalt-galera")


class Writer(threading.Thread):
    """Inserts ids one by one; ``acked`` holds those the server acknowledged."""

    next_id = 1

    def __init__(self, password: str, host: str = WRITER_HOST):
        super().__init__(daemon=True)
        self.password = password
        self.host = host
        self.acked: list[int] = []
        self.via: dict[int, str] = {}
        self.errors = 0
        self.last_error = ""
        self.halt = threading.Event()

    def connect(self):
        return pymysql.connect(
            host=self.host,
            port=WRITER_PORT,
            user="stacksalt_writer",
            password=self.password,
            database="writes_test",
            autocommit=True,
            connect_timeout=2,
            read_timeout=5,
            write_timeout=5,
        )

    def run(self):
        conn = None
        while not self.halt.is_set():
            i = Writer.next_id
            Writer.next_id += 1
            try:
                if conn is None:
                    conn = self.connect()
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO t (id, via) VALUES (%s, @@hostname)", (i,))
                    cur.execute("SELECT @@hostname")
                    self.via[i] = cur.fetchone()[0]
                self.acked.append(i)
            except pymysql.MySQLError as exc:
                self.errors += 1
                self.last_error = repr(exc)
                with contextlib.suppress(Exception):
                    conn.close()
                conn = None
                time.sleep(0.1)
            time.sleep(0.005)

    def wait_more(self, n: int, timeout: float = SYNC_TIMEOUT) -> None:
        target = len(self.acked) + n
        wait_for(
            lambda: (
                f"{n} more acknowledged writes through {self.host}:{WRITER_PORT} "
                f"(errors: {self.errors}, last: {self.last_error or '-'})"
            ),
            lambda: len(self.acked) >= target,
            timeout,
        )


def prepare_writer() -> str:
    """Create the writer's database, table and account on the leader; ids continue after the
    table's highest. Returns the account's password (sent on stdin, never on argv)."""
    password = secrets.token_urlsafe(18)
    leader = store().leader()
    sql(
        leader,
        "CREATE DATABASE IF NOT EXISTS writes_test;"
        "CREATE TABLE IF NOT EXISTS writes_test.t (id INT PRIMARY KEY, via VARCHAR(32));"
        f"CREATE OR REPLACE USER 'stacksalt_writer'@'%' IDENTIFIED BY '{password}';"
        "GRANT ALL ON writes_test.* TO 'stacksalt_writer'@'%';",
    )
    Writer.next_id = int(sql(leader, "SELECT COALESCE(MAX(id), 0) FROM writes_test.t;")) + 1
    return password


@pytest.fixture(scope="module")
def db(cluster):
    wait_synced()
    return prepare_writer()


@contextlib.contextmanager
def writing(password: str, host: str = WRITER_HOST):
    """A running writer through the single-writer HAProxy on ``host`` (every controller has
    one: clients use their own node's)."""
    writer = Writer(password, host)
    writer.start()
    try:
        writer.wait_more(20, timeout=60)
        yield writer
    finally:
        writer.halt.set()
        writer.join(timeout=30)


@contextlib.contextmanager
def watching_synced():
    """Samples, every 0.2 s, the cluster size seen by the Synced members (0 when none is
    Synced); yields the list of samples, filled until the block ends."""
    samples: list[int] = []
    halt = threading.Event()

    def monitor():
        while not halt.is_set():
            sizes = [
                int(w.get("wsrep_cluster_size", 0))
                for w in map(wsrep, CTL)
                if w.get("wsrep_local_state_comment") == "Synced"
            ]
            samples.append(max(sizes, default=0))
            time.sleep(0.2)

    watcher = threading.Thread(target=monitor, daemon=True)
    watcher.start()
    try:
        yield samples
    finally:
        halt.set()
        watcher.join(30)


def assert_nothing_lost(writer: Writer) -> None:
    wait_synced()
    acked = set(writer.acked)
    assert acked, "the writer got no acknowledgement at all"
    for node in CTL:
        have = {int(x) for x in sql(node, "SELECT id FROM writes_test.t;").split()}
        lost = sorted(acked - have)
        assert not lost, f"{node} lost {len(lost)} acknowledged rows: {lost[:20]}"


def ready(node: str) -> int:
    try:
        with urllib.request.urlopen(f"http://{ADDR[node]}:9200/ready", timeout=3) as resp:  # noqa: S310
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def log_count(node: str, text: str) -> int:
    out = dexec(node, f"grep -c '{text}' /var/log/mysql/error.log", check=False)
    return int(out.strip() or 0)


def test_three_synced_members_with_leader_and_single_writer(db):
    s = store()
    assert s.state() == "STEADY"
    leader = s.leader()
    assert leader in CTL
    assert sorted(s.live_members()) == list(CTL)
    assert all(ready(n) == 200 for n in CTL)
    cfg = dexec("ctl02", "cat /run/stacksalt/galera-haproxy.cfg")
    servers = [ln.split() for ln in cfg.splitlines() if ln.strip().startswith("server ")]
    active = [" ".join(sv) + " " for sv in servers if "backup" not in sv]
    assert len(active) == 1 and f"server {leader} " in active[0]
    # the writer's rows are served by the leader only
    with writing(db) as w:
        w.wait_more(30)
    assert set(w.via.values()) == {leader}


@pytest.mark.parametrize("victim", ["leader", "non-leader"])
def test_kill9_one_member_during_writes(db, victim):
    s = store()
    leader = s.leader()
    node = leader if victim == "leader" else next(n for n in CTL if n != leader)
    ists = log_count(node, "Receiving IST")
    with writing(db) as w:
        kill9(node)
        killed_at = len(w.acked)
        if victim == "leader":
            new = wait_for(
                "a new leader",
                lambda: (s.leader() not in (None, leader)) and s.leader(),
                timeout=60,
            )
        w.wait_more(50)
        wait_synced()
        w.wait_more(20)
        if victim == "leader":
            # the writer moved to the new leader; HAProxy marks a server up after 2 good
            # checks (1 s), so the writer may still be on a backup for that long
            wait_for(
                lambda: (
                    f"the writer on the new leader {new} (last write via {w.via.get(w.acked[-1])})"
                ),
                lambda: w.via.get(w.acked[-1]) == new,
                timeout=15,
            )
            moved_at = len(w.acked)
            w.wait_more(20)
    assert_nothing_lost(w)
    # it rejoined with its own data (a known local position) and caught up by IST
    local_state = dexec(node, "grep 'Local state:' /var/log/mysql/error.log | tail -1")
    assert "00000000-0000-0000-0000-000000000000" not in local_state, local_state
    assert log_count(node, "Receiving IST") > ists, f"{node} rejoined without IST"
    if victim == "leader":
        # it stayed there: one writer, the new leader
        after = [w.via[i] for i in w.acked[moved_at:] if i in w.via]
        assert after and set(after) == {new}, after
        assert killed_at < moved_at


def test_kill9_all_members_recovers_without_operator(db):
    """How long it takes is measured by 'make bench-galera', not here."""
    with writing(db) as w:
        for node in CTL:
            kill9(node)
        wait_synced()
        w.wait_more(30)
    assert_nothing_lost(w)
    assert store().state() == "STEADY"


def test_member_alone_with_newer_rows_is_chosen_after_full_outage(db):
    s = store()
    survivor = s.leader()
    others = [n for n in CTL if n != survivor]
    for node in others:
        agent(node, "stop")
    wait_for(
        f"{survivor} alone",
        lambda: int(wsrep(survivor).get("wsrep_cluster_size", 0)) == 1,
        timeout=60,
    )
    # through the survivor's own HAProxy: a stopped agent takes its node's HAProxy with it
    with writing(db, ADDR[survivor]) as w:
        w.wait_more(50)
        kill9(survivor)
    alone = set(w.acked)
    for node in others:
        agent(node, "start")
    wait_synced()
    assert_nothing_lost(w)
    decision = status(survivor)
    assert decision["action"] in ("RECOVERY_BOOTSTRAP", "KEEP_RUNNING")
    assert s.leader() == survivor
    for node in others:
        have = {int(x) for x in sql(node, "SELECT id FROM writes_test.t;").split()}
        assert alone <= have


def _set_force(node: str, value: str) -> None:
    dexec(
        node,
        f"sed -i 's/^force_bootstrap: .*/force_bootstrap: {value}/' /etc/stacksalt/galera.yaml",
    )


def test_force_bootstrap_picks_the_named_member(db, cluster):
    from stacksalt.cluster import runtime

    order = list(CTL)
    for node in order:  # the last one stopped would win without force_bootstrap
        agent(node, "stop")
    forced = order[0]
    for node in CTL:
        _set_force(node, forced)
    for node in CTL:
        agent(node, "start")
    wait_synced()
    assert store().leader() == forced
    seen = store().status()
    assert status(forced)["action"] in ("RECOVERY_BOOTSTRAP", "KEEP_RUNNING"), seen
    # the highstate puts the model's configuration back (and the cluster survives it)
    rows = runtime.highstate(runtime.client(), cluster, timeout=JOB_TIMEOUT)
    assert all(r.ok for r in rows), [(r.node, r.failures) for r in rows]
    for node in CTL:
        assert "force_bootstrap: null" in dexec(node, "cat /etc/stacksalt/galera.yaml")
    wait_synced()


def test_member_with_foreign_uuid_is_fenced(db):
    s = store()
    leader = s.leader()
    node = next(n for n in CTL if n != leader)
    agent(node, "stop")
    dexec(
        node,
        "sed -i 's/^uuid:.*/uuid:    0badc0de-0000-11f1-8000-000000000001/' "
        "/var/lib/mysql/grastate.dat",
    )
    agent(node, "start")
    decision = wait_for(
        "the fence", lambda: status(node).get("action") == "FENCE" and status(node), timeout=60
    )
    assert "split brain" in decision["reason"]
    assert dexec(node, "pgrep -x mariadbd", check=False).strip() == ""
    assert ready(node) == 503
    assert node not in s.live_members()
    with writing(db) as w:  # the other two serve on
        w.wait_more(20)
    # the operator wipes the fenced node; it rejoins by SST
    agent(node, "stop")
    dexec(node, "rm -rf /var/lib/mysql/* && chown mysql:mysql /var/lib/mysql")
    agent(node, "start")
    wait_synced()
    assert_nothing_lost(w)


def apply_galera(cluster, pillar: dict | None) -> list:
    """``state.apply galera`` on the three controllers at once, from the master."""
    from stacksalt.cluster import runtime
    from stacksalt.cluster.summary import summarize

    master = runtime.client().containers.get(cluster.container(cluster.master))
    ids = [n.id for n in cluster.nodes if n.hostname in CTL]
    args = ["state.apply", "galera"] + ([f"pillar={json.dumps(pillar)}"] if pillar else [])
    ret = runtime.run_job(master, "ctl*", args, ids, timeout=JOB_TIMEOUT)
    rows = [summarize(i, ret.get(i, "no return")) for i in ids]
    assert all(r.ok for r in rows), [(r.node, r.error, r.failures) for r in rows]
    return rows


def test_a_config_change_restarts_the_members_one_at_a_time(db, cluster):
    """A highstate that changes the configuration on every member at once: each restarts in
    its turn (at every moment at least two members are Synced), the writer loses nothing,
    the new setting is live everywhere, and a second run changes nothing."""
    pids = {n: dexec(n, "pgrep -x mariadbd").strip() for n in CTL}
    value = 400 + secrets.randbelow(90)  # the model says 500
    with watching_synced() as synced, writing(db) as w:
        rows = apply_galera(cluster, {"galera": {"server": {"max_connections": value}}})
        w.wait_more(20)
    for row in rows:
        assert "galera-server-agent-restarted-in-turn" in row.changes, (row.node, row.changes)
    assert_nothing_lost(w)
    assert synced and min(synced) >= 2, f"fewer than 2 Synced members at some point: {synced}"
    for node in CTL:
        assert int(sql(node, "SELECT @@max_connections;")) == value
        assert dexec(node, "pgrep -x mariadbd").strip() != pids[node], f"{node} not restarted"
    again = apply_galera(cluster, {"galera": {"server": {"max_connections": value}}})
    assert [r.changes for r in again] == [[], [], []]
    # back to the model's configuration (one more rolling restart)
    apply_galera(cluster, None)
    wait_synced()
    for node in CTL:
        assert int(sql(node, "SELECT @@max_connections;")) == 500
