"""Execution module: the Kubernetes hosts' certificates (thin adapter over
``stacksalt.pki``).

Key material is read from the pillar by key name (``ca_pillar``), never passed as an
argument, and never returned: functions return certificate facts (subject, SANs, expiry).
"""

import grp
import os
import pwd
import tempfile

from salt.exceptions import CommandExecutionError

try:
    from stacksalt import pki

    HAS_STACKSALT = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_STACKSALT = False

__virtualname__ = "kubernetes_pki"


def __virtual__():
    if not HAS_STACKSALT:
        return False, "kubernetes_pki: the stacksalt package (and cryptography) is not installed"
    return __virtualname__


def _secret(pillar_key):
    # Salt 3008 masks pillar values read by modules unless asked plainly; the value stays
    # inside this module.
    value = __salt__["pillar.get"](pillar_key, None, unmask=True)
    if not value:
        raise CommandExecutionError(
            f"pillar {pillar_key} is empty: generate the secret with "
            "'stacksalt secrets init --cluster CLUSTER' on the salt master"
        )
    return value


def ca(ca_pillar):
    """``(key_pem, cert_pem)`` of the cluster CA held in the pillar at ``ca_pillar``.

    For the states of this module (it returns the key): from the CLI use :func:`ca_info`.

    CLI Example (prints key material; for debugging on the host only):

    .. code-block:: bash

        salt-call kubernetes_pki.ca kubernetes:common:pki:ca
    """
    try:
        return pki.split_ca_bundle(_secret(ca_pillar))
    except pki.PKIError as exc:
        raise CommandExecutionError(f"pillar {ca_pillar}: {exc}") from exc


def ca_info(ca_pillar="kubernetes:common:pki:ca"):
    """
    The CA certificate's facts (never the key).

    CLI Example:

    .. code-block:: bash

        salt ctl01* kubernetes_pki.ca_info
    """
    return _facts_dict(pki.facts(ca(ca_pillar)[1]))


def secret(pillar_key):
    """A private key held in the pillar at ``pillar_key`` (for the states of this module).

    CLI Example (prints key material; for debugging on the host only):

    .. code-block:: bash

        salt-call kubernetes_pki.secret kubernetes:master:service_account_key
    """
    text = _secret(pillar_key)
    try:
        pki.load_key(text)
    except pki.PKIError as exc:
        raise CommandExecutionError(f"pillar {pillar_key}: {exc}") from exc
    return text


def read(path):
    """The text of ``path``, or None when it does not exist.

    CLI Example:

    .. code-block:: bash

        salt ctl01* kubernetes_pki.read /etc/kubernetes/pki/ca.crt
    """
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandExecutionError(f"cannot read {path}: {exc}") from exc


def _mode(mode):
    """An int mode, also from the CLI's octal text ("0600")."""
    if isinstance(mode, str):
        try:
            return int(mode, 8)
        except ValueError as exc:
            raise CommandExecutionError(f"mode {mode!r} is not an octal mode") from exc
    return mode


def _ids(user, group):
    try:
        uid = pwd.getpwnam(user).pw_uid
        gid = grp.getgrnam(group).gr_gid
    except KeyError as exc:
        raise CommandExecutionError(f"no such user or group: {exc}") from exc
    return uid, gid


def write(path, text, mode, user="root", group="root"):
    """Write ``text`` to ``path`` atomically: a temporary file in the same directory,
    created with ``mode`` (an int or octal text) and its owner before anything is written
    (a key is never readable by others, not even for a moment), flushed to disk, then
    renamed over ``path``. A reader sees the old file or the new one, never a partial one,
    also after a crash.

    CLI Example:

    .. code-block:: bash

        salt ctl01* kubernetes_pki.write /tmp/x.txt "text" "0644"
    """
    mode = _mode(mode)
    uid, gid = _ids(user, group)
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        os.fchown(fd, uid, gid)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise CommandExecutionError(f"cannot write {path}: {exc}") from exc
    return True


def ownership(path):
    """``{"mode": "0600", "user": ..., "group": ...}`` of an existing file, or None.

    CLI Example:

    .. code-block:: bash

        salt ctl01* kubernetes_pki.ownership /etc/kubernetes/pki/apiserver.key
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return {
        "mode": format(st.st_mode & 0o7777, "04o"),
        "user": pwd.getpwuid(st.st_uid).pw_name,
        "group": grp.getgrgid(st.st_gid).gr_name,
    }


def set_ownership(path, mode, user="root", group="root"):
    """Set mode (an int or octal text), owner and group of ``path``.

    CLI Example:

    .. code-block:: bash

        salt ctl01* kubernetes_pki.set_ownership /etc/kubernetes/pki/apiserver.key "0600"
    """
    uid, gid = _ids(user, group)
    # the mode first: the file is never more open under its new owner than it ends up
    os.chmod(path, _mode(mode))
    os.chown(path, uid, gid)
    return True


def _facts_dict(facts):
    return {
        "common_name": facts.common_name,
        "organizations": list(facts.organizations),
        "sans": facts.sans(),
        "usages": list(facts.usages),
        "not_after": facts.not_after.isoformat(),
        "serial": facts.serial,
        "sha256": facts.fingerprint,
    }


def certificate_info(path):
    """
    What the certificate at ``path`` says: subject, SANs, usages, expiry, fingerprint.

    CLI Example:

    .. code-block:: bash

        salt ctl01* kubernetes_pki.certificate_info /etc/kubernetes/pki/apiserver.crt
    """
    text = read(path)
    if text is None:
        raise CommandExecutionError(f"{path}: no such file")
    try:
        return _facts_dict(pki.facts(text))
    except pki.PKIError as exc:
        raise CommandExecutionError(f"{path}: {exc}") from exc
