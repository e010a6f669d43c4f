"""What a target's own OpenAPI document says that the contract does not (drift), and where each document comes from.

Conformance is judged against the contract by default: a target's auto-generated
document (FastAPI lists only 200 and 422) is a description, not the rule. The
comparison below is reported apart, as drift: operations of the contract the
document lacks, and status codes the contract allows that the document leaves out.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_PARAM = re.compile(r"\{[^}]+\}")
# Bad input "gets a 4xx (400 or 422)": a document that lists either one documents the refusal.
ALTERNATIVES = ({"400", "422"},)


def contract() -> dict:
    return json.loads(resources.files("gonogo.contract").joinpath("openapi.json").read_text())


def load_spec(path: str | Path) -> dict:
    """An OpenAPI document from a file (JSON or YAML); ValueError says what is wrong with it."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"OpenAPI document {path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or "paths" not in data:
        raise ValueError(f"OpenAPI document {path} has no 'paths': not an OpenAPI document")
    return data


def operations(spec: dict) -> dict[tuple[str, str], set[str]]:
    """(METHOD, path with parameters as {}) -> documented status codes."""
    out = {}
    for path, item in (spec.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            if method in METHODS and isinstance(operation, dict):
                out[(method.upper(), _PARAM.sub("{}", path))] = {str(code) for code in operation.get("responses") or {}}
    return out


def _undocumented(wanted: set[str], documented: set[str]) -> set[str]:
    if "default" in documented:
        return set()
    missing = wanted - documented - {"default"}
    for group in ALTERNATIVES:
        if documented & group:
            missing -= group
    return missing


def drift(target: dict, reference: dict | None = None) -> dict[str, list[str]]:
    """Per contract operation ("GET /api/models/{}"), what the target's document misses: "not documented" or
    the status codes it leaves out. Operations only the target documents are listed under "extra"."""
    want, have = operations(reference or contract()), operations(target)
    out: dict[str, list[str]] = {}
    for key, codes in sorted(want.items()):
        label = f"{key[0]} {key[1]}"
        if key not in have:
            out[label] = ["operation not documented"]
        elif missing := sorted(_undocumented(codes, have[key])):
            out[label] = [f"status {code} not documented" for code in missing]
    extra = sorted(f"{m} {p}" for m, p in set(have) - set(want))
    if extra:
        out["extra"] = extra
    return out
