#!/usr/bin/env python3
"""The one entrypoint of every stacksalt service image.

1. Builds a pillar overlay from the environment and mounted files, over the image's build
   pillar (``/srv/pillar/image.sls``):
     STACKSALT_PILLAR_JSON   a JSON object (non-secret settings: addresses, names, ports)
     STACKSALT_PILLAR_DIR    a folder of *.yml / *.yaml / *.json pillar files merged in name
                             order (default /run/stacksalt/pillar): the pod's projected
                             ConfigMap and Secret keys; secrets come only this way, never in
                             argv or env. ``node.<NODE>.yaml`` and ``node.<NODE>.secret.yaml``
                             are merged last, and only those of this pod's node ($NODE_NAME).
   Then every ``$(NAME)`` in a string value is replaced by the environment variable NAME, as
   Kubernetes does in a container's args (``$(POD_NAME)``, ``$(POD_IP)``: what only the pod
   knows); ``$$(NAME)`` stays literal. A reference to a variable that is not set is an error.
2. Writes it to /srv/pillar/runtime.sls (mode 0600) and runs
   ``salt-call --local --retcode-passthrough state.apply $STACKSALT_FORMULAS`` with grain
   noservices True (set in /etc/salt/minion): the formulas render the config, start nothing.
   Only a per-state summary is printed (never the changes: they may hold secrets); the
   overlay file is removed afterwards.
3. Reads $STACKSALT_ENV_FILE (KEY=VALUE lines, e.g. /etc/default/etcd), drops to
   $STACKSALT_USER when set, loads the file's variables into the environment (they win over
   the user's HOME), and execs the daemon given as CMD: the daemon becomes
   PID 1 and gets the container's signals. No supervisor.

Set STACKSALT_SKIP_STATES=1 to exec the command without applying the formulas.

``stacksalt-entrypoint --apply STATES`` (in a running container, through ``docker exec`` or a
Kubernetes Job) applies those states with the same pillar overlay and exits with their result:
a post job, such as the RabbitMQ vhosts, users and policies once every member runs.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

RUNTIME_PILLAR = Path("/srv/pillar/runtime.sls")
DEFAULT_PILLAR_DIR = "/run/stacksalt/pillar"


class EntrypointError(RuntimeError):
    pass


def merge(base: dict, over: dict) -> dict:
    """Recursive merge: mappings merge, everything else (lists too) is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _load_file(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
    else:
        import yaml  # in /opt/salt with Salt

        data = yaml.safe_load(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise EntrypointError(f"{path}: a pillar file must hold a mapping")
    return data


_REFERENCE = re.compile(r"\$(\$?)\(([A-Za-z_][A-Za-z0-9_]*)\)")


def expand(data, environ: dict[str, str], where: str = ""):
    """``data`` with ``$(NAME)`` replaced by ``environ[NAME]`` in every string."""
    if isinstance(data, dict):
        return {k: expand(v, environ, f"{where}:{k}" if where else str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [expand(v, environ, f"{where}:{i}") for i, v in enumerate(data)]
    if not isinstance(data, str) or "$(" not in data:
        return data

    def one(match: re.Match) -> str:
        escaped, name = match.groups()
        if escaped:
            return f"$({name})"
        if name not in environ:
            raise EntrypointError(
                f"pillar {where}: $({name}) is not set in the container's environment"
            )
        return environ[name]

    return _REFERENCE.sub(one, data)


def overlay(environ: dict[str, str]) -> dict:
    """The run-time pillar: STACKSALT_PILLAR_JSON, then the files of STACKSALT_PILLAR_DIR
    (this node's own files last), with ``$(NAME)`` references expanded."""
    data: dict = {}
    raw = environ.get("STACKSALT_PILLAR_JSON", "").strip()
    if raw:
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EntrypointError(f"STACKSALT_PILLAR_JSON is not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise EntrypointError("STACKSALT_PILLAR_JSON must be a JSON object")
        data = merge(data, value)
    folder = Path(environ.get("STACKSALT_PILLAR_DIR") or DEFAULT_PILLAR_DIR)
    node = environ.get("NODE_NAME", "")
    mine = {f"node.{node}.yaml", f"node.{node}.secret.yaml"} if node else set()
    if folder.is_dir():
        files, own = [], []
        for path in sorted(folder.iterdir()):
            # Kubernetes mounts keys through ..data symlinks: take the visible files only.
            if path.name.startswith(".") or path.suffix not in (".yml", ".yaml", ".json"):
                continue
            if path.name.startswith("node."):
                if path.name in mine:
                    own.append(path)
            elif path.is_file():
                files.append(path)
        for path in [*files, *own]:
            data = merge(data, _load_file(path))
    return expand(data, environ)


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines as systemd's EnvironmentFile reads them (quotes removed)."""
    env = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.replace("_", "").isalnum():
            raise EntrypointError(f"env file line {number}: expected KEY=VALUE")
        parts = shlex.split(value, comments=False, posix=True)
        env[key] = " ".join(parts)
    return env


def summarize(result) -> tuple[list[str], bool]:
    """One line per state that changed or failed, and whether all succeeded."""
    if not isinstance(result, dict):  # render errors come back as a list of strings
        lines = result if isinstance(result, list) else [str(result)]
        return [f"render error: {line}" for line in lines], False
    out, ok = [], True
    for body in sorted(result.values(), key=lambda b: b.get("__run_num__", 0)):
        sid = body.get("__id__", body.get("name", "?"))
        if body.get("result") is False:
            ok = False
            out.append(f"FAILED {sid}: {body.get('comment', '')}")
        elif body.get("changes"):
            out.append(f"changed {sid}")
    return out, ok


def apply_states(formulas: str, data: dict) -> None:
    """Write the overlay (0600), run the formulas with salt-call, remove the overlay."""
    fd = os.open(RUNTIME_PILLAR, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the image's empty file is 0644: tighten before writing secrets
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("#!json\n" + json.dumps(data, sort_keys=True) + "\n")
    started = time.monotonic()
    try:
        res = subprocess.run(
            [
                "salt-call",
                "--local",
                "--retcode-passthrough",
                "--out=json",
                "-l",
                "error",
                "state.apply",
                formulas,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        with open(RUNTIME_PILLAR, "w", encoding="utf-8") as handle:
            handle.write("#!json\n{}\n")
    try:
        result = json.loads(res.stdout)["local"]
    except (json.JSONDecodeError, KeyError, TypeError):
        result = [res.stdout.strip()[-2000:] or "no output", res.stderr.strip()[-2000:]]
    lines, ok = summarize(result)
    for line in lines:
        log(line)
    count = len(result) if isinstance(result, dict) else 0
    log(f"applied {formulas}: {count} states in {time.monotonic() - started:.1f} s")
    if res.returncode != 0 or not ok:
        raise EntrypointError(f"state.apply {formulas} failed (exit {res.returncode})")


def drop_privileges(user: str) -> None:
    entry = pwd.getpwnam(user)
    os.initgroups(user, entry.pw_gid)
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ.update(HOME=entry.pw_dir, USER=user, LOGNAME=user)


def log(msg: str) -> None:
    print(f"stacksalt-entrypoint: {msg}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    if not argv:
        log("no command: give the daemon as the container's CMD")
        return 2
    if argv[0] == "--apply":
        if len(argv) != 2 or not argv[1]:
            log("usage: stacksalt-entrypoint --apply STATE[,STATE...]")
            return 2
        try:
            apply_states(argv[1], overlay(dict(os.environ)))
        except (EntrypointError, OSError) as exc:
            log(str(exc))
            return 1
        return 0
    try:
        formulas = os.environ.get("STACKSALT_FORMULAS", "")
        if formulas and os.environ.get("STACKSALT_SKIP_STATES") != "1":
            apply_states(formulas, overlay(dict(os.environ)))
        env_file = os.environ.get("STACKSALT_ENV_FILE", "")
        env = parse_env_file(Path(env_file).read_text(encoding="utf-8")) if env_file else {}
        user = os.environ.get("STACKSALT_USER", "")
        if user and os.getuid() == 0:
            drop_privileges(user)
        # After the drop: the env file's HOME (e.g. RabbitMQ's, holding the Erlang cookie)
        # wins over the user's home directory.
        os.environ.update(env)
    except (EntrypointError, OSError, KeyError) as exc:
        log(str(exc))
        return 1
    for key in ("STACKSALT_PILLAR_JSON",):
        os.environ.pop(key, None)
    try:
        os.execvp(argv[0], argv)  # noqa: S606 - becoming the daemon is the point
    except OSError as exc:
        log(f"cannot exec {argv[0]}: {exc}")
        return 127
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
