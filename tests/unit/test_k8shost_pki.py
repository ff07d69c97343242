"""The Kubernetes hosts' PKI: when a certificate must be re-issued (table), and what is
issued (SANs, usages, issuer, validity). Keys are generated here, never committed."""

from __future__ import annotations

import datetime as dt

import pytest

from stacksalt import pki

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def ca():
    return pki.split_ca_bundle(pki.new_ca("test-ca", now=NOW))


@pytest.fixture(scope="module")
def other_ca():
    return pki.split_ca_bundle(pki.new_ca("test-ca", now=NOW))


SPEC = pki.CertSpec.build(
    "kube-apiserver",
    dns_names=["kubernetes", "Kubernetes.Default"],
    ip_addresses=["10.0.0.100", "10.0.0.11"],
    service_network="10.254.0.0/16",
    usages=["server"],
)


def test_spec_normalises_and_adds_the_service_ip():
    assert SPEC.dns_names == ("kubernetes", "kubernetes.default")
    assert SPEC.ip_addresses == ("10.0.0.11", "10.0.0.100", "10.254.0.1")
    assert SPEC.sans()[-1] == "IP:10.254.0.1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"common_name": ""}, "common_name"),
        ({"common_name": "x", "ip_addresses": ["10.0.0.300"]}, "ip_addresses: '10.0.0.300'"),
        ({"common_name": "x", "usages": ["peer"]}, "usages: peer"),
        ({"common_name": "x", "usages": []}, "usages: empty"),
        ({"common_name": "x", "service_network": "10.0.0.1/16"}, "service_network"),
        ({"common_name": "x", "validity_days": 0}, "validity_days"),
        ({"common_name": "x", "dns_names": ["a b"]}, "dns_names: 'a b'"),
    ],
)
def test_bad_spec_names_the_argument(kwargs, message):
    with pytest.raises(pki.PKIError, match=message):
        pki.CertSpec.build(**kwargs)


def test_issued_certificate_says_what_the_spec_says(ca):
    key = pki.new_private_key()
    cert = pki.issue(SPEC, key, *ca, now=NOW)
    facts = pki.facts(cert)
    assert facts.common_name == "kube-apiserver"
    assert set(facts.sans()) == set(SPEC.sans())
    assert facts.usages == ("server",)
    assert facts.not_after == NOW + dt.timedelta(days=365)
    assert pki.reissue_reasons(SPEC, cert, key, ca[1], now=NOW) == []


def test_validity_never_exceeds_the_ca(ca):
    spec = pki.CertSpec.build("long", validity_days=100000)
    cert = pki.issue(spec, pki.new_private_key(), *ca, now=NOW)
    assert pki.facts(cert).not_after == pki.facts(ca[1]).not_after


def _changed(**kw):
    base = {
        "common_name": "kube-apiserver",
        "dns_names": ["kubernetes", "kubernetes.default"],
        "ip_addresses": ["10.0.0.100", "10.0.0.11"],
        "service_network": "10.254.0.0/16",
        "usages": ["server"],
    }
    base.update(kw)
    return pki.CertSpec.build(**base)


CASES = {
    "fits": (lambda c: (SPEC, c["cert"], c["key"], c["ca"], NOW), []),
    "no key": (lambda c: (SPEC, c["cert"], None, c["ca"], NOW), ["no private key"]),
    "no certificate": (lambda c: (SPEC, None, c["key"], c["ca"], NOW), ["no certificate"]),
    "garbage certificate": (
        lambda c: (SPEC, "junk", c["key"], c["ca"], NOW),
        ["the certificate file is not a PEM certificate"],
    ),
    "garbage key": (
        lambda c: (SPEC, c["cert"], "junk", c["ca"], NOW),
        ["the private key file is not a usable key"],
    ),
    "another key": (
        lambda c: (SPEC, c["cert"], pki.new_private_key(), c["ca"], NOW),
        ["the certificate does not match the private key"],
    ),
    "another CA with the same name": (
        lambda c: (SPEC, c["cert"], c["key"], c["other_ca"], NOW),
        ["not signed by the current CA"],
    ),
    "SAN added (new VIP)": (
        lambda c: (
            _changed(ip_addresses=["10.0.0.100", "10.0.0.11", "10.0.0.200"]),
            c["cert"],
            c["key"],
            c["ca"],
            NOW,
        ),
        ["SANs changed (+IP:10.0.0.200)"],
    ),
    "SAN removed": (
        lambda c: (_changed(dns_names=["kubernetes"]), c["cert"], c["key"], c["ca"], NOW),
        ["SANs changed (-DNS:kubernetes.default)"],
    ),
    "subject changed": (
        lambda c: (_changed(organizations=["system:masters"]), c["cert"], c["key"], c["ca"], NOW),
        ["subject changed (CN=kube-apiserver O= -> CN=kube-apiserver O=system:masters)"],
    ),
    "usage changed": (
        lambda c: (_changed(usages=["server", "client"]), c["cert"], c["key"], c["ca"], NOW),
        ["usages changed (server -> client,server)"],
    ),
    "expires within renew_days": (
        lambda c: (SPEC, c["cert"], c["key"], c["ca"], NOW + dt.timedelta(days=336)),
        ["expires 2027-01-01, within 30 days"],
    ),
    "still valid 31 days": (
        lambda c: (SPEC, c["cert"], c["key"], c["ca"], NOW + dt.timedelta(days=334)),
        [],
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_reissue_reasons(case, ca, other_ca):
    key = pki.new_private_key()
    ctx = {
        "key": key,
        "cert": pki.issue(SPEC, key, *ca, now=NOW),
        "ca": ca[1],
        "other_ca": other_ca[1],
    }
    make, expected = CASES[case]
    spec, cert, key_pem, ca_cert, now = make(ctx)
    assert pki.reissue_reasons(spec, cert, key_pem, ca_cert, now=now) == expected


def test_ca_bundle_checks(ca):
    key, cert = ca
    with pytest.raises(pki.PKIError, match="must hold a PEM"):
        pki.split_ca_bundle(cert)
    with pytest.raises(pki.PKIError, match="does not match"):
        pki.split_ca_bundle(pki.new_private_key() + cert)
    leaf = pki.issue(pki.CertSpec.build("leaf"), key, key, cert)
    with pytest.raises(pki.PKIError, match="not a CA certificate"):
        pki.split_ca_bundle(key + leaf)


def test_secrets_generate_a_ca_and_a_signing_key():
    from stacksalt.secrets import generate_value

    key, cert = pki.split_ca_bundle(generate_value("kubernetes_ca_key"))
    assert pki.facts(cert).common_name == "kubernetes-ca"
    pki.load_key(generate_value("kubernetes_sa_signing_key"))
