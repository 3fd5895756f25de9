"""`SOURCES`: the webhook senders hub serves, by name. Adding one is one line here."""

from __future__ import annotations

from adapters import alertmanager, ansible, grafana, kapacitor, travis
from adapters.github import adapter as github
from adapters.sentry import adapter as sentry
from hub.core.sources import SourceAdapter

SOURCES: dict[str, SourceAdapter] = {
    adapter.name: adapter
    for adapter in (
        github.ADAPTER,
        travis.ADAPTER,
        kapacitor.ADAPTER,
        sentry.ADAPTER,
        ansible.ADAPTER,
        alertmanager.ADAPTER,
        grafana.ADAPTER,
    )
}
