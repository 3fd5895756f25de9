"""actions.yaml: what Slack may run (re-runs, dispatches, restarts, signed HTTP calls), and who."""
