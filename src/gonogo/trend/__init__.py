"""`gonogo trend`: the same gates over time, from saved gate reports (the plan's 7-day trend and weekly report)."""
