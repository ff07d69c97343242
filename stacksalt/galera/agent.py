"""The Galera agent: one per member, the parent of mariadbd and of the writer's HAProxy.

It is the spec's Galera entrypoint (CCP §2.2.2-2.2.4) as a long-running process: it gathers
facts (grastate.dat, ``--wsrep-recover``, wsrep status), reads the cluster's state from etcd
under ``/galera/<cluster>/``, asks :func:`stacksalt.galera.decision.decide` what to do, does
it, and writes what it decided and why to ``status/<node>``. It also serves the checker
(``/ready``, ``/live``) for HAProxy and probes, and keeps every HAProxy pointed at the leader.

The cluster's record in etcd (its keys) is :mod:`stacksalt.galera.store`'s.

Run: ``python -m stacksalt.galera.agent --config /etc/stacksalt/galera.yaml``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pymysql
import yaml

from stacksalt.etcdstore import EtcdError, EtcdUnavailable, Lease
from stacksalt.galera import haproxy, mysqld
from stacksalt.galera.checker import LivenessFacts, check_liveness, check_readiness
from stacksalt.galera.decision import (
    Action,
    ClusterConfig,
    ClusterState,
    Decision,
    EtcdState,
    decide,
    donor_order,
    gate_join,
    join_peers,
    leader_to_claim,
)
from stacksalt.galera.facts import ZERO_UUID, NodeFacts
from stacksalt.galera.store import START_LOCK, GaleraStore

log = logging.getLogger("stacksalt.galera.agent")

HAPROXY_SETTLE = 2.0
# The checks answer from a wsrep status at most this old (HAProxy asks every 0.5 s).
CHECK_MAX_AGE = 0.5
# A joiner seen out of the cluster (wsrep_connected OFF while it answers SQL) this long after
# its state transfer has failed for good.
JOIN_FAILED_AFTER = 3.0
"""Seconds after a start or reload of the writer's HAProxy before it is sent a reload."""

STARTS = (Action.BOOTSTRAP_NEW_CLUSTER, Action.JOIN, Action.RECOVERY_BOOTSTRAP)
"""The decisions that start mariadbd: they need the lock."""


@dataclass
class AgentConfig:
    cluster: str
    node: str
    address: str
    members: list[dict]
    etcd_endpoints: list[str]
    cluster_size: int = 3
    force_bootstrap: str | None = None
    mysqld: mysqld.MysqldConfig = field(default_factory=mysqld.MysqldConfig)
    check_bind: str = "0.0.0.0"  # noqa: S104 - HAProxy on the other members must reach it
    check_port: int = 9200
    haproxy_enabled: bool = True
    haproxy_bind: str = "0.0.0.0"  # noqa: S104
    haproxy_port: int = 13306
    haproxy_binary: str = "/usr/sbin/haproxy"
    haproxy_check_inter_ms: int = 500
    haproxy_check_fall: int = 2
    mysql_port: int = 3306  # the members' MariaDB port (galera:server:port)
    runtime_dir: str = "/run/stacksalt"
    poll: float = 1.0
    fast_poll: float = 0.2
    node_ttl: int = 5
    lock_ttl: int = 60
    start_timeout: float = 600.0
    freshness_window: float = 300.0
    recovery_timeout: float = 900.0
    not_ready_grace: float = 15.0
    join_abandon: float = 1.0
    galera_port: int = 4567
    probe_timeout: float = 0.5
    admin: dict | None = None  # {user, password}: the administrator account over TCP

    @classmethod
    def load(cls, path: str) -> AgentConfig:
        data = yaml.safe_load(Path(path).read_text()) or {}
        try:
            mcfg = mysqld.MysqldConfig(**(data.pop("mysqld", {}) or {}))
            etcd = data.pop("etcd")
            return cls(mysqld=mcfg, etcd_endpoints=list(etcd["endpoints"]), **data)
        except (KeyError, TypeError) as exc:
            raise SystemExit(f"{path}: bad galera agent config: {exc}") from exc

    @property
    def cluster_config(self) -> ClusterConfig:
        return ClusterConfig(
            name=self.cluster,
            members=tuple(m["name"] for m in self.members),
            cluster_size=self.cluster_size,
            force_bootstrap=self.force_bootstrap,
        )


