"""The composition root: the only place that knows which profile and which adapters run."""

from __future__ import annotations

from adapters import SOURCES
from adapters.slack import ConsoleNotifier, SlackNotifier, render
from hub.amqp import AmqpBroker
from hub.broker import Broker
from hub.errors import ConfigError
from hub.notify import Notifier
from hub.service import Parts
from hub.settings import Settings


def make_broker(settings: Settings) -> Broker:
    """RabbitMQ when HUB_BROKER_URL is set."""
    if not settings.broker_url:
        raise ConfigError("HUB_BROKER_URL: not set (e.g. amqp://guest:guest@127.0.0.1:5672/)")
    return AmqpBroker(
        settings.broker_url,
        prefix=settings.amqp_prefix,
        shards=settings.delivery_shards,
        retention=settings.event_retention,
    )


def make_notifier(settings: Settings) -> Notifier:
    """Slack when SLACK_BOT_TOKEN is set, else console mode (JSON lines on stdout)."""
    if settings.slack_bot_token:
        return SlackNotifier(settings.slack_bot_token, settings.slack_base_url)
    return ConsoleNotifier()


def make_parts(settings: Settings) -> Parts:
    """Everything a stage needs, for this configuration."""
    return Parts(
        settings=settings,
        broker=make_broker(settings),
        sources=SOURCES,
        notifier=make_notifier(settings),
        render=render,
    )
