"""Fault switches: realistic regressions, each meant to be caught by one gate.

``GONOGO_FAULTS=name,name`` reaches every component of the box (API, init_db,
nginx config, dependency lock).
"""

from __future__ import annotations

import os

FAULTS: dict[str, str] = {
    "slow_models": "model reads take 1.2 s longer (K1, K7, K8)",
    "error_burst": "one API request in 200 answers 500 (K2)",
    "endpoint_errors": "GET /api/evaluations/{id} answers 503 to one request in 50: 2 % of one thin endpoint, about 0.1 % of the run (K2)",
    "global_lock": "every API request passes one lock shared by the three instances (a file lock held 3 ms): the fleet serves at most ~280 requests/s, 1.07x the box's written profile (~262 req/s), so every fixed-profile gate passes and the capacity ramp breaks one step above the profile's rate (K6)",
    "dead_backend": "the second API instance (api-2) dies 20 s after it started; the load balancer hides it behind the other two (D3)",
    "broken_operation": "one operation broken, the rest healthy: every PATCH /api/models/{model_id} answers 500 (SMOKE)",
    "missing_index": "the evaluations {user_id: 1, created_at: -1} index is not created (K13, IDX)",
    "files_unindexed": "files {user_id: 1, upload_status: 1} is not created: a user's files are found by a collection scan (K13, IDX)",
    "unselective_index": "evaluations {model_id: 1, status: 1} is built as {status: 1}: queries by model examine most evaluations (K13, K12, IDX)",
    "cache_off": "reads bypass the Redis cache: every lookup misses, and no result=\"hit\" series is exported (as prometheus_client does for a label value never incremented) (K11)",
    "no_security_headers": "no S1 security headers on responses (S1)",
    "rate_limit_off": "no rate limiting (S2)",
    "cors_wildcard": "Access-Control-Allow-Origin: * with credentials, for any origin (S3)",
    "jwt_alg_none": "unsigned tokens (alg: none) are accepted (S4)",
    "jwt_no_exp": "validly signed tokens without exp (that never expire) are accepted (S4)",
    "jwt_alg_confusion": "the API signs RS256 (its public key served as JWKS) and its verifier takes the algorithm from the token: an HS256 admin token keyed with the public key is accepted (S4)",
    "jwt_weak_secret": "tokens are signed with the well-known secret 'secret': anyone can mint an admin token (S4)",
    "idor_evaluations": "other users' evaluations are readable by id (S4)",
    "evaluations_filter_leak": "GET /api/evaluations?model_id=X lists everyone's evaluations of that model: the filter replaces the owner condition instead of narrowing it (S4)",
    "files_delete_any": "DELETE /api/files/{id} deletes anyone's file (reads stay owner-only) (S4)",
    "evaluator_patch_models": "evaluators may PATCH models: the role check covers POST and DELETE only (S4)",
    "mass_assignment": "models keep body fields the contract does not name (role, owner, is_admin...): stored and returned on every later read (S4: BOPLA)",
    "client_file_names": "the storage key of an upload is built from the client's file name (S4: stored names never come from the client)",
    "file_bytes_altered": "downloads of text files come back with their line endings normalised to LF: not the bytes uploaded (SMOKE)",
    "admin_evaluations_unordered": "an admin's evaluation list comes in storage order, oldest first, instead of newest first (SMOKE)",
    "long_name_500": "a model name over 1,024 bytes answers 500 (an index key limit reached) instead of a 4xx or a stored model (S4)",
    "stack_trace_leak": "unexpected errors answer 500 with the Python traceback; bad ids are not validated",
    "weak_tls": "nginx offers TLS 1.0-1.2 only, no TLS 1.3 (S5)",
    "exposed_redis": "Redis listens on its standard port 6379 instead of a private one (S6)",
    "redis_no_auth": "Redis answers commands without a password (S5: Redis AUTH)",
    "redis_plaintext": "Redis speaks plaintext, no TLS (S5: Redis TLS)",
    "mongo_plaintext": "the MongoDB-wire server accepts connections without TLS (S5: MongoDB TLS)",
    "bucket_public": "the file bucket has no public access block and a policy granting s3:GetObject and s3:ListBucket to everyone (S5)",
    "bucket_unencrypted": "the file bucket has no default encryption: files are stored in plaintext (S5: AES-256 at rest)",
    "object_unencrypted": "the bucket's default encryption was turned on after the seed files were stored: they stay unencrypted (S5)",
    "cert_expiring": "the served certificate expires in 5 days (S5: under the 14-day warning)",
    "pool_exhaustion": "MongoDB connection leak: all but one of the pool's 20 connections held and never returned (K14)",
    "vulnerable_dependency": "the API's lock pins PyYAML 5.3, which has a Critical advisory (K4)",
    "incident": "for 5 s of every 30 s, half the API requests answer 503: 8 % of any 30 s window (D3: the rollback trigger's error rate)",
    "memory_leak": "every API request keeps 64 KiB for good: 62.5 MiB more resident memory per 1,000 requests, a release that falls over in hours (K10)",
    "health_lies": "detailed health answers ok without probing, even when the database is down",
    # the box's blue-green switch (gonogo.stack.colours), not the API
    "switch_restart": "the blue-green switch and rollback stop nginx and start it again instead of reloading it: connections cut, new ones refused for the 0.5 s between (D1, D2)",
    "switch_noop": "the switch answers success but routes nothing: the clients never see the new version (D1)",
    "flip_flop": "the switch routes to both colours for 3 s before the new one alone: versions alternate (D1)",
    "keepalive_cut": "the switch closes the old side's connections at once (nginx's old workers stopped, not drained): keep-alive connections closed, requests in flight cut (D1)",
    "slow_rollback": "the rollback waits 40 s before routing back (D2: back within 30 s)",
    # the box's automatic rollback (gonogo.local.watchdog)
    "eager_rollback": "the automatic rollback fires at the first breaching evaluation, without the trigger's window: a short blip rolls back (D3)",
    "latency_trigger_off": "the automatic rollback never evaluates the P95 trigger: slow answers on a new version stay (D3)",
    "old_colour_stopped": "the switch stops the old colour 1 s after routing away from it; a rollback must start it again (D2: retention)",
}


class UnknownFaultError(ValueError):
    pass


def parse_faults(text: str | None) -> frozenset[str]:
    names = {n.strip() for n in (text or "").split(",") if n.strip()}
    unknown = sorted(names - FAULTS.keys())
    if unknown:
        raise UnknownFaultError(
            f"unknown fault(s) {', '.join(unknown)} in GONOGO_FAULTS; valid faults: {', '.join(FAULTS)}"
        )
    return frozenset(names)


def active() -> frozenset[str]:
    return parse_faults(os.environ.get("GONOGO_FAULTS"))
