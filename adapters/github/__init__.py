"""GitHub webhooks: verification and normalization of every event kind."""
