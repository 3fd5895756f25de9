"""One package or module per outside system: the senders hub hears, and Slack."""
