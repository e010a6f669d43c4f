"""The contract's OpenAPI shipped with gonogo (for targets that serve none) is the reference API's own."""

import json
from importlib import resources

from reference_api.app import create_app


def test_bundled_contract_matches_the_reference_api():
    bundled = json.loads(resources.files("gonogo.contract").joinpath("openapi.json").read_text())
    assert bundled == json.loads(json.dumps(create_app().openapi())), (
        "regenerate: python -c 'import json; from reference_api.app import create_app; "
        "print(json.dumps(create_app().openapi(), indent=1, sort_keys=True))' > src/gonogo/contract/openapi.json"
    )
