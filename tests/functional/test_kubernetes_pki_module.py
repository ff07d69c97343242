"""The kubernetes_pki states through Salt's real loader, in both test modes: test mode
predicts and touches nothing; apply writes keys 0600 and certificates; a second run changes
nothing; no key material in any return."""

from __future__ import annotations

import getpass
import grp
import json
import os
import pwd

import pytest

from stacksalt import pki

from .saltcall import load_salt

USER = getpass.getuser()
GROUP = grp.getgrgid(pwd.getpwnam(USER).pw_gid).gr_name
CA = pki.new_ca("functional-ca")
SA = pki.new_private_key()
PILLAR = {"kubernetes": {"common": {"pki": {"ca": CA}}, "master": {"service_account_key": SA}}}


@pytest.fixture(params=(False, True), ids=("apply", "test-mode"))
def states(request, tmp_path):
    _funcs, states = load_salt(tmp_path, test=request.param, pillar=PILLAR)
    return request.param, states


def _issue(states, tmp_path, **kw):
    args = {
        "name": str(tmp_path / "pki" / "apiserver.crt"),
        "key": str(tmp_path / "pki" / "apiserver.key"),
        "common_name": "kube-apiserver",
        "dns_names": ["kubernetes"],
        "ip_addresses": ["10.0.0.100"],
        "service_network": "10.254.0.0/16",
        "usages": ["server"],
        "user": USER,
        "group": GROUP,
    }
    args.update(kw)
    return states["kubernetes_pki.certificate_issued"](**args)


def _no_secret(ret):
    text = json.dumps(ret)
    assert "PRIVATE KEY" not in text


def test_certificate_issued(states, tmp_path):
    test, st = states
    ret = _issue(st, tmp_path)
    _no_secret(ret)
    crt, key = tmp_path / "pki" / "apiserver.crt", tmp_path / "pki" / "apiserver.key"
    if test:
        assert ret["result"] is None and "issue: no usable private key" in json.dumps(ret)
        assert not crt.exists() and not key.exists()
        return
    assert ret["result"] is True, ret
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert oct(crt.stat().st_mode & 0o777) == "0o644"
    facts = pki.facts(crt.read_text())
    assert "IP:10.254.0.1" in facts.sans() and "DNS:kubernetes" in facts.sans()
    again = _issue(st, tmp_path)
    assert again["result"] is True and again["changes"] == {}, again
    # A new SAN re-issues with the same key; a wrong mode is repaired.
    key_before = key.read_text()
    key_inode, crt_inode = key.stat().st_ino, crt.stat().st_ino
    os.chmod(key, 0o644)
    ret = _issue(st, tmp_path, ip_addresses=["10.0.0.100", "10.0.0.200"])
    assert "+IP:10.0.0.200" in ret["changes"][str(crt)]["reason"]
    assert ret["changes"][str(key)]["ownership"]["new"]["mode"] == "0600"
    assert key.read_text() == key_before
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    # The certificate was replaced by a rename (a new file, never rewritten in place), the
    # key was left in place, and no temporary file remains.
    assert crt.stat().st_ino != crt_inode and key.stat().st_ino == key_inode
    assert oct(crt.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in crt.parent.iterdir()) == ["apiserver.crt", "apiserver.key"]
    _no_secret(ret)


def test_test_mode_predicts_a_san_change_and_touches_nothing(tmp_path):
    _f, apply_states = load_salt(tmp_path / "a", test=False, pillar=PILLAR)
    assert _issue(apply_states, tmp_path)["result"] is True
    crt = tmp_path / "pki" / "apiserver.crt"
    before = crt.read_text()
    _f, test_states = load_salt(tmp_path / "t", test=True, pillar=PILLAR)
    ret = _issue(test_states, tmp_path, dns_names=["kubernetes", "kubernetes.default"])
    assert ret["result"] is None and "+DNS:kubernetes.default" in json.dumps(ret)
    assert crt.read_text() == before


def test_ca_certificate_and_shared_key(states, tmp_path):
    test, st = states
    ca = tmp_path / "pki" / "ca.crt"
    ret = st["kubernetes_pki.ca_certificate_installed"](name=str(ca), user=USER, group=GROUP)
    _no_secret(ret)
    sa = tmp_path / "pki" / "sa.key"
    ret2 = st["kubernetes_pki.private_key_installed"](
        name=str(sa),
        pillar_key="kubernetes:master:service_account_key",
        public_key=str(tmp_path / "pki" / "sa.pub"),
        user=USER,
        group=GROUP,
    )
    _no_secret(ret2)
    if test:
        assert ret["result"] is None and ret2["result"] is None
        assert not ca.exists() and not sa.exists()
        return
    assert ca.read_text() == pki.split_ca_bundle(CA)[1]
    assert "PRIVATE" not in ca.read_text()
    assert sa.read_text() == SA and oct(sa.stat().st_mode & 0o777) == "0o600"
    assert (tmp_path / "pki" / "sa.pub").read_text() == pki.public_key_pem(SA)
    again = st["kubernetes_pki.ca_certificate_installed"](name=str(ca), user=USER, group=GROUP)
    assert again["changes"] == {}


def test_missing_ca_is_a_clear_error(states, tmp_path):
    _test, _st = states
    _f, st = load_salt(tmp_path / "x", test=_test, pillar={"kubernetes": {}})
    ret = _issue(st, tmp_path)
    assert ret["result"] is False
    assert "pillar kubernetes:common:pki:ca is empty" in ret["comment"]
    assert "stacksalt secrets init" in ret["comment"]
    assert not (tmp_path / "pki").exists()
