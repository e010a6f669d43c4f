# Root conftest: the gate plugin itself is registered through the pytest11
# entry point (src/gonogo/pytest_plugin.py); shared suite fixtures go here.
