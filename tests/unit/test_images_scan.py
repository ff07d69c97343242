"""The secret scanner's matching (pure part): names are reported, never values."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from stacksalt.images import scan


def pem(key, fmt=serialization.PrivateFormat.PKCS8) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


NEEDLES = {"local/keystone_password": b"s3cret-value-1234"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"nothing here", []),
        (b"db = 's3cret-value-1234'", ["local/keystone_password"]),
        (pem(ec.generate_private_key(ec.SECP256R1())), ["private key"]),
        (
            pem(
                rsa.generate_private_key(public_exponent=65537, key_size=1024),
                serialization.PrivateFormat.TraditionalOpenSSL,
            ),
            ["private key"],
        ),
        # code that only names the PEM header is not a key
        (b'HEADER = "-----BEGIN ' + b'PRIVATE KEY-----"\n', []),
        (b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n", []),
    ],
)
def test_find(data, expected):
    assert scan.find(data, NEEDLES) == expected


def test_deployment_secrets_skip_short_values(tmp_path):
    path = tmp_path / "pillar" / "local" / "secrets.yml"
    path.parent.mkdir(parents=True)
    path.write_text("parameters:\n  _param:\n    a_password: long-enough-1\n    b_token: short\n")
    assert scan.deployment_secrets(tmp_path) == {"local/a_password": "long-enough-1"}
