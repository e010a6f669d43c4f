"""The box's file storage: moto's S3 server on a loopback port, holding the API's files (S5: AES-256 at rest).

    python -m gonogo.stack.s3server --port P --bucket B --preload DIR [--faults ...]

One bucket, set up as the plan's: private (public access block on, no policy), default encryption AES256. The
seed files in ``--preload`` are loaded in-process before serving (2,000 PUTs over HTTP take ~8 s per boot).

moto answers every anonymous request (no Authorization header, no signed URL) as if it were the owner's, except
GET of an object whose ACL is private; real S3 (ACLs disabled, the default since 2023) lets an anonymous request
through only when the bucket policy allows its action. ``_AnonymousByPolicy`` applies that rule in front of moto,
so an anonymous LIST is refused on the healthy box and allowed by the fault bucket_public, as on S3.

Faults: bucket_public (no public access block; a policy granting s3:GetObject and s3:ListBucket to "*"),
bucket_unencrypted (no default encryption: files stored in plaintext), object_unencrypted (the seed files were
stored before default encryption was turned on, and S3 does not re-encrypt objects already stored).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import unquote

ACCOUNT = "123456789012"  # moto's default account
_SELF = {
    "aws_access_key_id": "s3server",
    "aws_secret_access_key": "s3server",
    "region_name": "us-east-1",
}  # moto takes any
_ACTIONS = {
    "GET": "s3:GetObject",
    "HEAD": "s3:GetObject",
    "PUT": "s3:PutObject",
    "POST": "s3:PutObject",
    "DELETE": "s3:DeleteObject",
}
_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
)


def public_policy(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


class _AnonymousByPolicy:
    """WSGI middleware: an anonymous request reaches moto only if the bucket policy allows its action."""

    def __init__(self, app, backend):
        self.app, self.backend = app, backend

    def __call__(self, environ, start_response):
        signed = "HTTP_AUTHORIZATION" in environ or "Signature=" in environ.get("QUERY_STRING", "")
        bucket, _, key = unquote(environ.get("PATH_INFO", "/")).lstrip("/").partition("/")
        if signed or not bucket:
            return self.app(environ, start_response)
        method = environ["REQUEST_METHOD"]
        action, resource = (
            (_ACTIONS.get(method, "s3:*"), f"arn:aws:s3:::{bucket}/{key}")
            if key
            else ("s3:ListBucket" if method in ("GET", "HEAD") else "s3:*", f"arn:aws:s3:::{bucket}")
        )
        from moto.iam.access_control import PermissionResult

        try:
            allowed = self.backend.get_bucket(bucket).get_permission(action, resource) == PermissionResult.PERMITTED
        except Exception:  # no such bucket: S3 answers an anonymous caller 403 too
            allowed = False
        if allowed:
            return self.app(environ, start_response)
        start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(_DENIED)))])
        return [_DENIED]


def _configure(s3, bucket: str, faults: set[str]) -> None:
    s3.create_bucket(Bucket=bucket)
    if "bucket_public" in faults:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_policy(bucket)))
    else:
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )


def _encrypt_by_default(s3, bucket: str) -> None:
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def _preload(backend, bucket: str, directory: Path, encryption: str | None) -> int:
    count = 0
    for path in sorted(directory.iterdir()) if directory.is_dir() else ():
        backend.put_object(bucket, path.name, path.read_bytes(), encryption=encryption, disable_notification=True)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--preload", type=Path, help="a directory whose files become the bucket's objects")
    parser.add_argument("--faults", default="")
    parser.add_argument("--ready", type=Path, required=True, help="written once the bucket is set up and loaded")
    args = parser.parse_args(argv)
    faults = {f for f in args.faults.split(",") if f}

    import boto3
    from moto.moto_server.werkzeug_app import create_backend_app
    from moto.s3.models import s3_backends
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    backend = s3_backends[ACCOUNT]["aws"]
    server = make_server("127.0.0.1", args.port, _AnonymousByPolicy(create_backend_app("s3"), backend), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{args.port}", **_SELF)  # set up as its owner would
    _configure(s3, args.bucket, faults)
    encrypted = not faults & {"bucket_unencrypted", "object_unencrypted"}
    if encrypted:  # set before the files are stored, so each is stored encrypted
        _encrypt_by_default(s3, args.bucket)
    loaded = _preload(backend, args.bucket, args.preload, "AES256" if encrypted else None) if args.preload else 0
    if "object_unencrypted" in faults:  # turned on late: the files already stored stay as they are
        _encrypt_by_default(s3, args.bucket)
    args.ready.write_text(json.dumps({"bucket": args.bucket, "objects": loaded}))
    print(f"s3server: bucket {args.bucket} on 127.0.0.1:{args.port}, {loaded} objects", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
