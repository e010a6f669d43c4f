"""Dependency scans for K4/S7: a target's lock file against snyk, pip-audit or an offline OSV snapshot."""
