"""API-CONTRACT.md as an OpenAPI document, written from the contract's words alone.

Every constraint (a type, a bound, an enum, a required field) carries ``x-contract``: the contract's own words it
comes from, which selftests/test_contract_bundle.py finds in docs/spec/API-CONTRACT.md. What the contract leaves to
the implementation (its "Validation" section) is left open here: no maximum string lengths, no maximum offset,
unknown body fields and query parameters neither forbidden nor declared, filter values as plain strings (a target
may refuse an unknown one or match nothing). ``python scripts/contract_openapi.py`` writes openapi.json from this.
"""

from __future__ import annotations

from typing import Any

ERROR_BODY = 'Errors: `{"detail": "<message>"}` with the right 4xx status'
# What each error status of an operation answers, in the contract's words.
STATUS_WORDS = {
    400: "gets a 4xx (400 or 422)",
    422: "gets a 4xx (400 or 422)",
    401: "Every `/api/*` path except health and login needs `Authorization: Bearer <token>`",
    403: "403 for other roles",
    404: "200 Model / 404",
    413: "413 over the size limit (default 10 MiB)",
    415: "415 for a type outside the allow-list",
    429: "429 with `Retry-After`",
}
IDS = "Ids are strings (24-hex ObjectIds)"
TIMES = "Times are ISO 8601 UTC"


def cite(words: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "x-contract": words}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def string(words: str = "JSON everywhere") -> dict[str, Any]:
    return cite(words, {"type": "string"})


