"""Smoke suite: health, critical journeys per role, contract conformance (SMOKE, K1, K2)."""
