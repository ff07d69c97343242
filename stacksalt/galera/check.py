"""``python -m stacksalt.galera.check ready|live``: the spec's readiness and liveness checks
for one member, as a command (Kubernetes exec probes, scripts). Exit 0 when the check passes,
1 when it fails, 2 when it cannot run; the reason goes to stdout.

The same checks are served over HTTP by the agent (``/ready``, ``/live``) for HAProxy.
"""

from __future__ import annotations

import argparse
import sys

from stacksalt.etcdstore import EtcdStore, EtcdUnavailable
from stacksalt.galera.agent import Agent, AgentConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stacksalt-galera-check", description=__doc__)
    parser.add_argument("check", choices=("ready", "live"))
    parser.add_argument("--config", default="/etc/stacksalt/galera.yaml")
    args = parser.parse_args(argv)
    cfg = AgentConfig.load(args.config)
    agent = Agent(cfg, EtcdStore(cfg.etcd_endpoints, f"/galera/{cfg.cluster}"))
    try:
        agent.stored_uuid = agent.store.get("uuid")
        ok, reason = agent.readiness() if args.check == "ready" else agent.liveness()
    except EtcdUnavailable as exc:
        print(f"cannot check: {exc}")
        return 2
    print(reason)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
