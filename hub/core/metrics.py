"""Prometheus metric families: bounded labels only, never ids or free text."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

WEBHOOKS_RECEIVED = Counter(
    "hub_webhooks_received_total",
    "Webhook requests by source and outcome.",
    ["source", "outcome"],
)
WEBHOOK_DURATION = Histogram(
    "hub_webhook_request_duration_seconds",
    "Time from request start to response, per source.",
    ["source"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "hub_events_published_total", "Events durably stored on the broker.", ["source"]
)
EVENTS_DUPLICATE = Counter(
    "hub_events_duplicate_total", "Deliveries seen before and not routed again.", ["source"]
)
EVENTS_ROUTED = Counter("hub_events_routed_total", "Events matched per route.", ["route"])
EVENTS_UNROUTED = Counter("hub_events_unrouted_total", "Events no route matched.", ["source"])
EVENTS_SILENCED = Counter("hub_events_silenced_total", "Events dropped by a silence.", ["source"])
EVENTS_SUPPRESSED = Counter(
    "hub_events_suppressed_total",
    "Events (silence) or event-channel deliveries (dedup_window) not posted on purpose.",
    ["reason"],
)
DELIVERIES = Counter("hub_deliveries_total", "Slack deliveries by outcome.", ["outcome"])
DELIVERY_ATTEMPTS = Counter("hub_delivery_attempts_total", "Slack API calls attempted.")
SLACK_RATE_LIMITED = Counter("hub_slack_rate_limited_total", "Slack 429 answers.")
DELIVERY_LATENCY = Histogram(
    "hub_delivery_latency_seconds",
    "From webhook accepted to Slack ok.",
    buckets=(0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)
DEAD_LETTERS = Counter("hub_dead_letters_total", "Deliveries dead-lettered.", ["reason"])
ACTIONS = Counter(
    "hub_actions_total", "Actions pressed or run from Slack, by outcome.", ["action", "outcome"]
)
ACTIONS_RELOAD = Counter("hub_actions_reload_total", "actions.yaml reloads.", ["outcome"])
# With ingest workers (hub/receiver/workers.py) each process writes its own values: spools add up,
# lags take the largest. A single process ignores the mode.
SPOOL_DEPTH = Gauge(
    "hub_spool_depth",
    "Events waiting in the receiver's local spool.",
    multiprocess_mode="livesum",
)
QUEUE_LAG = Gauge(
    "hub_queue_lag_seconds",
    "Age of the message being handled, per queue.",
    ["queue"],
    multiprocess_mode="livemax",
)
THREAD_EDITS_WAITING = Gauge(
    "hub_thread_edits_waiting",
    "Thread parents waiting for their paced chat.update.",
    multiprocess_mode="livesum",
)
ROUTES_RELOAD = Counter("hub_routes_reload_total", "routes.yaml reloads.", ["outcome"])
ENGINE_WAITING = Gauge(
    "hub_engine_waiting",
    "1 while this process's stages wait for an unavailable engine (broker, state, disk).",
    ["engine"],
    multiprocess_mode="livemax",
)
SOURCES_RELOAD = Counter("hub_sources_reload_total", "sources.yaml reloads.", ["outcome"])
