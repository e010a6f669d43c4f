"""The contract's OpenAPI shipped with gonogo is written from API-CONTRACT.md's words, not from any implementation:
every constraint in it cites the contract, and what the contract leaves open stays open."""

import json
import sys
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import contract_openapi  # noqa: E402

# JSON Schema / OpenAPI words that narrow what is valid: each must come from the contract's text
CONSTRAINTS = {"type", "enum", "const", "required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
               "maxLength", "pattern", "format", "minItems", "maxItems", "additionalProperties", "items", "properties"}
CONTRACT = " ".join((ROOT / "docs" / "spec" / "API-CONTRACT.md").read_text().split())


def bundled() -> dict:
    return json.loads(resources.files("gonogo.contract").joinpath("openapi.json").read_text())


def _schemas(node, where):
    """A schema and every schema inside it (properties, items, additionalProperties), with where each is."""
    yield where, node
    for name, sub in (node.get("properties") or {}).items():
        yield from _schemas(sub, f"{where}.properties.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _schemas(node[key], f"{where}.{key}")


def _all_schemas(spec):
    for name, schema in spec["components"]["schemas"].items():
        yield from _schemas(schema, name)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                yield from _schemas(parameter["schema"], f"{method.upper()} {path} {parameter['name']}")


def test_the_bundle_is_generated_from_the_contract_module():
    assert resources.files("gonogo.contract").joinpath("openapi.json").read_text() == contract_openapi.render(), \
        "src/gonogo/contract/openapi.json is stale: run `python scripts/contract_openapi.py`"


def test_every_constraint_cites_words_of_the_contract():
    uncited, unknown = [], []
    spec = bundled()
    for where, node in _all_schemas(spec):
        narrowing = CONSTRAINTS & set(node)
        words = node.get("x-contract")
        if narrowing and words is None:
            uncited.append(f"{where}: {sorted(narrowing)}")
        elif words is not None and " ".join(words.split()) not in CONTRACT:
            unknown.append(f"{where}: {words!r}")
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                if code.startswith("4") and response["description"] not in CONTRACT:
                    unknown.append(f"{method.upper()} {path} {code}: {response['description']!r}")
    assert not uncited, "constraints without the contract's words (x-contract):\n" + "\n".join(uncited)
    assert not unknown, "x-contract words not found in docs/spec/API-CONTRACT.md:\n" + "\n".join(unknown)


def test_what_the_contract_leaves_open_stays_open():
    """Its Validation section: no maximum lengths, no maximum offset, unknown fields and parameters not forbidden,
    filter values not limited to an enum; GET /api/files takes only upload_status."""
    spec = bundled()
    for where, node in _all_schemas(spec):
        assert "maxLength" not in node, where
        assert node.get("additionalProperties") is not False, where
    parameters = {(m.upper(), p): {x["name"]: x["schema"] for x in op.get("parameters", []) if x["in"] == "query"}
                  for p, item in spec["paths"].items() for m, op in item.items()}
    assert set(parameters[("GET", "/api/files")]) == {"upload_status"}
    for operation in (("GET", "/api/models"), ("GET", "/api/evaluations")):
        assert "maximum" not in parameters[operation]["offset"] and parameters[operation]["offset"]["minimum"] == 0
        assert (parameters[operation]["limit"]["minimum"], parameters[operation]["limit"]["maximum"]) == (1, 100)
    for operation, name in ((("GET", "/api/models"), "status"), (("GET", "/api/evaluations"), "status"),
                            (("GET", "/api/files"), "upload_status")):
        assert "enum" not in parameters[operation][name], (operation, name)


def test_a_constraint_without_the_contracts_words_is_caught(monkeypatch):
    """The trace check can fail: a maxLength the contract never states, as an implementation's schema would add."""
    spec = bundled()
    spec["components"]["schemas"]["ModelCreate"]["properties"]["description"] = {"type": "string", "maxLength": 2000}
    monkeypatch.setattr(sys.modules[__name__], "bundled", lambda: spec)
    with pytest.raises(AssertionError, match="ModelCreate.properties.description"):
        test_every_constraint_cites_words_of_the_contract()
    with pytest.raises(AssertionError):
        test_what_the_contract_leaves_open_stays_open()


def test_a_create_needs_only_the_fields_the_contract_does_not_mark_optional():
    """Issue 40: a target that defaulted a left-out `version` was failed as "Schema-violating request accepted"; the
    contract now says `{"name", "provider", "version"?, "status"?, "description"?}`."""
    from gonogo.contract.document import SCHEMAS

    create = SCHEMAS["ModelCreate"]
    assert create["required"] == ["name", "provider"]
    assert set(create["properties"]) == {"name", "provider", "version", "status", "description"}
    assert '"version"?' in create["x-contract"] and create["x-contract"].split(" | ")[0] in (
        ROOT / "docs" / "spec" / "API-CONTRACT.md").read_text()
