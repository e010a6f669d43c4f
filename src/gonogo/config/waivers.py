"""Waivers: accepted findings, one file for every source (ZAP, dependencies, suite checks).

Each waiver names a finding id (an advisory id or one of its aliases, a ZAP rule
id, a check name), why it is accepted, who owns it and when it expires. An
expired waiver stops waiving and says so in the finding, so a forgotten
exception turns the gate red instead of hiding a risk for ever.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gonogo.config.errors import ConfigError
from gonogo.config.validation import dotted, problems_from
from gonogo.config.yamlfile import load_yaml
from gonogo.core.findings import Finding


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    reason: str = Field(min_length=10)  # "accepted" is not a reason
    owner: str = Field(min_length=1)
    expires: dt.date


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    waivers: list[Waiver] = []


@dataclasses.dataclass
class Waivers:
    waivers: list[Waiver]
    path: Path | None = None

    @classmethod
    def none(cls) -> Waivers:
        return cls([])

    @classmethod
    def from_path(cls, path: str | Path) -> Waivers:
        doc = load_yaml(path, "waivers")
        try:
            parsed = WaiverFile.model_validate(doc.data)
        except ValidationError as exc:
            raise ConfigError(doc.path, problems_from(exc, doc, WaiverFile, dotted)) from None
        return cls(parsed.waivers, doc.path)

    def apply(self, finding: Finding, aliases: tuple[str, ...] = (), today: dt.date | None = None) -> Finding:
        """The finding, waived when a valid waiver names it; an expired waiver is noted in the evidence."""
        today = today or dt.date.today()
        names = {finding.id.lower(), *(a.lower() for a in aliases)}
        for waiver in self.waivers:
            if waiver.id.lower() not in names:
                continue
            if waiver.expires < today:
                note = f" [waiver by {waiver.owner} expired on {waiver.expires}: no longer waived]"
                return dataclasses.replace(
                    finding,
                    evidence=finding.evidence + note,
                    title=f"{finding.title} [waiver expired {waiver.expires}]",
                )
            return dataclasses.replace(finding, waived=f"{waiver.owner} until {waiver.expires}: {waiver.reason}")
        return finding
