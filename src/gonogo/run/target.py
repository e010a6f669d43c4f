"""What a run tests, chosen by configuration: a remote deployment (staging, production: its URL, CA and accounts as
environments.yaml states them) or the local box gonogo boots (``embedded_stack: true``), which resolves them from the
box it runs. A new kind of target is one class here and one entry in ``KINDS`` (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr

from gonogo.config.environments import Environment

if TYPE_CHECKING:
    from gonogo.stack.box import Box, BoxInfo


BOX_CA_HINT = (
    " (the local box writes it when it boots; with --base-url no box boots, so give the target's own CA in ca_bundle)"
)


class Target(Protocol):
    def start(self, environment: Environment, say: Callable[[str], None]) -> tuple[Environment, Any]:
        """The environment pointed at the target, up and answering; and this host's calibration of the load
        profile where the target has one (gonogo.local.capacity), else None."""
        ...

    def stop(self) -> None: ...

    def monitoring(self, environment: Environment) -> tuple[Environment, str | None, str]:
        """(the environment, the Prometheus that watches the target, why there is none)."""
        ...

    def described(self) -> dict[str, Any]:
        """What was tested, for the gate report's ``target``."""
        ...

    def ca_hint(self, environment: Environment) -> str:
        """Where the CA bundle of ``environment`` that a run did not find comes from."""
        ...


@dataclass
class Remote:
    def start(self, environment: Environment, say: Callable[[str], None]) -> tuple[Environment, Any]:
        return environment, None

    def stop(self) -> None:
        return None

    def monitoring(self, environment: Environment) -> tuple[Environment, str | None, str]:
        if not environment.prometheus_url:
            return environment, None, f"environment '{environment.name}' names no prometheus_url"
        return environment, environment.prometheus_url, ""

    def described(self) -> dict[str, Any]:
        return {"embedded_box": False, "faults": []}

    def ca_hint(self, environment: Environment) -> str:
        # a local environment pointed elsewhere (--base-url) still names the box's CA file, which no box wrote
        return BOX_CA_HINT if environment.embedded_stack else ""


@dataclass
class LocalBox:
    """The box at ``root`` (booted for the run and stopped after it, or the one `gonogo stack up` left running);
    ``calibrate``: measure this host's pace for the load profile first (the load suite runs), with the load gates'
    latency ``limits`` and the capacity ramp's ``factor``."""

    root: Path
    faults: str | None = None
    calibrate: bool = False
    limits: dict[str, float] = field(default_factory=dict)
    factor: float = 1.0
    box: Box | None = None  # the box this run booted (and must stop)
    info: BoxInfo | None = None

    def start(self, environment: Environment, say: Callable[[str], None]) -> tuple[Environment, Any]:
        from gonogo.local.boot import calibration_for, start_or_reuse

        calibration = None
        if self.calibrate:
            calibration = calibration_for(self.root, environment, self.faults, self.limits, say, self.factor)
        self.info, self.box = start_or_reuse(self.root, environment, self.faults, say)
        return on_box(environment, self.info), calibration

    def stop(self) -> None:
        if self.box is not None:
            self.box.down()
            self.box = None

    def monitoring(self, environment: Environment) -> tuple[Environment, str | None, str]:
        from gonogo.stack.box import Box

        running = Box(self.root).running()
        if running is None or not running.prometheus_url:
            return (
                environment,
                None,
                "the local box is not running with a Prometheus beside it: start it with `gonogo stack up` "
                "(with Debian's prometheus installed: scripts/setup.sh)",
            )
        return on_box(environment, running), environment.prometheus_url or running.prometheus_url, ""

    def described(self) -> dict[str, Any]:
        return {"embedded_box": True, "faults": list(self.info.faults) if self.info else []}

    def ca_hint(self, environment: Environment) -> str:
        return BOX_CA_HINT


#: The kinds of target, first that applies: (whether it tests this environment, how it is made).
KINDS: list[tuple[Callable[[Environment, bool], bool], Callable[..., Target]]] = [
    (lambda environment, overridden: environment.embedded_stack and not overridden, LocalBox),
    (lambda environment, overridden: True, lambda root, **box: Remote()),
]


def target_for(environment: Environment, root: Path, *, base_url_overridden: bool = False, **box: Any) -> Target:
    """The local box for an environment that embeds it (unless the command line points the run elsewhere), else
    the remote deployment the environment names. ``box``: LocalBox's settings."""
    return next(make for tests, make in KINDS if tests(environment, base_url_overridden))(root, **box)


def on_box(environment: Environment, info: BoxInfo) -> Environment:
    """The environment pointed at a running local box (its URL, CA, accounts, database, lock file, the host's
    exporter and cores as a deployment states its limits)."""
    server = environment.server_metrics
    if info.node_exporter_url:  # the box states its host's exporter and cores, as a deployment states its limits
        limits = server.limits.model_copy(update={"cpu_cores": server.limits.cpu_cores or info.cpu_cores or None})
        server = server.model_copy(update={"node_exporters": [info.node_exporter_url], "limits": limits})
    if info.instances:
        server = server.model_copy(update={"instances": list(info.instances)})
    return environment.model_copy(
        update={
            "server_metrics": server,
            "base_url": info.url,
            "mongo_url": SecretStr(info.mongo_url),
            "ca_bundle": info.ca_bundle,
            "accounts_file": info.accounts_file,
            "dependency_files": [info.dependency_file],
            "database": info.database,
            "redis_url": SecretStr(info.redis_url),
            **(
                {
                    "s3": environment.s3.model_copy(
                        update={"endpoint_url": info.s3_endpoint, "bucket": info.s3_bucket, "region": "us-east-1"}
                    ),
                    "aws": environment.aws.model_copy(update={"credentials_file": info.aws_credentials_file}),
                }
                if info.s3_endpoint
                else {}
            ),
            **(
                {"jwt_signing_key": SecretStr(Path(info.jwt_key_file).read_text().strip())} if info.jwt_key_file else {}
            ),
        }
    )


def monitored(environment: Environment, root: Path) -> tuple[Environment, str | None, str]:
    """(the environment, the Prometheus that watches its target, why there is none): what ``gonogo watch``,
    ``trend`` and ``evaluate`` of a figures file read."""
    return target_for(environment, root).monitoring(environment)
