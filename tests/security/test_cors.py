"""S3: only the configured origins are allowed; never `*` together with credentials; preflights answer."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S3")

OTHER = "https://evil.gonogo.invalid"


def test_cors_only_for_configured_origins(security, checks, gonogo_env):
    if not gonogo_env.cors_allowed_origins:
        pytest.skip(f"environment '{gonogo_env.name}' lists no cors_allowed_origins: CORS cannot be judged")
    with checks.source("cors") as src:
        allowed = gonogo_env.cors_allowed_origins[0]
        for path in ("/health", "/api/models?limit=1"):
            ok = security.get(path, role="viewer", headers={"Origin": allowed})
            acao = ok.headers.get("access-control-allow-origin")
            src.check(
                f"cors.allowed_echoed ({path})", acao == allowed, f"Origin {allowed} -> ACAO {acao!r}", "S3", "low"
            )
            bad = security.get(path, role="viewer", headers={"Origin": OTHER})
            acao, creds = (
                bad.headers.get("access-control-allow-origin"),
                bad.headers.get("access-control-allow-credentials"),
            )
            src.check(
                f"cors.other_refused ({path})",
                acao not in (OTHER, "*"),
                f"Origin {OTHER} -> ACAO {acao!r}, credentials {creds!r}",
                "S3",
                "high" if creds == "true" else "medium",
            )
            for resp in (ok, bad):
                star = resp.headers.get("access-control-allow-origin") == "*"
                with_creds = resp.headers.get("access-control-allow-credentials") == "true"
                src.check(
                    f"cors.no_wildcard_with_credentials ({path})",
                    not (star and with_creds),
                    f"{path}: ACAO {resp.headers.get('access-control-allow-origin')!r}, "
                    f"Access-Control-Allow-Credentials "
                    f"{resp.headers.get('access-control-allow-credentials')!r} (plan: never * with true)",
                    "S3",
                    "high",
                )
        preflight = security.request(
            "OPTIONS",
            "/api/evaluations",
            headers={
                "Origin": allowed,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        methods = preflight.headers.get("access-control-allow-methods", "")
        src.check(
            "cors.preflight",
            preflight.status_code in (200, 204)
            and "POST" in methods
            and preflight.headers.get("access-control-allow-origin") == allowed,
            f"OPTIONS /api/evaluations from {allowed} -> {preflight.status_code}, allow-methods {methods!r}",
            "S3",
            "low",
        )
