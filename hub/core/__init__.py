"""The shapes every layer shares: the event, stage messages, errors, settings, logs, metrics,
and the interfaces the stages work through (broker, state store, notifier, sources)."""
