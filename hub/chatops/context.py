"""What slash commands and buttons act on (`ChatOps`), and one slash command as Slack posts it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from hub.actions.request import ActionRunner
from hub.core.broker import Broker
from hub.core.errors import DeliveryError
from hub.core.log import get_logger
from hub.core.notify import Notifier, Renderer
from hub.core.state import StateStore
from hub.deliverer.threads import Parent, ThreadMap
from hub.history.entries import History
from hub.router.silences import SilenceStore
from hub.routes.table import RouteTable

log = get_logger("hub.chatops")


@dataclass(frozen=True)
class Command:
    """One slash command as Slack posts it, reduced to what hub uses."""

    name: str
    text: str
    user_id: str
    channel_id: str
    channel_name: str
    response_url: str
    trigger_id: str = ""

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Command:
        """From Slack's form fields; Slack escapes &, < and > in `text` as HTML entities."""
        text = form.get("text", "").replace("&lt;", "<").replace("&gt;", ">")
        return cls(
            name=form.get("command") or "/hub",
            text=text.replace("&amp;", "&").strip(),
            user_id=form.get("user_id", ""),
            channel_id=form.get("channel_id", ""),
            channel_name=form.get("channel_name", ""),
            response_url=form.get("response_url", ""),
            trigger_id=form.get("trigger_id", ""),
        )

    @property
    def user(self) -> str:
        """The caller as a Slack mention."""
        return f"<@{self.user_id}>"

    @property
    def channels(self) -> tuple[str, ...]:
        """The names routes.yaml may give the channel the command was typed in."""
        return (f"#{self.channel_name}", self.channel_id)


@dataclass
class ChatOps:
    """What slash commands and buttons act on; the composition root builds one per process."""

    signing_secret: str | None
    """None: ChatOps is off and its endpoints answer 404."""
    admins: frozenset[str]
    broker: Broker
    state: StateStore
    history: History
    routes: Callable[[], RouteTable]
    notifier: Notifier
    renderer: Renderer
    sources: tuple[str, ...] = ()
    previous_signing_secret: str | None = None
    ops_url: str | None = None
    """HUB_OPS_URL: where people reach the ops port; `/hub aar` links the draft there."""
    """SLACK_SIGNING_SECRET_PREVIOUS: also accepted while a rotation is under way."""
    actions: ActionRunner | None = None
    """None: no actions.yaml, so `/hub run` and run buttons say so."""
    silences: SilenceStore = field(init=False)
    threads: ThreadMap = field(init=False)

    def __post_init__(self) -> None:
        self.silences = SilenceStore(self.state)
        self.threads = ThreadMap(self.state)

    @property
    def signing_secrets(self) -> tuple[str, ...]:
        """The secrets a Slack request may be signed with: the current one first."""
        return tuple(s for s in (self.signing_secret, self.previous_signing_secret) if s)

    def is_admin(self, user_id: str) -> bool:
        """Whether the Slack user is named in HUB_SLACK_ADMINS."""
        return user_id in self.admins

    async def find_parent(
        self, names: Iterable[str], channel_id: str, threadkey: str
    ) -> tuple[str, Parent] | None:
        """The thread parent of `threadkey` in channel `channel_id`, with its ThreadMap name."""
        for name in dict.fromkeys(n for n in names if n and n != "#"):
            parent = await self.threads.get(name, threadkey)
            if parent is not None and parent.channel == channel_id:
                return name, parent
        return None

    async def note_in_thread(
        self, names: Iterable[str], channel_id: str, threadkey: str, text: str
    ) -> None:
        """Reply `text` in the thread of `threadkey` in this channel, if hub posted one there."""
        found = await self.find_parent(names, channel_id, threadkey)
        if found is not None:
            await self.reply_in_thread(channel_id, found[1].ts, text)

    async def reply_in_thread(self, channel_id: str, thread_ts: str, text: str) -> bool:
        """Post `text` in a thread; False (logged) when Slack would not take it."""
        try:
            await self.notifier.post(channel_id, {"text": text, "thread_ts": thread_ts})
        except DeliveryError as exc:
            log.warning("thread reply not posted", error=str(exc), channel=channel_id)
            return False
        return True
