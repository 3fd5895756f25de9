"""hub: webhooks from GitHub, Travis CI, Kapacitor and Sentry, routed to Slack channels."""
