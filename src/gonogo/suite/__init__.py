"""The suites' face: what tests/ may import from gonogo, one module per suite (``gonogo.suite.smoke`` ...).

The engine behind it may move; a suite that imports only from here does not notice. An import-linter contract in
pyproject.toml keeps tests/ to this package. Fixtures (``gonogo_env``, ``checks``, ``account``...) come from the
plugin, not from here.
"""
