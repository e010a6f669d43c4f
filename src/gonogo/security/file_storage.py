"""S5's file storage through the S3 API: AES-256 (or KMS) at rest by default and on every object, private.

Read only: the bucket's encryption, public access block and policy, each object's encryption (HeadObject, at most
``max_objects``), and two unsigned requests (LIST, GET of one object) as an anonymous client would send them.
A read this account may not make is not a pass: the rule stays unmeasured and says which permission is missing.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from gonogo.security import cloud_config
from gonogo.security.cloud_config import error_code, read
from gonogo.security.rules import NotMeasured, Rule

AT_REST = ("AES256", "aws:kms", "aws:kms:dsse")  # S3's AES-256 (SSE-S3) or KMS keys (AES-256 too)
BLOCKS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _public_statements(policy: dict) -> list[dict]:
    def everyone(principal) -> bool:
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        return principal == "*" or "*" in (aws if isinstance(aws, list) else [aws])

    statements = policy.get("Statement", [])
    return [
        s
        for s in (statements if isinstance(statements, list) else [statements])
        if s.get("Effect") == "Allow" and everyone(s.get("Principal")) and not s.get("Condition")
    ]


def rules(s3, anonymous, bucket: str, max_objects: int) -> list[Rule]:
    """``s3``: a boto3 S3 client with gonogo's credentials; ``anonymous``: one that signs nothing (botocore
    UNSIGNED)."""
    where = f"s3://{bucket}"
    found = [_encryption_rule(s3, bucket), _public_access_rule(s3, bucket), _policy_rule(s3, bucket)]
    keys, truncated = _keys(s3, bucket, max_objects)
    unsigned_list = _status(lambda: anonymous.list_objects_v2(Bucket=bucket, MaxKeys=1))
    found.append(_anonymous_rule("files.anonymous_list_denied", f"{where}: an unsigned LIST", unsigned_list))
    if keys:
        unsigned_get = _status(lambda: anonymous.get_object(Bucket=bucket, Key=keys[0]))
        found.append(_anonymous_rule("files.anonymous_get_denied", f"{where}/{keys[0]}: an unsigned GET", unsigned_get))
    if truncated:
        raise NotMeasured(
            f"{where} holds more than s3.max_objects ({max_objects}) objects: the encryption of the rest "
            "is unread; raise max_objects"
        )
    found.append(_objects_rule(s3, bucket, keys))
    return found


def _encryption_rule(s3, bucket: str) -> Rule:
    where = f"s3://{bucket}"
    encryption = read(
        f"{where} GetBucketEncryption",
        lambda: s3.get_bucket_encryption(Bucket=bucket),
        ("ServerSideEncryptionConfigurationNotFoundError",),
    )
    algorithms = [
        r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
        for r in (encryption or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    ]
    return Rule(
        "files.default_encryption",
        any(a in AT_REST for a in algorithms),
        f"{where} default encryption: {', '.join(map(str, algorithms)) or 'none'} (plan: AES256 or KMS)",
    )


def _public_access_rule(s3, bucket: str) -> Rule:
    where = f"s3://{bucket}"
    block = read(
        f"{where} GetPublicAccessBlock",
        lambda: s3.get_public_access_block(Bucket=bucket),
        ("NoSuchPublicAccessBlockConfiguration",),
    )
    settings = (block or {}).get("PublicAccessBlockConfiguration", {})
    off = [k for k in BLOCKS if not settings.get(k)]
    state = f"{', '.join(off)} off" if off else "all four on"
    return Rule("files.public_access_blocked", not off, f"{where} public access block: {state} (plan: all four on)")


def _policy_rule(s3, bucket: str) -> Rule:
    where = f"s3://{bucket}"
    policy = read(f"{where} GetBucketPolicy", lambda: s3.get_bucket_policy(Bucket=bucket), ("NoSuchBucketPolicy",))
    public = _public_statements(json.loads(policy["Policy"])) if policy else []
    if public:
        actions = sorted({a for s in public for a in _list(s.get("Action"))})
        state = f"{len(public)} statement(s) allow {actions} to Principal '*'"
    else:
        state = "no statement allows Principal '*'" if policy else "none"
    return Rule("files.policy_not_public", not public, f"{where} policy: {state} (plan: private)")


def client_names_rule(s3, bucket: str, max_objects: int, marks: dict[str, str]) -> Rule:
    """No key of ``bucket`` holds what a client sent as a file name (the contract: "Stored file names never come
    from the client"). ``marks``: a text only the client's names held (the run's tag) -> the name it was sent in."""
    keys, truncated = _keys(s3, bucket, max_objects)
    if truncated:
        raise NotMeasured(
            f"s3://{bucket} holds more than s3.max_objects ({max_objects}) objects: the keys of the rest are unread; "
            "raise max_objects"
        )
    taken = [
        (k, next((name for mark, name in marks.items() if mark in k), "a '..' segment"))
        for k in keys
        if any(mark in k for mark in marks) or ".." in k.replace("\\", "/").split("/")
    ]
    return Rule(
        "files.keys_not_client_names",
        not taken,
        f"s3://{bucket}: {len(keys)} keys"
        + (
            "; " + "; ".join(f"{k!r} holds the client's {n!r}" for k, n in taken[:5])
            if taken
            else ", none holds a name a client sent or a '..' segment"
        )
        + " (the contract: stored file names never come from the client)",
    )


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _keys(s3, bucket: str, limit: int) -> tuple[list[str], bool]:
    keys: list[str] = []
    token = None
    while len(keys) < limit:
        page = read(
            f"s3://{bucket} ListObjectsV2",
            lambda: s3.list_objects_v2(  # called at once, inside this iteration
                Bucket=bucket,
                MaxKeys=min(1000, limit - len(keys)),  # noqa: B023
                **({"ContinuationToken": token} if token else {}),  # noqa: B023
            ),
        )
        keys += [o["Key"] for o in page.get("Contents", [])]
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated"):
            return keys, False
    return keys, True


def _status(call) -> tuple[int, str]:
    """(HTTP status, error code) of an anonymous request: 200 if it was served."""
    from botocore.exceptions import ClientError

    try:
        call()
        return 200, ""
    except ClientError as exc:
        return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0), error_code(exc)


