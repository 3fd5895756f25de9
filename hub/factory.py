"""The composition root: the only place that knows which profile and which adapters run."""

from __future__ import annotations

from adapters import SOURCES, slack_render
from adapters.slack import ConsoleNotifier, SlackNotifier
from hub.amqp import AmqpBroker
from hub.broker import Broker
from hub.notify import Notifier
from hub.redis_state import RedisState
from hub.service import Parts
from hub.settings import Settings
from hub.spool import SpooledBroker
from hub.sqlite_broker import SqliteBroker
from hub.sqlite_state import SqliteState
from hub.sqlitedb import open_data_dir
from hub.state import StateStore


def make_broker(settings: Settings) -> Broker:
    """RabbitMQ when HUB_BROKER_URL is set, else the embedded SQLite queue in HUB_DATA_DIR."""
    if not settings.broker_url:
        return SqliteBroker(
            open_data_dir(settings.data_dir), visibility=settings.queue_visibility.total_seconds()
        )
    amqp = AmqpBroker(
        settings.broker_url,
        prefix=settings.amqp_prefix,
        shards=settings.delivery_shards,
        retention=settings.event_retention,
    )
    return SpooledBroker(amqp, open_data_dir(settings.data_dir), settings.spool_max_bytes)


def make_state(settings: Settings) -> StateStore:
    """Redis when HUB_STATE_URL is set, else SQLite in HUB_DATA_DIR."""
    if settings.state_url:
        return RedisState(settings.state_url, prefix=settings.amqp_prefix)
    return SqliteState(open_data_dir(settings.data_dir))


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
        state=make_state(settings),
        sources=SOURCES,
        notifier=make_notifier(settings),
        render=slack_render,
    )
