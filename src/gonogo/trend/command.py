"""`gonogo trend REPORT.json... [--html PATH] [--markdown PATH] [--report weekly --env E --mail-to A,B]`."""

from __future__ import annotations

import argparse
import glob
import json
import os
import time
from pathlib import Path

import httpx

from gonogo.alerting.channels import ChannelError
from gonogo.alerting.configured import email
from gonogo.config.environments import SERVER_SIDE, Environments
from gonogo.config.errors import ConfigError, duration_option
from gonogo.config.gates import GateSet
from gonogo.config.settings.base import mail_address
from gonogo.core import redaction
from gonogo.core.exit_codes import EXIT_UNDECIDED
from gonogo.core.redaction import redact
from gonogo.reporting import json_report
from gonogo.reporting.terminal import say
from gonogo.run.target import monitored
from gonogo.trend import history, page, period


def _period(args: argparse.Namespace) -> period.PeriodTrend | None:
    """The figures over --period from --env's Prometheus; None without --period."""
    if not args.period:
        return None
    if not args.env:
        raise ConfigError("--period", "needs --env: the environment whose Prometheus holds the period")
    length = duration_option(args.period, "--period")
    environments = Environments.from_path(args.environments)
    environment, url, none = monitored(environments.get(args.env, only=SERVER_SIDE), Path(args.root).resolve())
    if url is None:
        raise ConfigError("--period", f"no Prometheus to read the period from: {none}")
    gates = GateSet.from_path(args.gates, environments.names).for_environment(args.env)
    end = time.time()
    with httpx.Client(base_url=url, timeout=60, trust_env=False) as client:
        return period.read(client, environment, gates, end - length, end)


def _outputs(args: argparse.Namespace) -> list[Path]:
    """Every file the trend writes, checked before anything is read or asked (not after the work is done)."""
    paths = [Path(p) for p in (args.html, args.markdown, args.json) if p]
    for path in paths:
        try:
            json_report.check_writable(path)
        except json_report.ReportError as exc:
            raise ConfigError("trend", str(exc)) from None
    return paths


def _recipients(args: argparse.Namespace) -> list[str]:
    """--mail-to's addresses, and the environment's mail settings to send with, checked before the work."""
    if not args.mail_to:
        return []
    if not args.env:
        raise ConfigError("--mail-to", "needs --env: the environment whose monitoring.alerts.email sends it")
    try:
        recipients = [mail_address(a) for a in args.mail_to.split(",") if a.strip()]
    except ValueError as exc:
        raise ConfigError("--mail-to", str(exc)) from None
    if not recipients:
        raise ConfigError("--mail-to", "names no address (e.g. --mail-to oncall@example.com,team@example.com)")
    if email(Environments.from_path(args.environments).get(args.env, only=SERVER_SIDE)) is None:
        raise ConfigError("--mail-to", f"environment '{args.env}' has no monitoring.alerts.email to send it with")
    return recipients


def run(args: argparse.Namespace) -> int:
    if not args.reports and not args.period:
        raise ConfigError("trend", "nothing to show: name gate reports (reports/*.json), or --env E --period 7d")
    if args.period:
        duration_option(args.period, "--period", least=60)
    outputs, recipients = _outputs(args), _recipients(args)
    for path in outputs:  # the last trend's page is not this one's: marked until this one is written
        _write(path, "gonogo trend did not finish: nothing is shown here yet\n")
    paths = sorted({Path(p) for pattern in args.reports for p in (glob.glob(pattern) or [pattern])})
    found = history.load(paths)
    for problem in found.problems:
        say(f"gonogo trend: not read: {problem}")
    span = _period(args)
    if span is not None:
        for line in span.lines:
            if line.problem:
                say(f"gonogo trend: {line.figure.name}: no data: {line.problem}")
    if not found.runs and (span is None or not span.answered()):
        say("gonogo trend: no gate report could be read and Prometheus answered no figure: nothing to show")
        return EXIT_UNDECIDED
    what = [f"{len(found.runs)} runs"] if found.runs else []
    what += [f"the last {args.period} of {args.env}"] if span is not None else []
    title = f"gonogo {args.report or 'trend'}: {', '.join(what)}"
    html_path = Path(args.html)
    text = redact(page.html(found, title, html_path, span))
    summary = redact(page.markdown(found, title, span))
    _write(html_path, text)
    if args.markdown:
        _write(Path(args.markdown), summary)
    if args.json:
        _write(Path(args.json), _as_json(found, span))
    say(summary, end="")
    say(f"gonogo trend: {html_path}")
    if recipients:
        mail = email(Environments.from_path(args.environments).get(args.env, only=SERVER_SIDE))
        assert mail is not None  # checked by _recipients
        try:
            mail.send_report(title, summary, text, recipients)
        except ChannelError as exc:
            say(f"gonogo trend: the report was written but not sent: {exc}")
            return EXIT_UNDECIDED
        say(f"gonogo trend: mailed to {', '.join(recipients)}")
    return 0


def _as_json(found: history.History, span: period.PeriodTrend | None) -> str:
    """The runs, what moved and the period's figures, as the --json file holds them."""
    runs = [{"at": r.at.isoformat(), "verdict": r.verdict, "report": str(r.path)} for r in found.runs]
    rows = (
        None
        if span is None
        else {"environment": span.environment, "start": span.start, "end": span.end, "rows": span.rows()}
    )
    movements = [m.__dict__ for m in found.movements()]
    return json.dumps(redaction.tree({"runs": runs, "movements": movements, "period": rows}), indent=1)


def _write(path: Path, text: str) -> None:
    """Atomically: a reader never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
