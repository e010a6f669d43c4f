"""The smoke suite's settings."""

from __future__ import annotations

from pydantic import (
    Field,
)

from gonogo.config.settings.base import Seconds, Strict


class SmokeProfile(Strict):
    """How much contract fuzzing the smoke suite does (Schemathesis), per operation and in total."""

    conformance_examples: int = Field(10, ge=1, le=500)
    conformance_seconds: Seconds = 120.0
    # What responses are validated against: the contract (gonogo's bundled API-CONTRACT.md OpenAPI), the target's own
    # /openapi.json, or a file (path relative to this file). The target's document is compared with the contract
    # separately (smoke.openapi_drift): an auto-generated one lists only some status codes.
    conformance_spec: str = "contract"
