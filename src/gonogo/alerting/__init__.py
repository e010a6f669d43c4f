"""Alerts after the switch (the plan's monitoring): Slack (or any JSON webhook), e-mail, PagerDuty."""
