"""``python -m stacksalt.galera.check ready|live``: the member's readiness or liveness, as a
command (Kubernetes exec probes, scripts). Exit 0 when the check passes, 1 when it fails, 2
when it cannot run; the reason goes to stdout.

It asks the member's agent (``GET /ready`` or ``/live`` on its check port), the one
implementation HAProxy and the probes use too: the agent holds what a check needs across
looks (the liveness rule on the previous state comment, the cluster uuid it read last).
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

from stacksalt.galera.agent import AgentConfig


def check_url(cfg: AgentConfig, check: str) -> str:
    """Where the agent serves ``check``: its check address (loopback when it listens on
    every address)."""
    host = cfg.check_bind if cfg.check_bind not in ("", "0.0.0.0", "::") else "127.0.0.1"  # noqa: S104
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{cfg.check_port}/{check}"


def ask(url: str, timeout: float) -> tuple[int, str]:
    """The agent's answer: (1 failed / 0 passed, reason); OSError when nobody answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http only
            return 0, response.read().decode(errors="replace").strip()
    except urllib.error.HTTPError as exc:
        if exc.code != 503:
            raise OSError(f"HTTP {exc.code}") from exc
        return 1, exc.read().decode(errors="replace").strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stacksalt-galera-check", description=__doc__)
    parser.add_argument("check", choices=("ready", "live"))
    parser.add_argument("--config", default="/etc/stacksalt/galera.yaml")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for the agent (default 5)"
    )
    args = parser.parse_args(argv)
    url = check_url(AgentConfig.load(args.config), args.check)
    try:
        code, reason = ask(url, args.timeout)
    except OSError as exc:
        print(
            f"cannot check: the Galera agent does not answer on {url} ({exc}); is it running? "
            "See its log ('journalctl -u stacksalt-galera', or the container's output)"
        )
        return 2
    print(reason)
    return code


if __name__ == "__main__":
    sys.exit(main())