def _anonymous_rule(name: str, what: str, answer: tuple[int, str]) -> Rule:
    status, code = answer
    if status not in (200, 403):
        raise NotMeasured(f"{what} was answered {status} {code}: neither served nor denied")
    return Rule(
        name,
        status == 403,
        f"{what} is {'denied (403 ' + code + ')' if status == 403 else 'served (200)'} (plan: private)",
    )


def _objects_rule(s3, bucket: str, keys: list[str]) -> Rule:
    def encryption(key: str) -> str | None:
        head = read(f"s3://{bucket}/{key} HeadObject", lambda: s3.head_object(Bucket=bucket, Key=key))
        return head.get("ServerSideEncryption")

    with ThreadPoolExecutor(8) as pool:  # bounded: at most max_objects HeadObject requests
        found = dict(zip(keys, pool.map(encryption, keys), strict=False))
    plain = [k for k, algorithm in found.items() if algorithm not in AT_REST]
    return Rule(
        "files.objects_encrypted",
        not plain,
        f"s3://{bucket}: {len(found) - len(plain)} of {len(found)} objects "
        "encrypted at rest"
        + (f"; not: {', '.join(plain[:5])}{' ...' if len(plain) > 5 else ''}" if plain else "")
        + " (plan: AES-256 on every object)",
    )


def clients(storage, credentials_file: str | None = None):
    """(signed, unsigned) boto3 S3 clients for ``storage`` (environments.yaml ``s3``)."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    session = cloud_config.session(credentials_file)
    options = {
        "region_name": storage.region,
        "endpoint_url": storage.endpoint_url,
        "config": Config(retries={"max_attempts": 2}, connect_timeout=3, read_timeout=10),
    }
    unsigned = boto3.session.Session().client(
        "s3", **{**options, "config": options["config"].merge(Config(signature_version=UNSIGNED))}
    )
    return session.client("s3", **options), unsigned
