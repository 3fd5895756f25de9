"""The ops port: metrics, health, readiness and the live event page."""
