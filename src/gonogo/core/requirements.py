"""Requirement ids of docs/spec/REQUIREMENTS.md (the staging deployment plan).

Gates cite these; an id not listed here is a configuration error.
"""

REQUIREMENTS: dict[str, str] = {
    "K1": "API latency P95 < 500 ms",
    "K2": "error rate < 0.1 %",
    "K3": "availability during the run > 99.9 %",
    "K4": "0 security findings of severity Critical or High",
    "K5": "concurrent users sustained >= 200",
    "K6": "average throughput > 1000 RPS",
    "K7": "latency P50 < 250 ms",
    "K8": "latency P99 < 1000 ms",
    "K9": "server CPU usage < 70 %",
    "K10": "server memory usage < 80 %",
    "K11": "cache hit rate > 90 %",
    "K12": "MongoDB query time average < 50 ms",
    "K13": "index hit rate > 95 %",
    "K14": "DB connection-pool usage < 80 %",
    # Sections of REQUIREMENTS.md without an id get a short name of their own.
    "IDX": 'required MongoDB indexes exist (section "Database indexes")',
    "SMOKE": 'health endpoints and smoke items answer (section "Health and smoke checks")',
    "S1": "security response headers",
    "S2": "rate limits",
    "S3": "CORS only for configured origins",
    "S4": "authentication and authorization",
    "S5": "TLS 1.3 in transit, encryption at rest",
    "S6": "network exposure",
    "S7": "ZAP, dependency and image scans: 0 Critical/High",
    "D1": "zero-downtime blue-green switch",
    "D2": "rollback within 30 s / 60 s / 4 min",
    "D3": "automatic rollback triggers",
}

#: S1: the security headers every answer carries, and their values (REQUIREMENTS.md, "Security headers").
S1_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "1; mode=block",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

#: S2: the per-minute limits, as API-CONTRACT.md keys them: login per (client IP, email); the others per
#: authenticated user (/api/models*, /api/evaluations*, /api/files/upload, and all /api/* together).
S2_PER_MINUTE: dict[str, int] = {"login": 5, "models": 100, "evaluations": 50, "upload": 10, "api": 1000}
