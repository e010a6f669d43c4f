"""The environment variables gonogo's processes hand each other: one name each.

The load run's own (GONOGO_LOAD_*) are ``gonogo.loadgen.settings``; the gate's settings (GONOGO_ENV...) are
``ENV_VARS``, read by the pytest plugin and the CLI alike with one precedence (``pick``).
"""

from collections.abc import Mapping

#: Precedence, lowest first: built-in defaults -> pytest.ini -> GONOGO_* environment variables -> command line.
ENV_VARS = {
    "env": "GONOGO_ENV",
    "gates": "GONOGO_GATES",
    "environments": "GONOGO_ENVIRONMENTS",
    "base_url": "GONOGO_BASE_URL",
}


def pick(cli: str | None, env_var: str, ini: str | None, default: str | None, environ: Mapping[str, str]) -> str | None:
    """One setting by the documented precedence."""
    if cli:
        return cli
    if environ.get(env_var):
        return environ[env_var]
    return ini or default


FAULTS = "GONOGO_FAULTS"  # the box's fault switches, "a,b": read by every component of the local box
CACHE_DIR = "GONOGO_CACHE_DIR"  # where the box keeps what outlives it (calibrations, the data seed)
LOCAL_MONGO_URL = "GONOGO_LOCAL_MONGO_URL"  # a MongoDB server of the user's for the box, seeded in place
REEXEC = "GONOGO_REEXEC"  # set once the gate has re-run pytest with its options joined (never loops)

# What a deploy action (a command) is told; a webhook gets the same in its JSON body.
DEPLOY_ACTION = "GONOGO_DEPLOY_ACTION"  # switch, rollback, inject, old_colour...
DEPLOY_TO = "GONOGO_DEPLOY_TO"  # the colour the action is about
DEPLOY_PREFIX = "GONOGO_DEPLOY_"  # + an extra's key in upper case
DEPLOY_FAULT = DEPLOY_PREFIX + "FAULT"  # inject: errors, slow, unhealthy; none ends it
DEPLOY_FAULT_SECONDS = DEPLOY_PREFIX + "FAULT_SECONDS"  # inject: for how long


def deploy_action_environ(
    environ: dict[str, str], action: str, to: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """``environ`` and what a deploy action's command is told: its name, its colour and any extras."""
    return {
        **environ,
        DEPLOY_ACTION: action,
        DEPLOY_TO: to,
        **{DEPLOY_PREFIX + key.upper(): value for key, value in (extra or {}).items()},
    }
