"""No secret in any image: scan every layer's files, the build history and the config.

Looks for the deployment's secret values (``pillar/*/secrets.yml``) everywhere, and for PEM
private keys outside the software trees (see :data:`SOFTWARE_DIRS`). Reports the secret's
name and where it was found, never its value.
"""

from __future__ import annotations

import re
import subprocess
import tarfile
from collections.abc import Mapping
from pathlib import Path

from stacksalt import secrets

# A PEM private key with a body (code that merely names the header does not match).
PRIVATE_KEY = re.compile(
    rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----\r?\n"
    rb"(?:[A-Za-z0-9+/=:, -]*\r?\n){0,3}[A-Za-z0-9+/]{40,}"
)
MIN_LENGTH = 8  # shorter values would match by chance
# Software trees: Debian's libraries and the Python packages embed well-known self-test keys
# (gnutls, pycryptodome). A key anywhere else (/etc, /srv, /root, /var, /tmp...) is reported.
SOFTWARE_DIRS = ("usr/", "opt/salt/lib/")


def deployment_secrets(root: Path) -> dict[str, str]:
    """``{cluster/param: value}`` for every cluster's secrets file under ``pillar/``."""
    found = {}
    for path in sorted((root / "pillar").glob("*/secrets.yml")):
        for name, value in secrets.load(path).items():
            if isinstance(value, str) and len(value) >= MIN_LENGTH:
                found[f"{path.parent.name}/{name}"] = value
    return found


def find(data: bytes, needles: Mapping[str, bytes], keys: bool = True) -> list[str]:
    """Names of the needles in ``data``, plus "private key" when a PEM key is in it."""
    out = [name for name, value in needles.items() if value in data]
    if keys and PRIVATE_KEY.search(data):
        out.append("private key")
    return out


def scan_layers(ref: str, needles: Mapping[str, bytes]) -> list[str]:
    """Stream ``docker save`` and look into every file of every layer."""
    problems = []
    proc = subprocess.Popen(["docker", "save", ref], stdout=subprocess.PIPE)
    with tarfile.open(fileobj=proc.stdout, mode="r|") as outer:
        for member in outer:
            if not member.isfile():
                continue
            handle = outer.extractfile(member)
            if member.name.endswith("layer.tar"):
                with tarfile.open(fileobj=handle, mode="r|") as layer:
                    for entry in layer:
                        if not entry.isfile():
                            continue
                        body = layer.extractfile(entry).read()
                        path = entry.name.removeprefix("./")
                        for what in find(body, needles, keys=not path.startswith(SOFTWARE_DIRS)):
                            problems.append(f"{ref}: {what} in /{path} (layer {member.name})")
            else:  # image config and manifest: env, labels, history
                for what in find(handle.read(), needles):
                    problems.append(f"{ref}: {what} in the image's {member.name}")
    if proc.wait() != 0:
        problems.append(f"{ref}: docker save exited {proc.returncode}")
    return problems


def scan_history(ref: str, needles: Mapping[str, bytes]) -> list[str]:
    res = subprocess.run(
        ["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", ref],
        capture_output=True,
        check=False,
    )
    if res.returncode != 0:
        return [f"{ref}: docker history failed: {res.stderr.decode(errors='replace').strip()}"]
    return [f"{ref}: {what} in docker history" for what in find(res.stdout, needles)]


def scan(ref: str, values: Mapping[str, str]) -> list[str]:
    """Every finding for image ``ref``; empty when it is clean."""
    needles = {name: value.encode() for name, value in values.items()}
    return scan_history(ref, needles) + scan_layers(ref, needles)
