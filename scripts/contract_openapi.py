"""Write src/gonogo/contract/openapi.json from gonogo.contract.document (API-CONTRACT.md's words as OpenAPI);
selftests/test_contract_bundle.py fails while they differ, or while a constraint cites words the contract lacks."""

from __future__ import annotations

import json
from pathlib import Path

from gonogo.contract.document import build

BUNDLE = Path(__file__).resolve().parents[1] / "src" / "gonogo" / "contract" / "openapi.json"


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    BUNDLE.write_text(render())
    print(f"wrote {BUNDLE}")
