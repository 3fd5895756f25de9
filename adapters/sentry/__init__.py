"""Sentry integration-platform webhooks."""
