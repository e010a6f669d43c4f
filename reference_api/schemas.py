"""Request and response bodies (they are also the served OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, field_validator

from .faults import active

_FAULTS = active()
# the fault mass_assignment: the model bodies keep what the contract does not name, and the answers show it
_MODEL_EXTRA = "allow" if "mass_assignment" in _FAULTS else "forbid"
# the fault long_name_500: no length limit on a model's name (the 500 comes from the store's key limit)
_NAME_MAX = None if "long_name_500" in _FAULTS else 200

ModelStatus = Literal["active", "deprecated", "archived"]
EvaluationStatus = Literal["queued", "running", "completed", "failed"]
UploadStatus = Literal["pending", "stored", "failed"]


class Error(BaseModel):
    """Every error of the contract: {"detail": "<message>"}."""

    detail: str


#: Documented on every /api route (the contract's error answers).
API_ERRORS = {code: {"model": Error, "description": text} for code, text in [
    (401, "missing, malformed, expired or wrongly signed token"), (403, "role not allowed"), (404, "not found"),
    (422, "malformed request"), (429, "rate limit exceeded (Retry-After)"),
]}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_Body):
    email: StrictStr = Field(min_length=3, max_length=254)
    password: StrictStr = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(BaseModel):
    id: str
    email: str
    role: Literal["admin", "evaluator", "viewer"]


class _ModelBody(BaseModel):
    model_config = ConfigDict(extra=_MODEL_EXTRA)


class ModelCreate(_ModelBody):
    name: StrictStr = Field(min_length=1, max_length=_NAME_MAX)
    provider: StrictStr = Field(min_length=1, max_length=100)
    version: StrictStr = Field("1.0.0", min_length=1, max_length=50)  # the contract's `version?`: defaulted
    status: ModelStatus = "active"
    description: StrictStr = Field("", max_length=2000)


class ModelPatch(_ModelBody):
    name: StrictStr | None = Field(None, min_length=1, max_length=_NAME_MAX)
    provider: StrictStr | None = Field(None, min_length=1, max_length=100)
    version: StrictStr | None = Field(None, min_length=1, max_length=50)
    status: ModelStatus | None = None
    description: StrictStr | None = Field(None, max_length=2000)


class Model(BaseModel):
    model_config = ConfigDict(extra="allow" if "mass_assignment" in _FAULTS else "ignore")

    id: str
    name: str
    provider: str
    version: str
    status: ModelStatus
    description: str
    created_at: datetime


class ModelList(BaseModel):
    items: list[Model]
    total: int


Scalar = StrictStr | StrictInt | StrictFloat | bool | None


class EvaluationCreate(_Body):
    model_id: StrictStr = Field(min_length=1, max_length=64)
    dataset: StrictStr = Field(min_length=1, max_length=200)
    parameters: dict[str, Scalar] | None = None

    @field_validator("parameters")
    @classmethod
    def _plain_keys(cls, value):
        if value is None:
            return value
        if len(value) > 50:
            raise ValueError("at most 50 parameters")
        for key in value:
            if not key or key.startswith("$") or "." in key or len(key) > 100:
                raise ValueError(f"parameter name {key!r} is not allowed (no '$' prefix, no '.', 1-100 characters)")
        return value


class Evaluation(BaseModel):
    id: str
    user_id: str
    model_id: str
    dataset: str
    status: EvaluationStatus
    metrics: dict[str, float]
    created_at: datetime


class EvaluationList(BaseModel):
    items: list[Evaluation]
    total: int


class File(BaseModel):
    id: str
    user_id: str
    filename: str
    size: int
    content_type: str
    sha256: str
    upload_status: UploadStatus
    created_at: datetime


class FileList(BaseModel):
    items: list[File]
    total: int
