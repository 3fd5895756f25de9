"""Slack slash commands and buttons that act on hub."""
