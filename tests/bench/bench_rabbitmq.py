#!/usr/bin/env python3
"""RabbitMQ benchmark: prints numbers, asserts nothing. Loopback only, bounded counts.

- formation of a 3-node cluster on loopback: nodes started in parallel until all run, then
  the ``rabbitmq_cluster.joined`` state on each (through Salt's loader) until clustered;
- consumer failover: a consumer on node 2 reads a mirrored queue whose master is node 1;
  node 1 gets ``kill -9`` while a publisher on node 3 keeps publishing; the figure is the
  gap between the kill and the first message the consumer receives after it;
- publish (with confirms) and consume throughput of persistent messages on a mirrored queue
  (policy ``ha-mode: all``, automatic sync) and on an unmirrored one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pika  # noqa: E402
import salt.config  # noqa: E402
import salt.loader  # noqa: E402

from tests.functional.rabbitmq_nodes import HAS_RABBITMQ, LoopbackCluster  # noqa: E402

USER, PASSWORD, VHOST = "bench", "bench-password", "/bench"


def line(name: str, value: str) -> None:
    print(f"{name:<56} {value}", flush=True)


def loader():
    opts = salt.config.minion_config(None)
    opts.update(
        file_client="local",
        test=False,
        cachedir=tempfile.mkdtemp(prefix="bench-cache-"),
        grains={"id": "bench", "os": "Debian", "os_family": "Debian", "kernel": "Linux"},
        id="bench",
    )
    utils = salt.loader.utils(opts)
    funcs = salt.loader.minion_mods(opts, utils=utils)
    return funcs, salt.loader.states(opts, funcs, utils, salt.loader.serializers(opts))


def connect(cluster: LoopbackCluster, node: str) -> pika.BlockingConnection:
    return pika.BlockingConnection(
        pika.ConnectionParameters(
            host="127.0.0.1",
            port=cluster.nodes[node].port,
            virtual_host=VHOST,
            credentials=pika.PlainCredentials(USER, PASSWORD),
            connection_attempts=5,
            retry_delay=0.3,
        )
    )


def throughput(cluster: LoopbackCluster, queue: str, count: int) -> tuple[float, float]:
    """Messages per second: publish with confirms, then consume with acks (prefetch 100)."""
    first, second, _ = cluster.names
    conn = connect(cluster, first)
    ch = conn.channel()
    ch.queue_declare(queue, durable=True)
    ch.queue_purge(queue)
    ch.confirm_delivery()
    body = b"x" * 512
    t0 = time.monotonic()
    for _ in range(count):
        ch.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))
    pub = count / (time.monotonic() - t0)
    conn.close()
    conn = connect(cluster, second)
    ch = conn.channel()
    ch.basic_qos(prefetch_count=100)
    got = 0
    t0 = time.monotonic()
    for method, _props, _body in ch.consume(queue, inactivity_timeout=10):
        if method is None:
            break
        got += 1
        if got % 50 == 0 or got == count:
            ch.basic_ack(method.delivery_tag, multiple=True)
        if got == count:
            break
    con = got / (time.monotonic() - t0)
    ch.cancel()
    conn.close()
    return pub, con


def failover(cluster: LoopbackCluster, queue: str) -> float:
    """Seconds from kill -9 of the queue master to the next message a consumer receives."""
    first, second, third = cluster.names
    conn = connect(cluster, first)
    conn.channel().queue_declare(queue, durable=True)
    conn.close()
    time.sleep(1)  # mirrors start
    received: list[float] = []
    stop = threading.Event()

    def publisher() -> None:
        pconn = connect(cluster, third)
        ch = pconn.channel()
        while not stop.is_set():
            ch.basic_publish("", queue, b"tick", pika.BasicProperties(delivery_mode=2))
            pconn.process_data_events(0)
            time.sleep(0.005)
        pconn.close()

    thread = threading.Thread(target=publisher, daemon=True)
    thread.start()
    conn = connect(cluster, second)
    ch = conn.channel()
    killed_at = None
    deadline = time.monotonic() + 60
    for method, _props, _body in ch.consume(queue, auto_ack=True, inactivity_timeout=0.05):
        now = time.monotonic()
        if method is not None:
            received.append(now)
            if killed_at is not None and now > killed_at:
                break
        if killed_at is None and len(received) >= 50:
            cluster.kill(first)
            killed_at = time.monotonic()
        if now > deadline:
            break
    stop.set()
    thread.join(timeout=10)
    conn.close()
    after = [t for t in received if killed_at is not None and t > killed_at]
    return (after[0] - killed_at) if after else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="per throughput run")
    args = parser.parse_args()
    if not HAS_RABBITMQ:
        print("rabbitmq-server is not installed: apt-get install rabbitmq-server")
        return 1
    funcs, states = loader()
    with tempfile.TemporaryDirectory(prefix="bench-rabbitmq-") as tmp:
        cluster = LoopbackCluster(Path(tmp), cluster="bench")
        try:
            cluster.start_epmd()
            env = cluster.ctl_env()
            t0 = time.monotonic()
            cluster.start_all()
            started = time.monotonic() - t0
            for node in cluster.names:
                ret = states["rabbitmq_cluster.joined"](
                    node, members=cluster.names, cluster_name="bench", env=env
                )
                if ret["result"] is not True:
                    raise RuntimeError(ret["comment"])
            formed = time.monotonic() - t0
            line("3 nodes started (parallel boot)", f"{started:.1f} s")
            line("3-node cluster formed (boot + joined states)", f"{formed:.1f} s")
            conn = {"node": cluster.names[0], "env": env}
            states["rabbitmq_cluster.vhost_present"](VHOST, **conn)
            states["rabbitmq_cluster.user_present"](
                USER, password=PASSWORD, perms={VHOST: [".*", ".*", ".*"]}, **conn
            )
            states["rabbitmq_cluster.policy_present"](
                "mirrored",
                pattern=r"^mirrored\.",
                definition={"ha-mode": "all", "ha-sync-mode": "automatic"},
                apply_to="queues",
                vhost=VHOST,
                **conn,
            )
            for kind in ("unmirrored", "mirrored"):
                pub, con = throughput(cluster, f"{kind}.q", args.messages)
                line(
                    f"{kind} queue, {args.messages} x 512 B persistent: publish", f"{pub:.0f} msg/s"
                )
                line(
                    f"{kind} queue, {args.messages} x 512 B persistent: consume", f"{con:.0f} msg/s"
                )
            gap = failover(cluster, "mirrored.failover")
            line("consumer failover after kill -9 of the queue master", f"{gap:.2f} s")
        finally:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
