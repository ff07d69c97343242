"""State module: the Kubernetes hosts' CA certificate, keys and certificates.

Every state looks first; nothing to do → ``result True``, no changes. In test mode it
predicts the changes with ``result None`` and touches nothing. A certificate is re-issued
only when it no longer fits: another subject or SANs, another CA, a key that does not match,
or expiry within ``renew_days``. Private keys are created with mode 0600 and never appear in
arguments, changes, comments or logs: the CA and shared keys are read from the pillar by key
name.
"""

from salt.exceptions import CommandExecutionError

try:
    from stacksalt import pki

    HAS_STACKSALT = True
except ImportError:  # pragma: no cover - depends on the minion's environment
    HAS_STACKSALT = False

__virtualname__ = "kubernetes_pki"

KEY_MODE = 0o600
CERT_MODE = 0o644


def __virtual__():
    if not HAS_STACKSALT:
        return False, "kubernetes_pki: the stacksalt package is not installed"
    if "kubernetes_pki.ca" not in __salt__:
        return False, "kubernetes_pki: execution module not available"
    return __virtualname__


def _ret(name):
    return {"name": name, "changes": {}, "result": False, "comment": ""}


def _ownership_changes(path, mode, user, group):
    have = __salt__["kubernetes_pki.ownership"](path)
    want = {"mode": format(mode, "04o"), "user": user, "group": group}
    if have is None or have == want:
        return {}
    return {"old": have, "new": want}


def _public_file(ret, path, text, user, group):
    """Make ``path`` hold ``text`` (public material, mode 0644)."""
    if __salt__["kubernetes_pki.read"](path) == text:
        change = _ownership_changes(path, CERT_MODE, user, group)
        if change:
            if not __opts__["test"]:
                __salt__["kubernetes_pki.set_ownership"](path, CERT_MODE, user, group)
            ret["changes"][path] = {"ownership": change}
        return False
    if not __opts__["test"]:
        __salt__["kubernetes_pki.write"](path, text, CERT_MODE, user, group)
    ret["changes"][path] = {"old": "differs or absent", "new": "written"}
    return True


def _describe(cert_pem):
    if cert_pem is None:
        return None
    try:
        return pki.facts(cert_pem).describe()
    except pki.PKIError:
        return "not a certificate"


def _finish(ret, what):
    if __opts__["test"] and ret["changes"]:
        ret.update(result=None, comment=f"{what} would be updated")
    elif ret["changes"]:
        ret.update(result=True, comment=f"{what} updated")
    else:
        ret.update(result=True, comment=f"{what} in place")
    return ret


def ca_certificate_installed(name, ca_pillar="kubernetes:common:pki:ca", user="root", group="root"):
    """
    Write the cluster CA's certificate (never its key) to ``name``.

    .. code-block:: yaml

        kubernetes-ca-certificate-installed:
          kubernetes_pki.ca_certificate_installed:
            - name: /etc/kubernetes/pki/ca.crt
            - ca_pillar: kubernetes:common:pki:ca
    """
    ret = _ret(name)
    try:
        _key, cert = __salt__["kubernetes_pki.ca"](ca_pillar)
        _public_file(ret, name, cert, user, group)
    except CommandExecutionError as exc:
        ret["comment"] = str(exc)
        return ret
    return _finish(ret, f"CA certificate {name}")


def private_key_installed(name, pillar_key, public_key=None, user="root", group="root"):
    """
    Write a private key shared by several hosts (e.g. the service-account signing key,
    identical on every master) from the pillar at ``pillar_key`` to ``name`` (mode 0600),
    and its public key to ``public_key`` when given.

    .. code-block:: yaml

        kubernetes-master-sa-key-installed:
          kubernetes_pki.private_key_installed:
            - name: /etc/kubernetes/pki/sa.key
            - pillar_key: kubernetes:master:service_account_key
            - public_key: /etc/kubernetes/pki/sa.pub
    """
    ret = _ret(name)
    try:
        key = __salt__["kubernetes_pki.secret"](pillar_key)
        if __salt__["kubernetes_pki.read"](name) != key:
            if not __opts__["test"]:
                __salt__["kubernetes_pki.write"](name, key, KEY_MODE, user, group)
            ret["changes"][name] = {"old": "differs or absent", "new": f"from pillar {pillar_key}"}
        else:
            change = _ownership_changes(name, KEY_MODE, user, group)
            if change:
                if not __opts__["test"]:
                    __salt__["kubernetes_pki.set_ownership"](name, KEY_MODE, user, group)
                ret["changes"][name] = {"ownership": change}
        if public_key:
            _public_file(ret, public_key, pki.public_key_pem(key), user, group)
    except (CommandExecutionError, pki.PKIError) as exc:
        ret["comment"] = f"{name}: {exc}"
        return ret
    return _finish(ret, f"private key {name}")


