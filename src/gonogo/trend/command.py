"""`gonogo trend REPORT.json... [--html PATH] [--markdown PATH] [--report weekly --env E --mail-to A,B]`."""

from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path

from gonogo.alerting.channels import ChannelError
from gonogo.alerting.configured import email
from gonogo.config.environments import Environments
from gonogo.config.errors import ConfigError
from gonogo.core.exit_codes import EXIT_UNDECIDED
from gonogo.trend import history, page


def run(args: argparse.Namespace) -> int:
    paths = sorted({Path(p) for pattern in args.reports for p in (glob.glob(pattern) or [pattern])})
    found = history.load(paths)
    for problem in found.problems:
        print(f"gonogo trend: not read: {problem}")
    if not found.runs:
        print("gonogo trend: no gate report could be read: nothing to show")
        return EXIT_UNDECIDED
    title = f"gonogo {args.report or 'trend'}: {len(found.runs)} runs"
    html_path = Path(args.html)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    text = page.html(found, title, html_path)
    html_path.write_text(text, encoding="utf-8")
    summary = page.markdown(found, title)
    if args.markdown:
        Path(args.markdown).write_text(summary, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "runs": [{"at": r.at.isoformat(), "verdict": r.verdict, "report": str(r.path)} for r in found.runs],
                    "movements": [m.__dict__ for m in found.movements()],
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
