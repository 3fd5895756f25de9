"""Rendering events as Slack messages: valid Block Kit, Slack's limits, metadata, mentions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.attachments import BlockAttachment
from slack_sdk.models.blocks import Block

from adapters.slack_render import (
    COLOURS,
    MAX_BUTTON_TEXT,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    render,
    truncate,
)
from hub.event import Event, Severity

WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def make_event(**fields: Any) -> Event:
    """A GitHub pull-request event, with `fields` overriding its values."""
    values: dict[str, Any] = {
        "id": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "source": "github",
        "type": "github.pull_request.opened",
        "time": WHEN,
        "receivedat": WHEN,
        "severity": Severity.INFO,
        "state": "opened",
        "subject": "acme/api#42",
        "threadkey": "github:acme/api:pr:42",
        "title": "acme/api#42 opened: Fix the <widget> & gadget",
        "text": "*Fix the widget* by <https://github.com/octocat|octocat>\n&gt; a quote",
        "url": "https://github.com/acme/api/pull/42",
        "actor": "octocat",
        "repo": "acme/api",
        "branch": "main",
        "labels": {"draft": "false", "head_branch": "fix/widget"},
    }
    values.update(fields)
    return Event(**values)


def blocks_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The blocks inside the message's single attachment."""
    [attachment] = message["attachments"]
    blocks: list[dict[str, Any]] = attachment["blocks"]
    return blocks


def all_text(block: dict[str, Any]) -> list[str]:
    """Every text string in a block: section text, fields, context and button labels."""
    texts = [block["text"]["text"]] if "text" in block else []
    texts += [f["text"] for f in block.get("fields", [])]
    for element in block.get("elements", []):
        text = element["text"]
        texts.append(text if isinstance(text, str) else text["text"])
    return texts


MINIMAL = make_event(
    state=None, subject=None, threadkey=None, text="", url=None, actor=None, repo=None, branch=None
)
HUGE = make_event(
    severity=Severity.CRITICAL,
    title="T<&>" * 5_000,
    text="detail <https://example.com/a|link> &amp; more\n" * 5_000,
    actor="a" * 5_000,
    labels={f"label-{i}-{'k' * 300}": "v&" * 3_000 for i in range(40)},
    url="https://example.com/" + "p" * 2_900,
)


@pytest.mark.parametrize(
    "event",
    [make_event(severity=s) for s in Severity] + [MINIMAL, HUGE],
    ids=[*Severity, "minimal", "huge"],
)
def test_every_block_validates_with_slack_sdk_models(event: Event) -> None:
    """Each rendered block, and the attachment holding them, passes slack_sdk's validators."""
    message = render(event, ["backend-ci"])
    for raw in blocks_of(message):
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        assert block.to_dict() == raw
    attachment = message["attachments"][0]
    BlockAttachment(
        blocks=Block.parse_all(attachment["blocks"]), color=attachment["color"]
    ).validate_json()


def test_enormous_event_is_truncated_within_every_slack_limit() -> None:
    """Titles, text, fields and fallback over Slack's limits are cut with an ellipsis to fit."""
    message = render(HUGE, ["r"], mention=["<!here>"] * 2_000)
    blocks = blocks_of(message)
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= MAX_HEADER_TEXT
    assert blocks[1]["text"]["text"].endswith("…")
    for block in blocks:
        assert all(len(t) <= MAX_SECTION_TEXT for t in all_text(block))
        assert len(block.get("fields", [])) <= MAX_FIELDS
        assert all(len(f["text"]) <= MAX_FIELD_TEXT for f in block.get("fields", []))
    assert len(message["text"]) <= MAX_FALLBACK_TEXT
    assert message["text"].endswith("…")
    assert len(json.dumps(message)) < 40_000


