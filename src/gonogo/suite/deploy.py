"""What the deployment suite (tests/deploy) uses: the drills, the trigger definitions, the timeline picture."""

from gonogo.deploy import definitions, drill, rollback_drill
from gonogo.deploy.actions import ActionFailed
from gonogo.deploy.drill import DrillFailed
from gonogo.reporting import timeline_svg
from gonogo.target.client import ssl_context

__all__ = ["ActionFailed", "DrillFailed", "definitions", "drill", "rollback_drill", "ssl_context", "timeline_svg"]
