"""The Slack messages docs/slack-messages.md shows, drawn by the live page's renderer.

`gallery()` renders each bundled sample at a fixed time the way the deliverer would: the
message, a thread reply, and a digest. `page_html()` lays them out with hub/ops/web/slack.js
and slack.css; scripts/slack_screenshots.py photographs that page into docs/img/slack/, and
records `digest()` beside the pictures. tests/test_docs.py recomputes the digest, so a
change to the renderers, the views or the samples fails until the pictures are made again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from multidict import CIMultiDict

from adapters.registry import SOURCES
from adapters.slack.render import render, render_digest, render_reply
from hub.cli.samples import fresh_body
from hub.core.event import Event
from hub.core.sources import WebhookRequest

AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
"""When the gallery's events happen (fixed, so that the pictures only change with the code)."""

SHOWN = (
    ("github", "pull_request", "#pull-requests"),
    ("github", "workflow_run", "#ci"),
    ("travis", "build", "#ci"),
    ("kapacitor", "alert", "#ops-alerts"),
    ("sentry", "issue", "#errors"),
    ("ansible", "playbook", "#deploys"),
)


@dataclass(frozen=True)
class Shot:
    """One picture: a message as posted to `channel`, with a note (e.g. a thread reply)."""

    name: str
    channel: str
    note: str
    message: dict[str, Any]


def _headers(source: str, kind: str) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict({"Content-Type": "application/json"})
    if source == "github":
        headers.update({"X-GitHub-Event": kind, "X-GitHub-Delivery": f"gallery-{kind}"})
    elif source == "sentry":
        headers.update({"Sentry-Hook-Resource": kind, "Request-ID": "gallery-sentry"})
    return headers


def sample_event(source: str, kind: str, at: datetime = AT) -> Event:
    """The bundled sample as an event received at `at`."""
    body = fresh_body(source, kind, now=at)
    headers = _headers(source, kind)
    if source == "travis":  # the sample is the form field's JSON; normalize reads it as JSON too
        headers["Travis-Repo-Slug"] = "svenfuchs/minimal"
    return SOURCES[source].normalize(WebhookRequest(headers=headers, body=body, received_at=at))


def gallery() -> list[Shot]:
    """Every picture of docs/slack-messages.md, in order."""
    shots: list[Shot] = []
    events: list[Event] = []
    for source, kind, channel in SHOWN:
        event = sample_event(source, kind)
        events.append(event)
        routes = ["gallery"]
        mention = ["<!here>"] if source == "kapacitor" else []
        message = render(event, routes, mention, interactive=True)
        shots.append(Shot(f"{source}-{kind}", channel, "message", message))
    later = sample_event("kapacitor", "alert", AT + timedelta(minutes=7))
    reply = render_reply(later, ["gallery"])
    shots.append(Shot("kapacitor-reply", "#ops-alerts", "reply in the alert's thread", reply))
    digest = render_digest(events, ["gallery"], reason="burst")
    shots.append(Shot("digest", "#firehose", "digest of a burst", digest))
    return shots


def _asset(name: str) -> str:
    return resources.files("hub.ops").joinpath("web", name).read_text(encoding="utf-8")


def page_html(shots: list[Shot]) -> str:
    """A page drawing each shot in `<div class="shot" id="<name>">`, with the live page's code."""
    data = json.dumps([vars(shot) for shot in shots]).replace("</", "<\\/")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><style>{_asset("slack.css")}
body {{ margin: 0; background: #fff; }} .shot {{ width: 640px; padding: 12px; }}</style>
</head><body><div id="shots"></div>
<script>{_asset("slack.js")}
for (const shot of {data}) {{
  const box = document.createElement("div");
  box.className = "shot";
  box.id = shot.name;
  box.append(slackMessage(shot.message, {{ channel: shot.channel, note: shot.note }}));
  document.getElementById("shots").append(box);
}}
</script></body></html>
"""


def digest(shots: list[Shot]) -> str:
    """sha256 of what the pictures are drawn from: the messages, slack.js and slack.css."""
    h = hashlib.sha256()
    h.update(json.dumps([vars(s) for s in shots], sort_keys=True).encode())
    h.update(_asset("slack.js").encode())
    h.update(_asset("slack.css").encode())
    return h.hexdigest()
