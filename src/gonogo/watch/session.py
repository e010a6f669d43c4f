"""A watch from start to end: live triggers every ``evaluate_every``, a gate report at each checkpoint, alerts, the
environment's rollback when a trigger fires (only where it allows it), a state file to resume from after a restart.

Exit codes are the gate's: the last checkpoint's verdict (0 Go, 1 No-Go); 2 when stopped (Ctrl-C, SIGTERM) with
the checkpoints so far written; 5 when no checkpoint was reached (nothing decided).
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import httpx

from gonogo.alerting.alerter import Alerter
from gonogo.alerting.channels import Alert
from gonogo.config.environments import Environment
from gonogo.config.gates import Gate
from gonogo.core.exit_codes import EXIT_INTERRUPTED, EXIT_UNDECIDED
from gonogo.core.redaction import redact
from gonogo.deploy.triggers import PLAN_TRIGGERS, compressed
from gonogo.gates.verdict import Verdict
from gonogo.reporting import console, terminal
from gonogo.run import sinks
from gonogo.run.record import About
from gonogo.server_metrics.promql import highest, queries
from gonogo.watch import checkpoint
from gonogo.watch.live import PrometheusReader, TriggerState
from gonogo.watch.state import STATE_FILE, Plan, State

ALLURE_RESULTS = "allure-results"  # every checkpoint's gates, for scripts/allure-report.sh


@dataclass
class Event:
    """A trigger that fired, and what was done."""

    trigger: str
    began_at: float
    fired_at: float
    value: float | None
    action: str  # "rollback: <what the action said>", "rollback failed: ...", "alert only: <why>"


class Watch:
    def __init__(
        self,
        environment: Environment,
        gates: list[Gate],
        prometheus: httpx.Client,
        alerter: Alerter,
        plan: Plan,
        out: Path,
        *,
        rollback: Callable[[], str] | None,
        rollback_refused: str = "",
        say: Callable[[str], None] = terminal.say,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        gates_file: str = "gates.yaml",
    ) -> None:
        self.environment, self.gates, self.prometheus, self.alerter = environment, gates, prometheus, alerter
        self.plan, self.out, self.say, self.clock, self.sleep = plan, out, say, clock, sleep
        self.rollback, self.rollback_refused, self.gates_file = rollback, rollback_refused, gates_file
        self.compression = environment.deploy.trigger_compression
        self.triggers = [TriggerState(t) for t in compressed(PLAN_TRIGGERS, self.compression)]
        # rate() over 4 of the deployment's scrapes (the plan's 1 min at 15 s), and at least two of Prometheus's
        # readings (its step): a window much longer than a compressed trigger's would stretch a short burst past it
        window = max(4 * environment.deploy.scrape_interval, 2 * environment.prometheus.step)
        self.queries = queries(
            environment.prometheus.labels, environment.prometheus.node_labels, window, environment.server_metrics
        )
        self.reader = PrometheusReader(prometheus)
        self.unread = [s.trigger.name for s in self.triggers if self.queries[s.trigger.series] is None]
        self.state_file = out / STATE_FILE

    def run(self) -> int:
        state = State.resume(self.state_file, self.environment.name, self.clock(), self.plan, self.say)
        if state.done:
            self.say(
                f"gonogo watch: resuming the watch begun {time.ctime(state.started_at)} "
                f"({len(state.done)} checkpoint(s) written)"
            )
        end = state.started_at + self.plan.duration_s
        if self.unread:
            self.say(
                f"gonogo watch: not judged here (server_metrics names no way to read them): {', '.join(self.unread)}"
            )
        try:
            while True:
                now = self.clock()
                self._evaluate(now, state)
                self._checkpoints(now, state)
                state.save(self.state_file)
                if now >= end or len(state.done) == len(self.plan.checkpoints):
                    break
                self.sleep(max(0.0, min(self.plan.every_s, end - self.clock())))
        except KeyboardInterrupt:
            self.alerter.flush(force=True)
            state.save(self.state_file)
            self.say(
                f"gonogo watch: stopped with {len(state.done)} of {len(self.plan.checkpoints)} checkpoint(s) "
                f"written; run it again to resume [exit {EXIT_INTERRUPTED}]"
            )
            return EXIT_INTERRUPTED
        self.alerter.flush(force=True)  # the watch ends: nothing held back by the rate limit is lost
        state.finished = True
        state.save(self.state_file)
        if not state.verdicts:
            self.say("gonogo watch: no checkpoint was reached: nothing was decided")
            return EXIT_UNDECIDED
        last = self.plan.checkpoints[-1][0]
        return state.verdicts.get(last, max(state.verdicts.values()))

    # -- live triggers ---------------------------------------------------------------------------------------------
    def _evaluate(self, now: float, state: State) -> None:
        answered = 0
        for trigger in self.triggers:
            promql = self.queries[trigger.trigger.series]
            tally = state.judged.setdefault(trigger.trigger.name, [0, 0])
            if promql is None:  # not readable as configured (e.g. process CPU without stated cores): never judged
                continue
            value = self.reader.value(promql, now, high=highest(trigger.trigger.series))
            answered += value is not None
            tally[0] += 1
            tally[1] += value is not None
            fired = trigger.add(now, value)
            if fired is not None:
                self._fired(trigger, state)
            elif trigger.fired_at is None:
                self.alerter.clear(f"trigger {trigger.trigger.name}", f"{trigger.trigger.name} no longer holds")
        if answered == 0:
            self.alerter.raise_alert(
                Alert(
                    "no data",
                    "warning",
                    "no data: Prometheus answers none of the rollback "
                    "triggers' series; nothing is judged and nothing is rolled back",
                    self.reader.last_error,
                    self.environment.name,
                )
            )
        else:
            self.alerter.clear("no data", "Prometheus answers again")
        self.alerter.flush()  # what the rate limit held, once its interval has passed

    def _fired(self, trigger: TriggerState, state: State) -> None:
        t = trigger.trigger
        began = trigger.began_at if trigger.began_at is not None else self.clock()
        fired = trigger.fired_at if trigger.fired_at is not None else self.clock()
        what = t.describe + (f" (windows divided by {self.compression:g})" if self.compression != 1 else "")
        if self.rollback is None:
            action = f"alert only: {self.rollback_refused}"
        else:
            try:
                action = f"rollback: {self.rollback()}"
            except Exception as exc:  # an action that fails is reported, and the alert still goes
                action = f"rollback failed: {exc}"
        action = redact(action)  # a command quoted as written: its ${VAR}s never resolved
        value = trigger.last if trigger.last is None or math.isfinite(trigger.last) else None  # +Inf: past any bucket
        event = Event(t.name, began, fired, value, action)
        state.events.append(asdict(event))
        self.say(f"gonogo watch: {t.name} fired ({what}; since {began - state.started_at:+.0f} s): {action}")
        self.alerter.raise_alert(
            Alert(
                f"trigger {t.name}",
                "critical",
                f"rollback trigger {t.name} fired: {what}",
                action,
                self.environment.name,
            )
        )

    # -- checkpoints -----------------------------------------------------------------------------------------------
    def _checkpoints(self, now: float, state: State) -> None:
        for name, offset in self.plan.checkpoints:
            if name in state.done or now < state.started_at + offset:
                continue
            point = checkpoint.measure(
                name,
                self.environment,
                self.gates,
                self.prometheus,
                state.started_at,
                state.started_at + offset,
                (state.judged, state.events),
            )
            path = self.out / f"checkpoint-{name}.json"
            record = replace(point.record, about=self._about(name, point, state))
            outputs = sinks.files(
                gate_report=path,
                junit=self.out / f"checkpoint-{name}.xml",
                alluredir=self.out / ALLURE_RESULTS,
                tree=(f"gonogo watch ({self.environment.name})", f"checkpoint {name}"),
            )
            for problem in sinks.write_all(record, outputs):
                self.say(f"gonogo watch: {problem}")
            state.done[name], state.verdicts[name] = str(path), point.verdict.exit_code
            self.say(f"gonogo watch: checkpoint {name} ({offset:g} s after the start)")
            self.say(console.render(point.verdict, shutil.get_terminal_size().columns).rstrip())
            for row in point.error_patterns[:10]:
                self.say(f"  errors {row['route']} {row['status']}: {row['count']} (window before: {row['before']})")
            self.say(f"gonogo watch: checkpoint {name}: {_headline(point.verdict)} -> {path}")
            if not point.verdict.go:
                self.alerter.raise_alert(
                    Alert(
                        f"checkpoint {name}",
                        "warning",
                        f"checkpoint {name}: {_headline(point.verdict)}",
                        "\n".join(point.verdict.reasons[:10]),
                        self.environment.name,
                    )
                )

    def _about(self, name: str, point: checkpoint.Checkpoint, state: State) -> About:
        """What a checkpoint's record is of: the watch, its window, and what the watch saw meanwhile."""
        extra = {
            "watch": {
                "checkpoint": name,
                "window": [point.start, point.end],
                "compression": self.compression,
                "compressed": (
                    f"the rollback triggers' windows are divided by {self.compression:g} here"
                    if self.compression != 1
                    else None
                ),
                "error_patterns": point.error_patterns,
                "triggers_fired": state.events,
                "prometheus_problems": point.problems,
                "triggers_not_read": self.unread,
                "alerts": [asdict(d) for d in self.alerter.log],
            }
        }
        return About(
            self.environment.name,
            self.environment.display_url,
            self.gates_file,
            run_id=f"watch-{self.environment.name}-{state.started_at:.0f}",
            started=point.start,
            finished=point.end,
            title=f"gonogo watch {name}",
            history=f"watch.{name}",
            extra=extra,
        )


def _headline(verdict: Verdict) -> str:
    """The verdict of a checkpoint: over the server-side gates only (a watch runs no suite)."""
    tally = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in verdict.counts().items() if n)
    word = "GO" if verdict.go else "NO-GO" if verdict.decided else "UNDECIDED"
    return f"{word} — server-side gates: {tally or 'none'} [exit {verdict.exit_code}]"
