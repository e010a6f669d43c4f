"""Settings from environment variables (the plan's names where it has them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .faults import parse_faults

ALLOWED_CONTENT_TYPES = (
    "text/csv", "text/plain", "application/json", "application/x-ndjson",
    "application/zip", "application/gzip", "application/x-parquet",
)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    database: str = "online_evaluation_staging"
    redis_url: str = "redis://127.0.0.1:6379/0"
    jwt_secret: str = "change-me"
    jwt_ttl_s: int = 3600
    jwt_algorithm: str = "HS256"  # RS256: jwt_secret is the private key (PEM); its public half is served as JWKS
    s3_bucket: str = "ai-model-files"
    s3_endpoint_url: str = ""  # empty: AWS's own (region and credentials from the standard AWS chain)
    cache_ttl_s: int = 300
    db_pool_size: int = 20
    redis_pool_size: int = 10
    max_upload_bytes: int = 10 * 1024 * 1024
    allowed_content_types: tuple[str, ...] = ALLOWED_CONTENT_TYPES
    cors_origins: tuple[str, ...] = ("https://staging.ai-model-mgmt.com",)
    limits_per_minute: dict = field(default_factory=lambda: {"login": 5, "models": 100, "evaluations": 50, "upload": 10, "api": 1000})
    faults: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        faults = parse_faults(env.get("GONOGO_FAULTS"))
        return cls(
            mongo_url=env.get("MONGO_URL", cls.mongo_url),
            database=env.get("DATABASE_NAME", cls.database),
            redis_url=env.get("REDIS_URL", cls.redis_url),
            jwt_secret=env.get("JWT_SECRET", cls.jwt_secret),
            jwt_ttl_s=_int("JWT_TTL_SECONDS", cls.jwt_ttl_s),
            jwt_algorithm=env.get("JWT_ALGORITHM", cls.jwt_algorithm),
            s3_bucket=env.get("S3_BUCKET", cls.s3_bucket),
            s3_endpoint_url=env.get("S3_ENDPOINT_URL", cls.s3_endpoint_url),
            cache_ttl_s=_int("CACHE_TTL", cls.cache_ttl_s),
            db_pool_size=_int("DATABASE_POOL_SIZE", cls.db_pool_size),
            redis_pool_size=_int("REDIS_POOL_SIZE", cls.redis_pool_size),
            max_upload_bytes=_int("MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            cors_origins=tuple(o for o in env.get("CORS_ORIGINS", ",".join(cls.cors_origins)).split(",") if o),
            limits_per_minute={
                "login": _int("RATE_LIMIT_LOGIN", 5), "models": _int("RATE_LIMIT_MODELS", 100),
                "evaluations": _int("RATE_LIMIT_EVALUATIONS", 50), "upload": _int("RATE_LIMIT_UPLOAD", 10),
                "api": _int("API_RATE_LIMIT", 1000),
            },
            faults=faults,
        )
