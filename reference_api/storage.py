"""Uploaded files under UPLOAD_DIR: server-generated names, AES-256-GCM at rest (S5)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class FileStore:
    def __init__(self, root: str, key: bytes):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._aead = AESGCM(key)

    def _path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise ValueError("bad stored name")
        return self.root / name

    def save(self, data: bytes) -> str:
        """Store ``data`` encrypted; return the new server-generated name."""
        name = uuid.uuid4().hex
        nonce = os.urandom(_NONCE)
        tmp = self.root / f".{name}.tmp"
        tmp.write_bytes(nonce + self._aead.encrypt(nonce, data, name.encode()))
        os.replace(tmp, self._path(name))
        return name

    def load(self, name: str) -> bytes:
        blob = self._path(name).read_bytes()
        return self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], name.encode())

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def probe(self) -> None:
        """Write, read back and delete a small file: what the storage health check needs."""
        name = self.save(b"health-probe")
        try:
            if self.load(name) != b"health-probe":
                raise OSError("storage read back different bytes")
        finally:
            self.delete(name)
