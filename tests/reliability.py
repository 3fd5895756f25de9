"""Numbered test events and the bookkeeping every fault test reports: sent, accepted, delivered."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika

from hub.backends.amqp.broker import Topology
from hub.core.settings import Settings
from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import AMQP_URL, RunningHub

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

CHANNEL_ROUTES = """\
version: 1
routes:
  - {name: team-a, match: {repo: acme/a}, channels: ["#team-a"]}
  - {name: team-b, match: {repo: acme/b}, channels: ["#team-b"]}
  - {name: team-c, match: {repo: acme/c}, channels: ["#team-c"]}
"""
CHANNELS = ("#team-a", "#team-b", "#team-c")


def numbered(i: int, channels: int = 3) -> signing.Signed:
    """Signed GitHub ping number `i`, for channel `#team-<a|b|c>` by i modulo `channels`."""
    team = "abcdefghij"[i % channels]
    body = json.dumps(
        {
            "zen": f"event {i}",
            "hook_id": i,
            "repository": {
                "full_name": f"acme/{team}",
                "html_url": f"https://github.com/acme/{team}",
            },
            "sender": {"login": "octocat"},
        }
    ).encode()
    return signing.github(body, "ping", delivery=f"00000000-0000-4000-8000-{i:012d}")


def delivery_index(event_id: str) -> int:
    """The number `i` of a `numbered` event from its delivery id."""
    return int(event_id.rsplit("-", 1)[1])


@dataclass
class Tally:
    """What a fault test sent, what hub accepted, and what reached Slack."""

    test: str
    profile: str
    sent: int = 0
    accepted: int = 0
    statuses: Counter[int] = field(default_factory=Counter)

    def answer(self, status: int) -> None:
        """Count one request by its HTTP status (0: the connection failed, no answer)."""
        self.sent += 1
        self.statuses[status] += 1
        if status == 202:
            self.accepted += 1

    def check(
        self, slack: FakeSlack, expected: set[int], per_channel_order: bool = True
    ) -> dict[str, int]:
        """Assert every expected event was posted exactly once (in order per channel); record it."""
        posted: Counter[int] = Counter()
        by_channel: defaultdict[str, list[int]] = defaultdict(list)
        for call in slack.posts():
            assert call.metadata is not None
            for event_id in call.metadata["event_payload"]["event_ids"]:
                n = delivery_index(event_id)
                posted[n] += 1
                by_channel[str(call.channel)].append(n)
        duplicates = sum(c - 1 for c in posted.values() if c > 1)
        lost = len(expected - set(posted))
        figures = {
            "sent": self.sent,
            "accepted": self.accepted,
            "delivered": len(set(posted) & expected),
            "duplicates": duplicates,
            "lost": lost,
        }
        record(self.test, self.profile, {**figures, "statuses": dict(self.statuses)})
        assert lost == 0, f"{lost} accepted events never reached Slack"
        assert duplicates == 0, f"{duplicates} events posted more than once"
        if per_channel_order:
            for channel, numbers in by_channel.items():
                assert numbers == sorted(numbers), (
                    f"{channel} out of order: {inversions(numbers)[:10]}"
                )
        return figures


def record(test: str, profile: str, figures: dict[str, object]) -> None:
    """Append one result line to test-artifacts/reliability.jsonl (quoted in docs)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "reliability.jsonl").open("a") as out:
        out.write(json.dumps({"test": test, "profile": profile, **figures}) + "\n")


def inversions(numbers: list[int]) -> list[tuple[int, int]]:
    """Adjacent pairs out of order (for failure messages)."""
    return [(a, b) for a, b in itertools.pairwise(numbers) if a > b]


LOAD_CHANNELS = 10
"""The channels of the engine-fault scenarios' steady load."""
TEN_CHANNELS = "version: 1\nroutes:\n" + "".join(
    f'  - {{name: team-{t}, match: {{repo: acme/{t}}}, channels: ["#team-{t}"]}}\n'
    for t in "abcdefghij"
)
"""routes.yaml of that load: event i goes to #team-<i mod 10>."""


async def steady_load(hub: RunningHub, tally: Tally, seconds: float, pause: float) -> set[int]:
    """One sender per channel, each posting its channel's events in order, one at a time, for
    `seconds`; the numbers sent (event i goes to channel i mod LOAD_CHANNELS)."""
    sent: set[int] = set()
    deadline = time.monotonic() + seconds

    async def sender(team: int) -> None:
        i = team
        while time.monotonic() < deadline:
            status, _ = await hub.post(numbered(i, LOAD_CHANNELS))
            tally.answer(status)
            sent.add(i)
            i += LOAD_CHANNELS
            await asyncio.sleep(pause)

    await asyncio.gather(*(sender(t) for t in range(LOAD_CHANNELS)))
    return sent


async def dead_letter_count(settings: Settings, url: str = AMQP_URL) -> int:
    """Messages in the hub's dead-letter queue, asked of the RabbitMQ node at `url`."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        topology = Topology(settings.amqp_prefix, settings.delivery_shards)
        queue = await channel.declare_queue(topology.dead_letters, passive=True)
        return int(queue.declaration_result.message_count or 0)
