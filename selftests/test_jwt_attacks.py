"""S4's token attacks (gonogo.security.jwt_attacks, jwt_keys) on tokens made here: each forged token is what a
vulnerable verifier would accept, and a sound one refuses."""

from __future__ import annotations

import json

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from gonogo.security import jwt_attacks
from gonogo.security.jwt_keys import served_key_set

CLAIMS = {"sub": "64b000000000000000000001", "role": "viewer", "exp": 4102444800}


@pytest.fixture(scope="module")
def rsa_key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, pem.decode()


def test_a_token_signed_with_a_well_known_secret_is_found_without_a_request():
    head = {"alg": "HS256", "typ": "JWT"}
    assert jwt_attacks.weak_secret(jwt_attacks.hs256(head, CLAIMS, b"secret")) == "secret"
    assert jwt_attacks.weak_secret(jwt_attacks.hs256(head, CLAIMS, b"your-256-bit-secret")) == "your-256-bit-secret"
    assert jwt_attacks.weak_secret(jwt.encode(CLAIMS, "k" * 43, algorithm="HS256")) is None


def test_algorithm_confusion_tokens_verify_with_the_public_key_as_an_hmac_secret(rsa_key):
    private, pem = rsa_key
    token = jwt.encode(CLAIMS, private, algorithm="RS256")
    forged = dict(jwt_attacks.confused(token, pem))
    assert len(forged) == 3
    for what, bad in forged.items():
        assert jwt_attacks.header(bad)["alg"] == "HS256" and jwt_attacks.claims(bad)["role"] == "admin", what
        # a sound RS256 verifier refuses it: the algorithm is not the one it expects
        with pytest.raises(jwt.InvalidTokenError):
            jwt.decode(bad, serialization.load_pem_public_key(pem.encode()), algorithms=["RS256"])
    # a verifier that takes the algorithm from the token and its key as bytes accepts the first
    assert _hmac_ok(forged["alg confusion (HS256 keyed with the PEM)"], pem.encode())


def test_the_public_key_is_read_from_a_jwks_or_a_pem(rsa_key):
    private, pem = rsa_key
    jwks = json.dumps({"keys": [{**json.loads(RSAAlgorithm.to_jwk(private.public_key())), "kid": "k"}]})
    assert jwt_attacks.public_pem(jwks) == pem
    assert jwt_attacks.public_pem(pem) == pem
    assert jwt_attacks.public_pem("<html>not found</html>") is None


def test_a_jku_token_names_a_key_set_served_here_that_holds_its_key(rsa_key):
    private, _ = rsa_key
    token = jwt.encode(CLAIMS, private, algorithm="RS256")
    with served_key_set(token, "https://127.0.0.1:8443") as found:
        assert found is not None
        what, forged = found
        jku = jwt_attacks.header(forged)["jku"]
        key_set = httpx.get(jku, trust_env=False).json()
        key = RSAAlgorithm.from_jwk(json.dumps(key_set["keys"][0]))
        assert jwt.decode(forged, key, algorithms=["RS256"])["role"] == "admin"  # what a jku-trusting verifier does
    with served_key_set(token, "https://staging.example.com") as remote:
        assert remote is None, "a target elsewhere cannot reach a key set served here: not tried"


def test_a_kid_naming_dev_null_is_signed_with_the_empty_key():
    what, forged = jwt_attacks.kid_traversal(jwt.encode(CLAIMS, "k" * 43, algorithm="HS256"))
    assert jwt_attacks.header(forged)["kid"].endswith("/dev/null")
    assert _hmac_ok(forged, b"") and jwt_attacks.claims(forged)["role"] == "admin"


def _hmac_ok(token: str, key: bytes) -> bool:
    """What a verifier that takes HS256 from the token does with ``key`` (PyJWT refuses PEM and empty keys)."""
    import base64
    import hashlib
    import hmac

    signing, _, signature = token.rpartition(".")
    digest = base64.urlsafe_b64encode(hmac.new(key, signing.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(digest, signature)