def certificate_issued(
    name,
    key,
    common_name,
    organizations=(),
    dns_names=(),
    ip_addresses=(),
    service_network=None,
    usages=("client",),
    validity_days=365,
    renew_days=30,
    ca_pillar="kubernetes:common:pki:ca",
    user="root",
    group="root",
):
    """
    A certificate at ``name`` for the private key at ``key``, signed by the cluster CA.

    The key is generated on the host when it is missing or unusable (mode 0600, owned by
    ``user``); the certificate is (re)issued only when it does not fit (see the module
    docstring). ``service_network`` adds its first address (the ``kubernetes`` Service's IP)
    to the IP SANs.

    .. code-block:: yaml

        kubernetes-master-apiserver-certificate-issued:
          kubernetes_pki.certificate_issued:
            - name: /etc/kubernetes/pki/apiserver.crt
            - key: /etc/kubernetes/pki/apiserver.key
            - common_name: kube-apiserver
            - dns_names: [kubernetes, kubernetes.default]
            - ip_addresses: [10.77.1.100, 10.77.1.11]
            - service_network: 10.254.0.0/16
            - usages: [server]
    """
    ret = _ret(name)
    try:
        spec = pki.CertSpec.build(
            common_name,
            organizations or (),
            dns_names or (),
            ip_addresses or (),
            usages or (),
            validity_days,
            service_network,
        )
        ca_key, ca_cert = __salt__["kubernetes_pki.ca"](ca_pillar)
        key_pem = __salt__["kubernetes_pki.read"](key)
        cert_pem = __salt__["kubernetes_pki.read"](name)
        new_key = False
        if key_pem is not None:
            try:
                pki.load_key(key_pem)
            except pki.PKIError:
                key_pem, new_key = None, True
        reasons = pki.reissue_reasons(spec, cert_pem, key_pem, ca_cert, renew_days)
        if key_pem is None:
            new_key = True
            reasons = ["no usable private key"]
    except (CommandExecutionError, pki.PKIError) as exc:
        ret["comment"] = f"{name}: {exc}"
        return ret

    if reasons:
        old = _describe(cert_pem)
        if __opts__["test"]:
            ret["changes"][name] = {"old": old, "new": f"issue: {'; '.join(reasons)}"}
            if new_key:
                ret["changes"][key] = {"old": None, "new": "new private key (0600)"}
            return _finish(ret, f"certificate {name}")
        try:
            if new_key:
                key_pem = pki.new_private_key()
                __salt__["kubernetes_pki.write"](key, key_pem, KEY_MODE, user, group)
                ret["changes"][key] = {"old": None, "new": "new private key (0600)"}
            cert_pem = pki.issue(spec, key_pem, ca_key, ca_cert)
            __salt__["kubernetes_pki.write"](name, cert_pem, CERT_MODE, user, group)
        except (CommandExecutionError, pki.PKIError) as exc:
            ret["comment"] = f"{name}: {exc}"
            return ret
        ret["changes"][name] = {
            "old": old,
            "new": pki.facts(cert_pem).describe(),
            "reason": "; ".join(reasons),
        }
    for path, mode in ((key, KEY_MODE), (name, CERT_MODE)):
        change = _ownership_changes(path, mode, user, group)
        if change:
            if not __opts__["test"]:
                __salt__["kubernetes_pki.set_ownership"](path, mode, user, group)
            ret["changes"].setdefault(path, {})["ownership"] = change
    return _finish(ret, f"certificate {name}")
