# Root conftest: the gate plugin itself is registered through the pytest11 entry point (gonogo.plugin.entry,
# pyproject.toml); each suite's fixtures are in its own conftest under tests/.
