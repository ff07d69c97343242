"""The model's workload with fixed, fake secrets: deterministic input for golden manifests
and the workload error corpus."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from pathlib import Path

import yaml

from stacksalt import secrets
from stacksalt.formulas import link_service_classes
from stacksalt.k8s.source import formula_roots, load_control

ROOT = Path(__file__).resolve().parents[2]


def golden_value(name: str) -> str:
    """A fixed fake of the secret's shape (secrets.generate_value's kinds): an Erlang cookie
    of letters, a keystone fernet/credential key (32 bytes, url-safe base64) derived from the
    name, else a recognisable token."""
    if name.endswith("_cookie"):
        return "GOLDEN" + "".join(c for c in name.upper() if c.isalpha())
    if name.endswith("_key") and ("_fernet_" in name or "_credential_" in name):
        digest = hashlib.sha256(f"golden-{name}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode()
    return f"golden-{name.replace('_', '-')}"


def golden_project(dest: Path) -> Path:
    """formulas/ and reclass_model/ copied to ``dest`` with every secret set to a fixed,
    recognisable fake value (never a real one)."""
    ignore = shutil.ignore_patterns("secrets.yml", "__pycache__")
    shutil.copytree(ROOT / "formulas", dest / "formulas", ignore=ignore)
    shutil.copytree(ROOT / "docker-salt", dest / "docker-salt", ignore=ignore)
    shutil.copytree(ROOT / "reclass_model", dest / "reclass_model", ignore=ignore, symlinks=True)
    service = dest / "reclass_model" / "classes" / "service"
    if service.exists():
        shutil.rmtree(service)
    link_service_classes(dest)
    names = secrets.referenced_secret_names(dest / "reclass_model" / "classes")
    values = {name: golden_value(name) for name in sorted(names)}
    for cluster in ("local", "production"):
        path = secrets.secrets_file(dest, cluster)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = yaml.safe_dump({"parameters": {"_param": values}}, default_flow_style=False)
        path.write_text(body)
        os.chmod(path, 0o600)
        secrets.init(dest, cluster)  # links the file into the model, keeps the values
    return dest


def workload(root: Path, cluster: str) -> tuple[dict, list[Path]]:
    _node, control = load_control(root, cluster)
    return control, formula_roots(root)
