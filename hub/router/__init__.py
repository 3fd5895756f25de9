"""The router stage: silences and routes.yaml, one delivery per channel."""
