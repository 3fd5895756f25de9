"""The composition root: the only place that knows which profile and which adapters run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.declared.live import DeclaredSources, SourceSet
from adapters.registry import SOURCES
from adapters.slack import render as slack_render
from adapters.slack.client import ConsoleNotifier, SlackNotifier
from hub.backends.amqp.broker import AmqpBroker
from hub.backends.amqp.history import AmqpRecordLog
from hub.backends.redis.state import RedisState
from hub.backends.sqlite.broker import SqliteBroker
from hub.backends.sqlite.db import open_data_dir
from hub.backends.sqlite.history import SqliteRecordLog
from hub.backends.sqlite.state import SqliteState
from hub.core.broker import Broker
from hub.core.health import Check
from hub.core.notify import Notifier, Renderer
from hub.core.reloading import Reloading
from hub.core.settings import Settings
from hub.core.sources import SourceAdapter
from hub.core.state import StateStore
from hub.history.entries import History, MemoryHistory
from hub.history.log import LoggedHistory, RecordLog
from hub.receiver.spool import SpooledBroker, orphan_spools, worker_spool


@dataclass
class Parts:
    """What the stages are built from; the CLI fills it from settings and the adapters."""

    settings: Settings
    broker: Broker
    state: StateStore
    sources: Mapping[str, SourceAdapter]
    notifier: Notifier
    render: Renderer
    history: History = field(default_factory=MemoryHistory)
    checks: dict[str, Check] = field(default_factory=dict)
    reload: Callable[[], bool] | None = None
    """Set while a router runs: reload routes.yaml now (what SIGHUP does)."""
    watched: tuple[Reloading[Any], ...] = ()
    """Files the receiver serves from (sources.yaml): watched while it runs, reloaded on SIGHUP."""
    reload_actions: Callable[[], bool] | None = None
    """Set while actions.yaml is in force: reload it now (what SIGHUP does)."""


def make_broker(settings: Settings) -> Broker:
    """RabbitMQ when HUB_BROKER_URL is set, else the embedded SQLite queue in HUB_DATA_DIR."""
    data_dir = open_data_dir(settings.data_dir)
    if not settings.broker_url:
        return SqliteBroker(data_dir, visibility=settings.queue_visibility.total_seconds())
    first = settings.worker_index == 0
    return SpooledBroker(
        _amqp(settings),
        data_dir,
        settings.spool_max_bytes,
        name=worker_spool(settings.worker_index),
        adopt=orphan_spools(data_dir, settings.workers) if first else (),
    )


def _amqp(settings: Settings) -> AmqpBroker:
    assert settings.broker_url is not None
    return AmqpBroker(
        settings.broker_url,
        prefix=settings.amqp_prefix,
        shards=settings.delivery_shards,
        retention=settings.event_retention,
    )


def make_state(settings: Settings) -> StateStore:
    """Redis when HUB_STATE_URL is set, else SQLite in HUB_DATA_DIR."""
    if settings.state_url:
        return RedisState(settings.state_url, prefix=settings.amqp_prefix)
    return SqliteState(open_data_dir(settings.data_dir))


def make_notifier(settings: Settings) -> Notifier:
    """Slack when SLACK_BOT_TOKEN is set, else console mode (messages printed on stdout)."""
    if settings.slack_bot_token:
        return SlackNotifier(settings.slack_bot_token, settings.slack_base_url)
    return ConsoleNotifier(text=settings.console_format == "text")


def make_cli_broker(settings: Settings) -> Broker:
    """The broker a CLI command reads: RabbitMQ itself (no spool), else the embedded queue.

    The data dir is not created: the command checks first that a hub's data is there.
    """
    if settings.broker_url:
        return _amqp(settings)
    return SqliteBroker(settings.data_dir, visibility=settings.queue_visibility.total_seconds())


def make_history_log(settings: Settings, broker: Broker) -> RecordLog:
    """The stream on RabbitMQ, else a SQLite table in HUB_DATA_DIR."""
    if isinstance(broker, SpooledBroker) and isinstance(broker.broker, AmqpBroker):
        return AmqpRecordLog(broker.broker)
    if isinstance(broker, AmqpBroker):
        return AmqpRecordLog(broker)
    return SqliteRecordLog(open_data_dir(settings.data_dir), settings.event_retention)


def make_parts(settings: Settings) -> Parts:
    """Everything a stage needs, for this configuration."""
    broker = make_broker(settings)
    declared = DeclaredSources(settings.sources, SOURCES)
    return Parts(
        settings=settings,
        broker=broker,
        history=LoggedHistory(make_history_log(settings, broker)),
        state=make_state(settings),
        sources=SourceSet(SOURCES, declared),
        notifier=make_notifier(settings),
        render=slack_render,
        watched=(declared,),
    )
