"""A throwaway CA and a server certificate for localhost/127.0.0.1 (trustme)."""

from __future__ import annotations

from pathlib import Path

import trustme


def make_certificates(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="gonogo local box")
    server = ca.issue_cert("localhost", "127.0.0.1", "::1")
    paths = {"ca": directory / "ca.pem", "cert": directory / "server-chain.pem", "key": directory / "server.key"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    paths["cert"].write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    server.private_key_pem.write_to_path(str(paths["key"]))
    paths["key"].chmod(0o600)
    return paths
