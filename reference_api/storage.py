"""Uploaded files in an S3 bucket (S5: AES-256 at rest is the bucket's default encryption), under server-generated
keys; and the seed's file directory, which the box's object server loads as the bucket's first objects."""

from __future__ import annotations

import uuid
from pathlib import Path


def _new_key() -> str:
    return uuid.uuid4().hex


class FileStore:
    """The bucket through boto3 (endpoint, bucket and credentials from the settings and the standard AWS chain)."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self._s3 = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None,
                                config=Config(max_pool_connections=20, retries={"max_attempts": 2},
                                              connect_timeout=2, read_timeout=10))

    def save(self, data: bytes, key: str | None = None) -> str:
        """Store ``data``; return its key, server-generated unless given. Encryption is the bucket's default, as S5
        asks of it."""
        key = key or _new_key()
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        return key

    @property
    def missing(self) -> type[Exception]:
        """What ``load`` raises for a key the bucket does not hold."""
        return self._s3.exceptions.NoSuchKey

    def load(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)

    def probe(self) -> None:
        """The bucket answers with these credentials (HeadBucket): what the storage health check needs."""
        self._s3.head_bucket(Bucket=self.bucket)


class SeedDirectory:
    """``save`` into a plain directory, one file per object: the seed data the box's bucket starts with."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def save(self, data: bytes) -> str:
        key = _new_key()
        (self.root / key).write_bytes(data)
        return key
