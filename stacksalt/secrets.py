"""Per-deployment secrets: generated into ``pillar/<cluster>/secrets.yml``, never committed.

The model refers to secrets as ``${_param:NAME}`` where NAME's last word is a secret word
(:func:`is_secret_key`: ``*_password``, ``*_token``, ``*_key``, ``*_cookie``...). ``stacksalt
secrets init`` generates a value for every such name the cluster's classes use and links the
file into the model as class ``cluster.<name>.secrets``. Existing values are kept, so running
it again changes nothing. The same module holds the one rule that decides what is secret for
every renderer (:func:`is_secret_key`, :func:`split`).
"""

from __future__ import annotations

import base64
import copy
import os
import re
import secrets as _random
from pathlib import Path

import yaml

MASK = "********"
_REF = re.compile(r"\$\{_param:([A-Za-z0-9_]+)\}")

# The one rule for what is secret, used by every renderer (Kubernetes Secrets vs ConfigMaps,
# the local run's 0600 files, 'model show' masking) and by 'secrets init' (which _params it
# generates). A name is secret when its LAST word (split on _ - . / and camelCase) is one of
# these: "admin_password", "auth_token", "privateKey", "rabbitmq_main_cookie", "password" are
# secret; "key_repository", "max_active_keys", "keystone" are not. A value is secret when it
# holds one of the deployment's secret values (a database URL with its password).
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "secret",
        "token",
        "key",
        "cookie",
        "credential",
        "credentials",
        "passphrase",
        "privkey",
        "apikey",
    }
)
_WORD_SPLIT = re.compile(r"[_\-.\s/]+|(?<=[a-z0-9])(?=[A-Z])")


def is_secret_key(key: str) -> bool:
    """True when a pillar/config key (or a ``_param`` name) names a secret (the last word)."""
    words = [w.lower() for w in _WORD_SPLIT.split(str(key)) if w]
    return bool(words) and words[-1] in SECRET_WORDS


def is_secret_name(name: str) -> bool:
    """A ``_param`` the model uses for a secret (``db_password``, ``etcd_token``...): the same
    rule as for pillar keys, so a generated secret is always treated as one downstream."""
    return is_secret_key(name)


