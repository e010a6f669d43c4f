"""The default contract (API-CONTRACT.md) as OpenAPI, for targets that serve none."""
