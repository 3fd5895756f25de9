"""Slack: the Web API client, request verification, and how events read in Slack."""
