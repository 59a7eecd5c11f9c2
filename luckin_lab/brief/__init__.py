"""The leadership brief: one page across every report, what changed, alerts, follow-ups."""
