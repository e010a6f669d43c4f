"""What gonogo may do to an environment: writes, load (and how much), active scans."""

from __future__ import annotations

from pydantic import (
    Field,
)

from gonogo.config.settings.base import Seconds, Strict


class LoadSafety(Strict):
    allowed: bool = False
    max_users: int = Field(0, ge=0)
    max_duration: Seconds = 0.0
    max_rate: float | None = Field(
        None, gt=0
    )  # open model: highest arrival rate allowed (None: no cap besides max_users)


class Safety(Strict):
    """What gonogo may do to this deployment. Everything off unless said."""

    writes_allowed: bool = False  # create tagged test data (and remove it)
    destructive_allowed: bool = False  # steps that can disturb the service (delete, restart, failover)
    active_scan_allowed: bool = False  # ZAP active scan, fuzzing with attack payloads
    load: LoadSafety = LoadSafety()