class Agent:
    def __init__(self, cfg: AgentConfig, store: GaleraStore | None = None):
        self.cfg = cfg
        self.store = store or GaleraStore.connect(cfg.etcd_endpoints, cfg.cluster)
        self.child: subprocess.Popen | None = None
        self.haproxy: subprocess.Popen | None = None
        self.haproxy_config: str | None = None  # the config the running HAProxy has
        self.haproxy_signalled = 0.0  # monotonic time of its last start or reload
        self.node_lease: Lease | None = None
        self.lock_lease: Lease | None = None
        self.recovered: tuple[str, int, float] | None = None  # uuid, seqno, read_at
        self.last_status: str = ""
        self.stored_uuid: str | None = None
        self.previous_comment: str | None = None
        self.fenced = False
        self.stopping = False
        self.not_ready_since: float | None = None
        self.admin_done = False  # the administrator account was set by this process
        self.full_sst = False  # the last join failed: the next one asks for a full SST
        self.wsrep_lock = threading.Lock()
        self.wsrep_seen: tuple[float, dict[str, str]] = (float("-inf"), {})

    # -- facts ---------------------------------------------------------------------------------

    def mysqld_pid(self) -> int | None:
        if self.child is not None:
            if self.child.poll() is None:
                return self.child.pid
            log.warning("mariadbd (pid %s) exited with %s", self.child.pid, self.child.returncode)
            self.child = None
            self.recovered = None
        return mysqld.running_pid(self.cfg.mysqld)

    def wsrep(self, max_age: float = 0.0) -> dict[str, str]:
        """The server's wsrep status ({} when it does not answer), read now or reused when
        read less than ``max_age`` seconds ago. The checks reuse it: three HAProxies asking
        twice a second each, every answer a new connection and query, cost each agent 14 %
        of a core on a loaded machine."""
        with self.wsrep_lock:
            read_at, status = self.wsrep_seen
            if max_age and time.monotonic() - read_at < max_age:
                return status
            try:
                status = mysqld.wsrep_status(self.cfg.mysqld)
            except pymysql.MySQLError:
                status = {}
            self.wsrep_seen = (time.monotonic(), status)
            return status

    def local_facts(self, pid: int | None) -> NodeFacts:
        """What this member knows about itself, for the mariadbd ``pid`` (None: not running)."""
        now = time.time()
        wsrep = self.wsrep() if pid else {}
        if pid and wsrep.get("wsrep_ready") == "ON":
            return NodeFacts(
                self.cfg.node,
                uuid=wsrep.get("wsrep_cluster_state_uuid", ZERO_UUID).lower(),
                seqno=int(wsrep.get("wsrep_last_committed", "-1") or -1),
                seqno_read_at=now,
                alive=True,
                wsrep=wsrep,
            )
        _text, state = mysqld.read_grastate(self.cfg.mysqld)
        uuid = state.uuid if state else ZERO_UUID
        seqno = state.seqno if state else -1
        safe = state.safe_to_bootstrap if state else False
        # After a crash grastate.dat says seqno -1 (and, on a member that joined by SST, a
        # zero uuid too): the position is in InnoDB, read it with --wsrep-recover.
        if seqno < 0 and not pid and mysqld.has_innodb_data(self.cfg.mysqld):
            if self.recovered is None:
                log.info("grastate.dat has no position: running mariadbd --wsrep-recover")
                pos = mysqld.wsrep_recover(self.cfg.mysqld)
                self.recovered = (pos.uuid, pos.seqno, time.time())
                log.info("recovered position %s:%s", pos.uuid, pos.seqno)
            # Cached while mariadbd stays down (only this agent starts it, and starting it
            # clears the cache), so the position is still current: stamp it now.
            uuid, seqno, _read_at = self.recovered
        return NodeFacts(
            self.cfg.node, uuid=uuid, seqno=seqno, safe_to_bootstrap=safe, seqno_read_at=now
        )

    def etcd_state(self) -> EtcdState:
        """The cluster's record in etcd, read at one revision."""
        state = self.store.snapshot()
        self.stored_uuid = state.cluster_uuid
        return state

    # -- etcd writes ---------------------------------------------------------------------------

    def register(self) -> None:
        """Keep ``nodes/<me>`` alive on a short lease while mysqld is Synced."""
        self.node_lease = self.store.register(self.cfg.node, self.cfg.node_ttl, self.node_lease)

    def unregister(self) -> None:
        if self.node_lease is not None:
            try:
                self.store.revoke(self.node_lease)
            except EtcdUnavailable as exc:
                log.warning("could not revoke node lease: %s", exc)
            self.node_lease = None

    def take_lock(self) -> None:
        if self.lock_lease is not None:
            self.store.refresh(self.lock_lease)
            return
        taken, _holder, lease = self.store.try_lock(START_LOCK, self.cfg.node, self.cfg.lock_ttl)
        if taken:
            self.lock_lease = lease

    def release_lock(self) -> None:
        if self.lock_lease is not None:
            self.store.unlock(START_LOCK, self.cfg.node)
            self.store.revoke(self.lock_lease)
            self.lock_lease = None

    def write_status(self, decision: Decision) -> None:
        record = dict(decision.status_record(), node=self.cfg.node, time=int(time.time()))
        key = json.dumps({k: v for k, v in record.items() if k != "time"}, sort_keys=True)
        if key == self.last_status:
            return
        self.last_status = key
        text = json.dumps(record, sort_keys=True)
        self.store.write_status(self.cfg.node, text)
        level = logging.ERROR if decision.action in (Action.ERROR, Action.FENCE) else logging.INFO
        log.log(level, "%s: %s", decision.action, decision.reason)
        for warning in decision.warnings:
            log.warning("%s", warning)

    def set_state(self, new_state: ClusterState | None) -> None:
        if new_state is None:
            return
        current = self.store.set_state(new_state)
        if current != str(new_state):
            log.info("cluster state %s -> %s", current, new_state)

    # -- actions -------------------------------------------------------------------------------

    def wait_synced(self, joining: bool) -> dict[str, str]:
        """Wait until the new server is Synced. A join is abandoned when no other member is
        live any more for ``join_abandon`` seconds (the cluster it was joining died): the
        server is stopped so that this member takes part in the recovery instead."""
        deadline = time.monotonic() + self.cfg.start_timeout
        alone_since = None
        out_since = None
        last_look = 0.0
        while time.monotonic() < deadline:
            if self.child is None or self.child.poll() is not None:
                code = self.child.returncode if self.child else "?"
                self.child = None
                raise mysqld.MysqldError(
                    f"mariadbd exited with {code} while starting; see {self.cfg.mysqld.log}"
                )
            status = self.wsrep()
            if (
                status.get("wsrep_local_state_comment") == "Synced"
                and status.get("wsrep_ready") == "ON"
            ):
                return status
            now = time.monotonic()
            # A joiner whose state transfer failed stays up, answering SQL but out of the
            # cluster for good (Galera: "node restart required"): stop it and start over.
            if joining and status and status.get("wsrep_connected") == "OFF":
                out_since = out_since or now
                if now - out_since >= JOIN_FAILED_AFTER:
                    log.warning(
                        "the join failed (out of the cluster after its state transfer; see "
                        "%s): stopping mariadbd to join again",
                        self.cfg.mysqld.log,
                    )
                    self.child.kill()
                    self.child.wait(timeout=30)
                    self.child = None
                    self.full_sst = True
                    raise mysqld.MysqldError(
                        "join failed: mariadbd stopped; joining again with a full state transfer"
                    )
            else:
                out_since = None
            if now - last_look >= 0.5:
                last_look = now
                if self.lock_lease is not None:
                    self.store.refresh(self.lock_lease)
                # A join takes seconds: the writer must not wait for it to follow a new leader
                # (e.g. when this member was the leader and was killed).
                self.update_haproxy(self.store.leader())
                if joining:
                    others = self.store.live_members() - {self.cfg.node}
                    alone_since = None if others else (alone_since or now)
                    if alone_since is not None and now - alone_since >= self.cfg.join_abandon:
                        log.warning(
                            "no live member left to join: stopping mariadbd to take "
                            "part in the recovery"
                        )
                        self.child.kill()
                        self.child.wait(timeout=30)
                        self.child = None
                        raise mysqld.MysqldError(
                            "join abandoned: the cluster it was joining has no live member any more"
                        )
            time.sleep(0.2)
        raise mysqld.MysqldError(f"mariadbd not Synced after {self.cfg.start_timeout:.0f} s")

    def decide(self, etcd: EtcdState, local: NodeFacts) -> Decision:
        return decide(
            self.cfg.cluster_config,
            etcd,
            local,
            now=time.time(),
            freshness_window=self.cfg.freshness_window,
            recovery_timeout=self.cfg.recovery_timeout,
        )

    def would_start(self, etcd: EtcdState, local: NodeFacts) -> bool:
        """Whether this member would start mariadbd if it held the lock. Only then is the lock
        taken: members that merely wait (for fresh positions, for the winner to bootstrap)
        would otherwise hold it in turn, a round trip each, and the member whose turn it is
        would find it taken and look again a poll later (1.3 s lost per recovery here)."""
        wanted = self.decide(replace(etcd, lock_holder=self.cfg.node), local)
        return wanted.action in STARTS

    def answers(self, name: str) -> bool:
        """Whether the member's Galera port accepts a connection (its mariadbd is up)."""
        address = next(m["address"] for m in self.cfg.members if m["name"] == name)
        try:
            with socket.create_connection(
                (address, self.cfg.galera_port), timeout=self.cfg.probe_timeout
            ):
                return True
        except OSError:
            return False

    def check_join(self, decision: Decision, etcd: EtcdState) -> Decision:
        """:func:`gate_join`: a JOIN only when a live member's Galera port answers."""
        peers = join_peers(self.cfg.cluster_config.members, etcd.live_nodes, self.cfg.node)
        answering = bool(peers) and any(map(self.answers, peers))
        return gate_join(decision, peers, answering, self.cfg.galera_port)

    def start_mysqld(self, decision: Decision, local: NodeFacts, etcd: EtcdState) -> None:
        new_cluster = decision.action in (Action.BOOTSTRAP_NEW_CLUSTER, Action.RECOVERY_BOOTSTRAP)
        if decision.action is Action.RECOVERY_BOOTSTRAP:
            mysqld.set_safe_to_bootstrap(self.cfg.mysqld)
        if decision.action is Action.BOOTSTRAP_NEW_CLUSTER:
            mysqld.ensure_datadir(self.cfg.mysqld)
        position = local.position if local.has_data else None
        if self.full_sst and not new_cluster:
            mysqld.forget_position(self.cfg.mysqld)
            position = None
        donors = (
            []
            if new_cluster
            else donor_order(
                self.cfg.cluster_config.members, self.cfg.node, etcd.leader, etcd.live_nodes
            )
        )
        log.info(
            "starting mariadbd (%s%s%s)",
            "new cluster" if new_cluster else "join",
            f", start position {position}" if position else "",
            f", donors {','.join(donors)}" if donors else "",
        )
        self.child = mysqld.start(self.cfg.mysqld, new_cluster, position, donors)
        self.recovered = None
        started = time.monotonic()
        status = self.wait_synced(joining=not new_cluster)
        self.full_sst = False
        log.info(
            "Synced in %.1f s (cluster size %s)",
            time.monotonic() - started,
            status.get("wsrep_cluster_size"),
        )
        uuid = status.get("wsrep_cluster_state_uuid", "").lower()
        if new_cluster:
            # Never overwrite a stored uuid: a second cluster must be fenced, not adopted.
            stored = self.store.claim_uuid(uuid)
            if stored != uuid:
                raise mysqld.MysqldError(
                    f"bootstrapped cluster {uuid} but etcd already holds uuid {stored}; "
                    "this node will be fenced"
                )
            self.store.set_leader(self.cfg.node)
        self.register()
        self.set_state(decision.new_state)

    def publish_seqno(self, local: NodeFacts) -> None:
        now = time.time()
        # Stamped now: the position was read while mariadbd was down and only this agent
        # starts it, so it is still current; stamping it with the time of the look before
        # the decision made it older than a recovery another member started meanwhile (a
        # needless second round of publishing).
        record = replace(local, seqno_read_at=now).to_record()
        self.store.publish_position(self.cfg.node, record, now)
        log.info("published position %s", local.position)

    def start_recovery(self, current: str | None) -> None:
        if self.store.start_recovery(current):
            log.warning("cluster state %s -> RECOVERY", current)

    def fence(self) -> None:
        pid = self.mysqld_pid()
        self.unregister()
        if pid:
            log.error("fencing: stopping mariadbd (pid %s)", pid)
            mysqld.stop(pid)
            self.child = None
        self.fenced = True

    def keep_leader(self, live: frozenset[str], leader: str | None) -> None:
        """Take the leadership when :func:`leader_to_claim` says it is ours."""
        members = self.cfg.cluster_config.members
        if leader_to_claim(members, live, leader, self.cfg.node):
            if self.store.take_leadership(leader, self.cfg.node):
                log.info("leader %s -> %s", leader, self.cfg.node)

    def keep_admin(self) -> None:
        """Once per agent process, the leader sets the administrator account from its config
        (created or its password set): a changed password restarts the agents in turn."""
        admin = self.cfg.admin or {}
        if self.admin_done or not admin.get("password"):
            return
        if self.store.leader() != self.cfg.node:
            return
        user = admin.get("user", "stacksalt_admin")
        try:
            changed = mysqld.ensure_admin(self.cfg.mysqld, user, admin["password"])
        except pymysql.MySQLError as exc:
            log.warning("administrator account not set yet: %s", exc)
            return
        self.admin_done = True
        log.info("administrator account %s %s", user, "set" if changed else "already as configured")

    # -- HAProxy -------------------------------------------------------------------------------

    def update_haproxy(self, leader: str | None) -> None:
        """Keep the writer's HAProxy running with the config for ``leader``: started when it
        is not running (also when it died), reloaded (SIGUSR2) when the config changed, left
        alone otherwise. A master younger than ``HAPROXY_SETTLE`` seconds (just started or
        reloaded, which re-executes it) is not signalled: until it has set its handlers a
        SIGUSR2 kills it; the next look reloads it."""
        if not self.cfg.haproxy_enabled:
            return
        text = haproxy.render(
            self.cfg.members,
            leader,
            self.cfg.haproxy_bind,
            self.cfg.haproxy_port,
            self.cfg.check_port,
            str(Path(self.cfg.runtime_dir) / "galera-haproxy.sock"),
            self.cfg.haproxy_check_inter_ms,
            self.cfg.haproxy_check_fall,
            self.cfg.mysql_port,
        )
        alive = self.haproxy is not None and self.haproxy.poll() is None
        if alive and text == self.haproxy_config:
            return
        if alive and time.monotonic() - self.haproxy_signalled < HAPROXY_SETTLE:
            return
        run = Path(self.cfg.runtime_dir)
        run.mkdir(parents=True, exist_ok=True)
        conf = run / "galera-haproxy.cfg"
        tmp = run / "galera-haproxy.cfg.new"
        tmp.write_text(text)
        tmp.replace(conf)
        if alive:
            self.haproxy.send_signal(signal.SIGUSR2)  # master-worker: reload the config
        else:
            if self.haproxy is not None:
                log.warning(
                    "writer haproxy exited with %s; starting it again", self.haproxy.returncode
                )
            self.haproxy = subprocess.Popen(
                [self.cfg.haproxy_binary, "-W", "-db", "-f", str(conf)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.haproxy_signalled = time.monotonic()
        self.haproxy_config = text
        log.info("haproxy writer -> %s", leader or self.cfg.members[0]["name"])

    # -- the loop ------------------------------------------------------------------------------

    def step(self) -> Decision:
        pid = self.mysqld_pid()
        if not pid:
            # Gone from the live members at once: the peers must not try to join a member
            # that is reading its position with --wsrep-recover (a second or more).
            self.unregister()
        local = self.local_facts(pid)
        again = self.mysqld_pid()
        if again != pid:  # it died (or appeared) while we looked: look again
            pid = again
            local = self.local_facts(pid)
        if pid and not local.alive:
            return self.not_ready(pid)
        self.not_ready_since = None
        if not local.alive:
            self.unregister()
        etcd = self.etcd_state()
        if not local.alive and not self.fenced and self.would_start(etcd, local):
            self.take_lock()
            if self.lock_lease is not None:
                # Read again under the lock: the previous holder may have bootstrapped or
                # joined (and changed state) between our first read and taking the lock.
                etcd = replace(self.etcd_state(), lock_holder=self.cfg.node)
        decision = self.decide(etcd, local)
        if decision.action is Action.JOIN:
            decision = self.check_join(decision, etcd)
        self.write_status(decision)
        action = decision.action
        if action in STARTS:
            try:
                self.start_mysqld(decision, local, etcd)
            finally:
                self.release_lock()
        else:
            self.release_lock()
            if action is Action.KEEP_RUNNING:
                self.register()
                self.set_state(decision.new_state)
                if etcd.cluster_uuid is None and local.cluster_uuid != ZERO_UUID:
                    self.store.claim_uuid(local.cluster_uuid)
                self.keep_leader(etcd.live_nodes | {self.cfg.node}, etcd.leader)
                if local.wsrep.get("wsrep_local_state_comment") == "Synced":
                    self.keep_admin()
            elif action is Action.START_RECOVERY:
                self.start_recovery(etcd.state)
            elif action is Action.PUBLISH_SEQNO:
                self.publish_seqno(local)
            elif action is Action.FENCE:
                self.fence()
        self.update_haproxy(self.store.leader())
        return decision

    def not_ready(self, pid: int) -> Decision:
        """mariadbd runs but is not a ready member (e.g. non-Primary after its peers died).

        Leave it a grace period, then stop it cleanly so that it takes part in the recovery
        with the position it wrote to grastate.dat.
        """
        now = time.monotonic()
        self.unregister()
        if self.not_ready_since is None:
            self.not_ready_since = now
        waited = now - self.not_ready_since
        comment = self.wsrep().get("wsrep_local_state_comment", "no answer")
        if waited > self.cfg.not_ready_grace and not _sst_running():
            decision = Decision(
                Action.WAIT,
                f"node {self.cfg.node}: mariadbd (pid {pid}) not "
                f"ready for {waited:.0f} s ({comment}); stopping it to rejoin "
                "through the cluster state",
            )
            self.write_status(decision)
            mysqld.stop(pid)
            self.child = None
            self.not_ready_since = None
            return decision
        decision = Decision(
            Action.WAIT,
            f"node {self.cfg.node}: mariadbd (pid {pid}) running "
            f"but not ready ({comment}) for {waited:.0f} s",
        )
        self.write_status(decision)
        self.update_haproxy(self.store.leader())
        return decision

    def run(self) -> None:
        Path(self.cfg.runtime_dir).mkdir(parents=True, exist_ok=True)
        serve_checks(self)
        while not self.stopping:
            decision = None
            try:
                decision = self.step()
            except EtcdUnavailable as exc:
                log.error("etcd unreachable, deciding nothing (no bootstrap without etcd): %s", exc)
            except (mysqld.MysqldError, EtcdError, ValueError) as exc:
                log.error("%s", exc)
            # A member that is steady looks once a poll; one that is recovering, waiting for a
            # lock or a peer, looks often: each stage of a recovery waits for the next look.
            steady = decision is not None and decision.action is Action.KEEP_RUNNING
            self.pause(self.cfg.poll if steady else self.cfg.fast_poll)

    def pause(self, seconds: float) -> None:
        """Sleep until the next look, but wake at once when our mariadbd exits: a dead
        member must leave the live members before its peers decide to join it."""
        child = self.child
        if child is None or child.poll() is not None:
            time.sleep(seconds)
            return
        try:
            child.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return

    def shutdown(self, *_args) -> None:
        self.stopping = True
        self.unregister()
        pid = self.mysqld_pid()
        if pid:
            mysqld.stop(pid)
        if self.haproxy is not None and self.haproxy.poll() is None:
            self.haproxy.terminate()
        sys.exit(0)

    # -- checks --------------------------------------------------------------------------------

    def readiness(self):
        return check_readiness(self.wsrep(CHECK_MAX_AGE), self.stored_uuid)

    def liveness(self):
        wsrep = self.wsrep(CHECK_MAX_AGE)
        facts = LivenessFacts(
            cluster_state=self.store.state(),
            sst_in_progress=_sst_running(),
            pid_file_exists=self.cfg.mysqld.pidfile.exists(),
            wsrep=wsrep,
            etcd_uuid=self.stored_uuid,
            previous_state_comment=self.previous_comment,
        )
        self.previous_comment = wsrep.get("wsrep_local_state_comment")
        return check_liveness(facts)


def _sst_running() -> bool:
    from stacksalt.galera.checker import sst_in_progress

    cmdlines = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdlines.append(
                    Path(f"/proc/{pid}/cmdline")
                    .read_bytes()
                    .replace(b"\0", b" ")
                    .decode(errors="replace")
                )
            except OSError:
                continue
    return sst_in_progress(cmdlines)


def serve_checks(agent: Agent) -> ThreadingHTTPServer:
    """``GET /ready`` and ``GET /live``: 200 or 503 with the reason (HAProxy httpchk, probes)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            checks = {"/ready": agent.readiness, "/live": agent.liveness}
            if self.path not in checks:
                self.send_error(404)
                return
            try:
                ok, reason = checks[self.path]()
            except Exception as exc:  # noqa: BLE001 - any failure is "not ready", with why
                ok, reason = False, f"check failed: {exc}"
            body = (reason + "\n").encode()
            try:
                self.send_response(200 if ok else 503)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                return  # HAProxy closes the connection as soon as it has the status line

        def log_message(self, *_args):
            return

    server = ThreadingHTTPServer((agent.cfg.check_bind, agent.cfg.check_port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stacksalt-galera-agent",
        description="Run one Galera member: bootstrap, join, recover and fence it from the "
        "cluster state in etcd; serve /ready and /live; keep the writer's HAProxy on the leader.",
    )
    parser.add_argument("--config", default="/etc/stacksalt/galera.yaml")
    parser.add_argument("--once", action="store_true", help="decide and act once, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    agent = Agent(AgentConfig.load(args.config))
    signal.signal(signal.SIGTERM, agent.shutdown)
    if args.once:
        print(json.dumps(agent.step().status_record(), indent=2))
        return 0
    agent.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
