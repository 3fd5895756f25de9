"""One module per outside system. `SOURCES` registers the webhook senders by name."""

from __future__ import annotations

from hub.sources import SourceAdapter

from . import github, kapacitor, sentry, travis

SOURCES: dict[str, SourceAdapter] = {
    adapter.name: adapter
    for adapter in (github.ADAPTER, travis.ADAPTER, kapacitor.ADAPTER, sentry.ADAPTER)
}