def holds_secret(value, secret_values) -> bool:
    """True when ``value`` (a tree) has a secret-named key or a string holding a secret."""
    if isinstance(value, dict):
        return any(
            (isinstance(k, str) and is_secret_key(k)) or holds_secret(v, secret_values)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(holds_secret(v, secret_values) for v in value)
    if isinstance(value, str):
        return any(s and s in value for s in secret_values)
    return False


def split(data, secret_values=frozenset()) -> tuple[dict, dict]:
    """(public, secret) of a pillar/config tree: a secret-named key takes its whole subtree to
    ``secret``; a value holding a deployment secret goes there too; a list holding one goes
    whole (lists are replaced, not merged, when the two parts are merged back). Merging
    ``secret`` over ``public`` gives ``data`` back."""
    public: dict = {}
    secret: dict = {}
    for key, value in data.items():
        if isinstance(key, str) and is_secret_key(key):
            secret[key] = copy.deepcopy(value)
        elif isinstance(value, dict):
            pub, sec = split(value, secret_values)
            if pub or not sec:
                public[key] = pub
            if sec:
                secret[key] = sec
        elif holds_secret(value, secret_values):
            secret[key] = copy.deepcopy(value)
        else:
            public[key] = copy.deepcopy(value)
    return public, secret


def leaf_strings(tree, minimum: int = 4) -> set[str]:
    """Every string value of ``tree`` of ``minimum`` characters or more: the secret values a
    renderer must keep out of ConfigMaps and logs."""
    if isinstance(tree, dict):
        return {v for value in tree.values() for v in leaf_strings(value, minimum)}
    if isinstance(tree, list):
        return {v for value in tree for v in leaf_strings(value, minimum)}
    return {tree} if isinstance(tree, str) and len(tree) >= minimum else set()


def referenced_secret_names(classes_dir: Path) -> dict[str, list[str]]:
    """Map each secret ``_param`` referenced under ``classes_dir`` to the files using it."""
    found: dict[str, list[str]] = {}
    paths = []
    for dirpath, _dirs, files in os.walk(classes_dir, followlinks=True):
        paths += [Path(dirpath) / f for f in files if f.endswith(".yml") and f != "secrets.yml"]
    for path in sorted(paths):
        text = path.read_text(encoding="utf-8")
        for name in _REF.findall(text):
            if is_secret_name(name):
                found.setdefault(name, []).append(str(path))
    return found


def generate_value(name: str) -> str:
    """A fresh random value suited to the secret's kind: ``*_ca_key`` is a CA (its PEM
    private key followed by its self-signed certificate), ``*_signing_key`` a PEM private
    key, ``*_fernet_*_key`` / ``*_credential_*_key`` a keystone key (Fernet format),
    ``*_cookie`` an Erlang cookie, anything else a random token."""
    if name.endswith(("_ca_key", "_signing_key")):
        from stacksalt import pki

        if name.endswith("_ca_key"):
            return pki.new_ca(name.removesuffix("_key").replace("_", "-"))
        return pki.new_private_key()
    if name.endswith("_key") and ("_fernet_" in name or "_credential_" in name):
        # keystone's fernet and credential keys: 32 random bytes, url-safe base64 (padded)
        return base64.urlsafe_b64encode(_random.token_bytes(32)).decode()
    if name.endswith("_cookie"):
        # Erlang cookies: letters only, as rabbitmq-server generates them.
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return "".join(_random.choice(alphabet) for _ in range(32))
    return _random.token_urlsafe(24)


def secrets_file(root: Path, cluster: str) -> Path:
    return root / "pillar" / cluster / "secrets.yml"


def model_link(root: Path, cluster: str) -> Path:
    return root / "reclass_model" / "classes" / "cluster" / cluster / "secrets.yml"


def load(path: Path) -> dict[str, str]:
    """Read a secrets file (a reclass class holding ``parameters._param``)."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict((data.get("parameters") or {}).get("_param") or {})


def init(root: Path, cluster: str) -> tuple[Path, list[str]]:
    """Create or complete the cluster's secrets file (mode 0600) and link it into the model.

    Returns the file and the names generated now (never their values).
    """
    cluster_dir = root / "reclass_model" / "classes" / "cluster" / cluster
    if not cluster_dir.is_dir():
        raise FileNotFoundError(
            f"cluster '{cluster}' not found: no folder {cluster_dir}; "
            "list clusters with 'stacksalt model clusters'"
        )
    path = secrets_file(root, cluster)
    current = load(path)
    wanted = referenced_secret_names(root / "reclass_model" / "classes")
    new = sorted(name for name in wanted if name not in current)
    values = dict(current)
    for name in new:
        values[name] = generate_value(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if new or not path.exists():
        body = (
            "# Generated by 'stacksalt secrets init' for this deployment. Never commit it.\n"
            + yaml.safe_dump({"parameters": {"_param": values}}, default_flow_style=False)
        )
        fd = os.open(f"{path}.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.replace(f"{path}.tmp", path)
    os.chmod(path, 0o600)
    link = model_link(root, cluster)
    target = os.path.relpath(path, link.parent)
    if link.is_symlink() and os.readlink(link) != target:
        link.unlink()
    if not link.is_symlink():
        if link.exists():
            raise FileExistsError(f"{link} is a real file: secrets must not live in the model")
        link.symlink_to(target)
    return path, new


def mask(data, secret_values: set[str]):
    """Return ``data`` with every secret value, and every value under a secret-named key,
    replaced by :data:`MASK`."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if isinstance(key, str) and is_secret_key(key) and not isinstance(value, (dict, list)):
                out[key] = MASK
            else:
                out[key] = mask(value, secret_values)
        return out
    if isinstance(data, list):
        return [mask(v, secret_values) for v in data]
    if isinstance(data, str):
        for secret in secret_values:
            if secret and secret in data:
                data = data.replace(secret, MASK)
        return data
    return data