def test_truncation_never_leaves_half_a_link_or_entity() -> None:
    """A cut that would fall inside `<url|text>` or `&amp;` drops that whole token instead."""
    assert truncate("see <https://example.com/long|here>", 20) == "see …"
    assert truncate("fish &amp; chips", 9) == "fish …"
    assert truncate("short", 5) == "short"


def test_title_is_escaped_once_and_text_is_kept_as_mrkdwn() -> None:
    """The plain title has &, < and > escaped; the event's mrkdwn text is not escaped again."""
    blocks = blocks_of(render(make_event(), []))
    assert "Fix the &lt;widget&gt; &amp; gadget" in blocks[0]["text"]["text"]
    assert blocks[1]["text"]["text"] == make_event().text


def test_fallback_text_shows_severity_emoji_and_title() -> None:
    """The plain `text` fallback names the severity by emoji and carries the escaped title."""
    message = render(make_event(severity=Severity.ERROR), [])
    assert message["text"] == ":x: acme/api#42 opened: Fix the &lt;widget&gt; &amp; gadget"


def test_mentions_lead_the_fallback_text() -> None:
    """Mentions come first in `text`, where Slack notifies the people they name."""
    message = render(make_event(), [], mention=["<!subteam^S0123ABC>", "<@U024BE7LH>"])
    assert message["text"].startswith("<!subteam^S0123ABC> <@U024BE7LH> :information_source: ")


def test_metadata_names_the_event_and_its_routes() -> None:
    """Every message carries hub_event metadata with the event id and the routes that sent it."""
    message = render(make_event(), ("backend-ci", "firehose"))
    assert message["metadata"] == {
        "event_type": "hub_event",
        "event_payload": {
            "event_ids": ["72d3162e-cc78-11e3-81ab-4c9367dc0958"],
            "routes": ["backend-ci", "firehose"],
        },
    }


def test_each_severity_has_its_own_colour() -> None:
    """The attachment's colour bar is a distinct hex colour per severity."""
    colours = [render(make_event(severity=s), [])["attachments"][0]["color"] for s in Severity]
    assert colours == [COLOURS[s] for s in Severity]
    assert len(set(colours)) == len(Severity)
    assert all(c.startswith("#") and len(c) == 7 for c in colours)


def test_fields_show_repo_branch_actor_state_severity_and_labels() -> None:
    """The fields section names where, who, the state, the severity, then the labels."""
    fields = [f["text"] for f in blocks_of(render(make_event(), []))[2]["fields"]]
    assert fields == [
        "*Repo*\nacme/api",
        "*Branch*\nmain",
        "*Actor*\noctocat",
        "*State*\nopened",
        "*Severity*\ninfo",
        "*draft*\nfalse",
        "*head_branch*\nfix/widget",
    ]


def test_context_names_source_type_and_local_time() -> None:
    """The context line shows source, type and the event time in each reader's time zone."""
    context = blocks_of(render(make_event(), []))[3]
    assert context["type"] == "context"
    text = context["elements"][0]["text"]
    assert text.startswith("github · `github.pull_request.opened` · <!date^1714566600^")
    assert text.endswith("|2024-05-01T12:30:00Z>")


def test_open_button_links_to_the_event_url() -> None:
    """An event with a url gets an actions block with an "Open" link button."""
    actions = blocks_of(render(make_event(), []))[-1]
    [button] = actions["elements"]
    assert button["url"] == "https://github.com/acme/api/pull/42"
    assert button["text"]["text"] == "Open"
    assert len(button["text"]["text"]) <= MAX_BUTTON_TEXT


def test_no_url_and_overlong_url_get_no_button() -> None:
    """Without a usable url (absent, or over 3000 chars) there is no actions block."""
    for url in (None, "https://example.com/" + "x" * 3_000):
        types = [b["type"] for b in blocks_of(render(make_event(url=url), []))]
        assert "actions" not in types


def test_link_unfurling_is_off() -> None:
    """Links in a message do not unfurl into previews that would crowd the channel."""
    assert render(make_event(), [])["unfurl_links"] is False
