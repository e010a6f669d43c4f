"""`gonogo trend REPORT.json... [--html PATH] [--markdown PATH] [--report weekly --env E --mail-to A,B]`."""

from __future__ import annotations

import argparse
import glob
import json
import time
from pathlib import Path

import httpx

from gonogo.alerting.channels import ChannelError
from gonogo.alerting.configured import email
from gonogo.config.environments import Environments
from gonogo.config.errors import ConfigError, duration_option
from gonogo.config.gates import GateSet
from gonogo.core.exit_codes import EXIT_UNDECIDED
from gonogo.run_state import monitored
from gonogo.trend import history, page, period


def _period(args: argparse.Namespace) -> period.PeriodTrend | None:
    """The figures over --period from --env's Prometheus; None without --period."""
    if not args.period:
        return None
    if not args.env:
        raise ConfigError("--period", "needs --env: the environment whose Prometheus holds the period")
    length = duration_option(args.period, "--period")
    environments = Environments.from_path(args.environments)
    environment, url, none = monitored(environments.get(args.env), Path(args.root).resolve())
    if url is None:
        raise ConfigError("--period", f"no Prometheus to read the period from: {none}")
    gates = GateSet.from_path(args.gates, environments.names).for_environment(args.env)
    end = time.time()
    with httpx.Client(base_url=url, timeout=60, trust_env=False) as client:
        return period.read(client, environment, gates, end - length, end)


def run(args: argparse.Namespace) -> int:
    if not args.reports and not args.period:
        raise ConfigError("trend", "nothing to show: name gate reports (reports/*.json), or --env E --period 7d")
    paths = sorted({Path(p) for pattern in args.reports for p in (glob.glob(pattern) or [pattern])})
    found = history.load(paths)
    for problem in found.problems:
        print(f"gonogo trend: not read: {problem}")
    span = _period(args)
    if span is not None:
        for line in span.lines:
            if line.problem:
                print(f"gonogo trend: {line.figure.name}: no data: {line.problem}")
    if not found.runs and (span is None or not span.answered()):
        print("gonogo trend: no gate report could be read and Prometheus answered no figure: nothing to show")
        return EXIT_UNDECIDED
    what = [f"{len(found.runs)} runs"] if found.runs else []
    what += [f"the last {args.period} of {args.env}"] if span is not None else []
    title = f"gonogo {args.report or 'trend'}: {', '.join(what)}"
    html_path = Path(args.html)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    text = page.html(found, title, html_path, span)
    html_path.write_text(text, encoding="utf-8")
    summary = page.markdown(found, title, span)
    if args.markdown:
        Path(args.markdown).write_text(summary, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "runs": [{"at": r.at.isoformat(), "verdict": r.verdict, "report": str(r.path)} for r in found.runs],
                    "movements": [m.__dict__ for m in found.movements()],
                    "period": None
                    if span is None
                    else {"environment": span.environment, "start": span.start, "end": span.end, "rows": span.rows()},
                },
                indent=1,
            )
        )
    print(summary, end="")
    print(f"gonogo trend: {html_path}")
    if args.mail_to:
        if not args.env:
            raise ConfigError("--mail-to", "needs --env: the environment whose monitoring.alerts.email sends it")
        environment = Environments.from_path(args.environments).get(args.env)
        mail = email(environment)
        if mail is None:
            raise ConfigError("--mail-to", f"environment '{args.env}' has no monitoring.alerts.email to send it with")
        try:
            mail.send_report(title, summary, text, [a.strip() for a in args.mail_to.split(",") if a.strip()])
        except ChannelError as exc:
            print(f"gonogo trend: the report was written but not sent: {exc}")
            return EXIT_UNDECIDED
        print(f"gonogo trend: mailed to {args.mail_to}")
    return 0