def obj(words: str, properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """An object of the contract: its named fields typed, others allowed (extra fields are the implementation's)."""
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = required
    return cite(words, schema)


MODEL_STATUS = ["active", "deprecated", "archived"]
EVALUATION_STATUS = ["queued", "running", "completed", "failed"]
UPLOAD_STATUS = ["pending", "stored", "failed"]
CREATE_LINE = (
    'POST `/api/models` `{"name", "provider", "version"?, "status"?, "description"?}` | admin | 201 Model (a field '
    "marked `?` may be left out: the implementation chooses its default)"
)
MODEL_LINE = (
    'Model = `{"id", "name", "provider", "version", "status": "active"|"deprecated"|"archived", "description", '
    '"created_at"}`'
)
EVALUATION_LINE = (
    'Evaluation = `{"id", "user_id", "model_id", "dataset", "status": "queued"|"running"|"completed"|"failed", '
    '"metrics": {str: float}, "created_at"}`'
)
FILE_LINE = (
    'File = `{"id", "user_id", "filename", "size", "content_type", "sha256", "upload_status": '
    '"pending"|"stored"|"failed", "created_at"}`'
)
CHECK = 'C = `{"status": "ok"|"down", "latency_ms": float}`'


def _id() -> dict[str, Any]:
    return cite(IDS, {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"})


def _time() -> dict[str, Any]:
    return cite(TIMES, {"type": "string"})


def _list(item: str, words: str) -> dict[str, Any]:
    return obj(
        words,
        {"items": cite(words, {"type": "array", "items": ref(item)}), "total": cite(words, {"type": "integer"})},
        ["items", "total"],
    )


# A Model's fields a client writes (POST and PATCH /api/models): not what the server assigns (id, created_at).
MODEL_FIELDS = {
    "name": string(MODEL_LINE),
    "provider": string(MODEL_LINE),
    "version": string(MODEL_LINE),
    "status": cite(MODEL_LINE, {"type": "string", "enum": MODEL_STATUS}),
    "description": string(MODEL_LINE),
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": obj(ERROR_BODY, {"detail": {}}, ["detail"]),
    "Model": obj(
        MODEL_LINE,
        {
            "id": _id(),
            "name": string(MODEL_LINE),
            "provider": string(MODEL_LINE),
            "version": string(MODEL_LINE),
            "status": cite(MODEL_LINE, {"type": "string", "enum": MODEL_STATUS}),
            "description": string(MODEL_LINE),
            "created_at": _time(),
        },
        ["id", "name", "provider", "version", "status", "description", "created_at"],
    ),
    "ModelList": _list("Model", '200 `{"items": [Model], "total": int}`'),
    # The body of POST /api/models: `{"name", "provider", "version"?, "status"?, "description"?}` (a field marked `?`
    # may be left out: the implementation chooses its default), the status enum ("a body value outside an enum of
    # this contract" is bad input); how long a string may be, the contract does not say.
    "ModelCreate": obj(
        CREATE_LINE,
        {name: cite(CREATE_LINE, schema) for name, schema in MODEL_FIELDS.items()},
        ["name", "provider"],
    ),
    "ModelPatch": obj(
        MODEL_LINE,
        MODEL_FIELDS,
    ),
    "Evaluation": obj(
        EVALUATION_LINE,
        {
            "id": _id(),
            "user_id": _id(),
            "model_id": _id(),
            "dataset": string(EVALUATION_LINE),
            "status": cite(EVALUATION_LINE, {"type": "string", "enum": EVALUATION_STATUS}),
            "metrics": cite(
                EVALUATION_LINE, {"type": "object", "additionalProperties": cite(EVALUATION_LINE, {"type": "number"})}
            ),
            "created_at": _time(),
        },
        ["id", "user_id", "model_id", "dataset", "status", "metrics", "created_at"],
    ),
    "EvaluationList": _list("Evaluation", '200 `{"items": [Evaluation], "total": int}`'),
    "EvaluationCreate": obj(
        '`{"model_id", "dataset", "parameters"?}`',
        {
            "model_id": string('`{"model_id", "dataset", "parameters"?}`'),
            "dataset": string('`{"model_id", "dataset", "parameters"?}`'),
            "parameters": cite('`{"model_id", "dataset", "parameters"?}`', {"type": "object"}),
        },
        ["model_id", "dataset"],
    ),
    "File": obj(
        FILE_LINE,
        {
            "id": _id(),
            "user_id": _id(),
            "filename": string(FILE_LINE),
            "size": cite(FILE_LINE, {"type": "integer"}),
            "content_type": string(FILE_LINE),
            "sha256": string(FILE_LINE),
            "upload_status": cite(FILE_LINE, {"type": "string", "enum": UPLOAD_STATUS}),
            "created_at": _time(),
        },
        ["id", "user_id", "filename", "size", "content_type", "sha256", "upload_status", "created_at"],
    ),
    "FileList": _list("File", '200 `{"items": [File], "total": int}`'),
    "Upload": obj(
        "(multipart, field `file`)",
        {"file": cite("(multipart, field `file`)", {"type": "string", "format": "binary"})},
        ["file"],
    ),
    "LoginRequest": obj(
        '`{"email", "password"}`',
        {
            "email": string("422 for malformed bodies, including non-string values"),
            "password": string("422 for malformed bodies, including non-string values"),
        },
        ["email", "password"],
    ),
    "TokenResponse": obj(
        '200 `{"access_token", "token_type": "bearer", "expires_in": int}`',
        {
            "access_token": string('200 `{"access_token", "token_type": "bearer", "expires_in": int}`'),
            "token_type": cite(
                '200 `{"access_token", "token_type": "bearer", "expires_in": int}`',
                {"type": "string", "enum": ["bearer"]},
            ),
            "expires_in": cite(
                '200 `{"access_token", "token_type": "bearer", "expires_in": int}`', {"type": "integer"}
            ),
        },
        ["access_token", "token_type", "expires_in"],
    ),
    "Me": obj(
        '200 `{"id", "email", "role"}`',
        {
            "id": _id(),
            "email": string('200 `{"id", "email", "role"}`'),
            "role": cite(
                "Roles: `admin`, `evaluator`, `viewer`", {"type": "string", "enum": ["admin", "evaluator", "viewer"]}
            ),
        },
        ["id", "email", "role"],
    ),
    "Liveness": obj(
        '200 `{"status": "ok"}` while the process can serve',
        {"status": cite('200 `{"status": "ok"}` while the process can serve', {"type": "string", "enum": ["ok"]})},
        ["status"],
    ),
    "ApiHealth": obj(
        '200 `{"status": "ok", "version": str}`',
        {
            "status": cite('200 `{"status": "ok", "version": str}`', {"type": "string", "enum": ["ok"]}),
            "version": string('200 `{"status": "ok", "version": str}`'),
        },
        ["status", "version"],
    ),
    "Check": obj(
        CHECK,
        {
            "status": cite(CHECK, {"type": "string", "enum": ["ok", "down"]}),
            "latency_ms": cite(CHECK, {"type": "number"}),
        },
        ["status", "latency_ms"],
    ),
    "Detailed": obj(
        '200/503 `{"status": "ok"|"degraded"|"down", "checks": {"database": C, "cache": C, "storage": C, "auth": C}}`',
        {
            "status": cite(
                '`{"status": "ok"|"degraded"|"down"', {"type": "string", "enum": ["ok", "degraded", "down"]}
            ),
            "checks": obj(
                '"checks": {"database": C, "cache": C, "storage": C, "auth": C}}`',
                {name: ref("Check") for name in ("database", "cache", "storage", "auth")},
                ["database", "cache", "storage", "auth"],
            ),
        },
        ["status", "checks"],
    ),
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    """The 4xx answers an operation may give, each with the contract's error body."""
    return {str(code): _json(ref("Error"), STATUS_WORDS[code]) for code in codes}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": string(IDS)}


LIMIT = _query(
    "limit", cite("limit 1..100, default 20", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})
)
OFFSET = _query("offset", cite("a negative `offset`", {"type": "integer", "minimum": 0}))


def _filter(name: str) -> dict[str, Any]:
    # "a filter value outside its enum (422, or matching nothing: 200 with no items)": any string
    return _query(name, string("a filter value outside its enum (422, or matching nothing: 200 with no items)"))


def _operation(
    ok: str,
    body: dict[str, Any] | None,
    errors: tuple[int, ...],
    *,
    parameters=(),
    request=None,
    authenticated: bool = True,
) -> dict[str, Any]:
    responses = {ok: body if body is not None else {"description": "no content"}}
    if authenticated:  # bad input (400/422), no or a bad token (401), past a rate limit (429)
        errors = (400, 401, 422, 429, *errors)
    responses.update(_errors(*sorted(set(errors))))
    operation: dict[str, Any] = {"responses": responses}
    if parameters:
        operation["parameters"] = list(parameters)
    if request is not None:
        operation["requestBody"] = request
    return operation


def _body(name: str, media: str = "application/json") -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": ref(name)}}}


PATHS: dict[str, dict[str, Any]] = {
    "/health": {"get": _operation("200", _json(ref("Liveness"), "alive"), (), authenticated=False)},
    "/api/health": {
        "get": {"responses": {"200": _json(ref("ApiHealth"), "ok"), "503": {"description": "a dependency is down"}}}
    },
    "/api/health/detailed": {
        "get": {"responses": {"200": _json(ref("Detailed"), "ok"), "503": _json(ref("Detailed"), "degraded")}}
    },
    "/api/auth/login": {
        "post": _operation(
            "200",
            _json(ref("TokenResponse"), "a token"),
            (400, 401, 422, 429),
            request=_body("LoginRequest"),
            authenticated=False,
        )
    },
    "/api/auth/me": {"get": _operation("200", _json(ref("Me"), "the caller"), ())},
    "/api/models": {
        "get": _operation(
            "200",
            _json(ref("ModelList"), "models"),
            (),
            parameters=(_filter("provider"), _filter("status"), LIMIT, OFFSET),
        ),
        "post": _operation("201", _json(ref("Model"), "created"), (403,), request=_body("ModelCreate")),
    },
    "/api/models/{model_id}": {
        "get": _operation("200", _json(ref("Model"), "the model"), (404,), parameters=(_path("model_id"),)),
        "patch": _operation(
            "200",
            _json(ref("Model"), "changed"),
            (403, 404),
            parameters=(_path("model_id"),),
            request=_body("ModelPatch"),
        ),
        "delete": _operation("204", None, (403, 404), parameters=(_path("model_id"),)),
    },
    "/api/evaluations": {
        "get": _operation(
            "200",
            _json(ref("EvaluationList"), "evaluations"),
            (),
            parameters=(_filter("model_id"), _filter("status"), LIMIT, OFFSET),
        ),
        "post": _operation("201", _json(ref("Evaluation"), "queued"), (403, 404), request=_body("EvaluationCreate")),
    },
    "/api/evaluations/{evaluation_id}": {
        "get": _operation(
            "200", _json(ref("Evaluation"), "the evaluation"), (404,), parameters=(_path("evaluation_id"),)
        ),
    },
    "/api/files/upload": {
        "post": _operation(
            "201", _json(ref("File"), "stored"), (403, 413, 415), request=_body("Upload", "multipart/form-data")
        ),
    },
    "/api/files": {
        "get": _operation("200", _json(ref("FileList"), "own files"), (), parameters=(_filter("upload_status"),))
    },
    # "owner or admin": another user's file is refused, as 403 or 404 (the contract does not say which)
    "/api/files/{file_id}": {
        "get": _operation("200", _json(ref("File"), "the file"), (403, 404), parameters=(_path("file_id"),)),
        "delete": _operation("204", None, (403, 404), parameters=(_path("file_id"),)),
    },
    "/api/files/{file_id}/content": {
        "get": _operation(
            "200", {"description": "the exact bytes uploaded"}, (403, 404), parameters=(_path("file_id"),)
        ),
    },
}


def build() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AI model management API (API-CONTRACT.md)",
            "version": "contract",
            "description": "Written from docs/spec/API-CONTRACT.md by gonogo.contract.document; every constraint cites "
            "the contract's words in x-contract. What the contract leaves to the implementation is left open.",
        },
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
