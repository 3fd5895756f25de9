"""Wires settings into running stages: one lifespan, graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

from aiohttp import web

from adapters.github.api import GitHubApi
from adapters.slack.client import SlackNotifier
from adapters.travis_api import TravisApi
from hub.actions.limits import Limits
from hub.actions.permission import Permissions
from hub.actions.reload import ActionsHolder, actions_path
from hub.actions.render import ActionRenderer
from hub.actions.request import ActionRunner
from hub.actions.runner import Runner
from hub.chatops.commands import run as run_command
from hub.chatops.context import ChatOps
from hub.chatops.http import add_chatops_routes
from hub.core.errors import Degraded
from hub.core.event import Event
from hub.core.health import Check
from hub.core.log import get_logger
from hub.core.outage import EngineGate
from hub.core.settings import parse_hostport
from hub.deliverer.stage import Deliverer
from hub.factory import Parts
from hub.history.entries import Explanation
from hub.ops.app import Explain, ops_app
from hub.receiver.app import Receiver, public_app
from hub.receiver.dedup import DedupPublisher
from hub.receiver.workers import IngestWorkers, say_listening, watch_parent
from hub.router.stage import Router
from hub.routes.load import load_routes
from hub.routes.reload import RoutesHolder
from hub.routes.table import RouteTable

log = get_logger("hub.service")

STAGES = ("receiver", "router", "deliverer")


def _explainer(routes: RoutesHolder) -> Explain:
    def explain(event: Event) -> list[Explanation]:
        return [Explanation(x.route, x.matched, x.reason) for x in routes().explain(event)]

    return explain


async def _serve(app: web.Application, listen: str, shared: bool = False) -> web.AppRunner:
    host, port = parse_hostport(listen)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    # SO_REUSEPORT only when ingest workers share the port: otherwise a second hub started by
    # mistake must fail with "address in use", not silently take half the webhooks.
    await web.TCPSite(runner, host, port, reuse_address=True, reuse_port=shared).start()
    return runner


async def _unless(hurry: asyncio.Event | None, work: Awaitable[object]) -> bool:
    """Await `work`; True when it finished, False when `hurry` was set first (it is cancelled)."""
    task = asyncio.ensure_future(work)
    if hurry is None:
        await task
        return True
    hurried = asyncio.ensure_future(hurry.wait())
    try:
        await asyncio.wait({task, hurried}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hurried.cancel()
    if task.done():
        task.result()
        return True
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return False


def _graceful(
    hurry: asyncio.Event | None, close: Callable[[float], Awaitable[None]], grace: float
) -> Callable[[], Awaitable[None]]:
    """`close(grace)`, or `close(0)` at once when `hurry` is set meanwhile (a second Ctrl-C)."""

    async def closing() -> None:
        if not await _unless(hurry, close(grace)):
            await close(0)

    return closing


@asynccontextmanager
async def running(
    parts: Parts, stages: tuple[str, ...], hurry: asyncio.Event | None = None
) -> AsyncIterator[None]:
    """Start the named stages; on exit stop consuming, drain, and close everything.

    The drain and the closes wait up to HUB_SHUTDOWN_GRACE for work in flight; once `hurry` is
    set they stop waiting: what is unfinished goes back to the queue, unacknowledged.
    """
    settings = parts.settings
    grace = settings.shutdown_grace.total_seconds()
    routes = RoutesHolder(settings.routes) if "router" in stages else None
    async with AsyncExitStack() as stack:
        await parts.broker.start()
        stack.push_async_callback(parts.broker.close)
        await parts.state.start()
        stack.push_async_callback(parts.state.close)
        await parts.history.start()
        stack.push_async_callback(parts.history.stop)
        stack.push_async_callback(parts.notifier.close)
        runner = _actions(parts)
        if runner is not None:
            stack.push_async_callback(runner.close)
        started = asyncio.Event()

        async def stages_started() -> None:
            if not started.is_set():
                raise ConnectionError("still starting")

        async def engines_answer() -> None:
            await parts.broker.ping()
            await parts.state.ping()

        # While the broker or the state store is away, the router's and the deliverer's work
        # waits at their gates instead of failing (and spending the attempts of) its messages.
        gates = {
            "router": EngineGate(engines_answer, ordered=True),
            "deliverer": EngineGate(engines_answer),
        }
        checks: dict[str, Check] = {
            "broker": parts.broker.ping,
            "state": parts.state.ping,
            "stages": stages_started,
            **parts.checks,
        }
        for stage, gate in gates.items():
            if stage in stages:
                stack.push_async_callback(gate.stop)
                checks[stage] = gate.check
        if "receiver" in stages:
            # Webhooks are still accepted (without dedup) while the state store is away, so a
            # process that receives stays in its load balancer: degraded, not unavailable.
            for name in ("state", "router", "deliverer"):
                if name in checks:
                    checks[name] = _still_receiving(checks[name])
        explain = None if routes is None else _explainer(routes)
        if settings.worker_index == 0:  # ingest workers have no ops port: the first process's sums
            tokens = settings.secrets_for("HUB_OPS_TOKEN")
            render = parts.render.render
            ops = await _serve(
                ops_app(
                    checks,
                    parts.history,
                    explain,
                    tokens,
                    preview=lambda event, routes: render(event, routes),
                ),
                settings.ops_listen,
            )
            stack.push_async_callback(ops.cleanup)
        if "deliverer" in stages:
            deliverer = Deliverer(
                parts.broker,
                parts.state,
                parts.notifier,
                parts.render,
                settings.delivery_max_age,
                parts.history,
                settings.delivery_backoff_max.total_seconds(),
                interactive=settings.slack_signing_secret is not None,
                edits_per_minute=settings.slack_edits_per_minute,
                gate=gates["deliverer"],
            )
            # Unwound after the drain: the replies are posted, their parents' edits follow.
            stack.push_async_callback(_graceful(hurry, deliverer.close, grace))
            await deliverer.start()
        if routes is not None:
            routes.start()
            stack.push_async_callback(routes.stop)
            parts.reload = routes.reload
            # Silences (and routes' noise control) need the state store; ChatOps mutes rely on it.
            router = Router(
                parts.broker, routes, parts.history, state=parts.state, gate=gates["router"]
            )
            await router.start()
            stack.push_async_callback(router.stop)
        site: web.AppRunner | None = None
        if "receiver" in stages:
            for watched in parts.watched:
                watched.start()
                stack.push_async_callback(watched.stop)
            receiver = Receiver(
                parts.sources,
                settings.secret_for,
                DedupPublisher(parts.broker, parts.state, parts.history).publish,
                settings.max_body_bytes,
                settings.allow_unsigned,
                settings.max_inflight_bytes,
            )
            public = public_app(receiver, settings.max_body_bytes)
            # ChatOps: /slack/* on the public port (answering 404 without the signing secret).
            add_chatops_routes(public, chatops_for(parts, routes, runner), run_command)
            site = await _serve(
                public,
                settings.listen,
                shared=settings.workers > 1,
            )
            if settings.worker_index:
                say_listening()
            elif settings.workers > 1:
                workers = IngestWorkers(settings.workers - 1)
                stack.push_async_callback(_graceful(hurry, workers.stop, grace))
                await workers.start()
                checks["workers"] = workers.ping
        started.set()
        freeze_heap()
        log.info(
            "hub started", stages=list(stages), listen=settings.listen, ops=settings.ops_listen
        )
        if settings.worker_index == 0:
            _say_where_to_look(parts, stages)
        try:
            yield
        finally:
            log.info("hub stopping", grace_seconds=grace)
            if site is not None:
                await site.cleanup()
            await parts.broker.stop_consuming()
            drained: list[bool] = []

            async def drain() -> None:
                drained.append(await parts.broker.drain(grace))

            if not await _unless(hurry, drain()):
                await parts.broker.drain(0)  # cancel the handlers still running, release them
                log.warning("stopping now: unfinished messages return to the queue")
            elif not drained[0]:
                log.warning("shutdown grace elapsed; unfinished messages return to the broker")


def _still_receiving(check: Check) -> Check:
    async def degraded() -> None:
        try:
            await check()
        except Exception as exc:
            raise Degraded(f"{exc or type(exc).__name__}; webhooks are still accepted") from exc

    return degraded


def _say_where_to_look(parts: Parts, stages: tuple[str, ...]) -> None:
    """One line for whoever just started hub: where events and messages can be seen."""
    settings = parts.settings
    host, port = parse_hostport(settings.ops_listen)
    page = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    tail = "`hub tail -f`"
    if not settings.broker_url and settings.data_dir.is_absolute():
        tail = f"`HUB_DATA_DIR={settings.data_dir} hub tail -f`"
    elif not settings.broker_url:
        tail += " in this directory"
    where = f"watch events on the live page {page} or with {tail}"
    if "deliverer" in stages and not settings.slack_bot_token:
        log.info(f"console mode (no SLACK_BOT_TOKEN): each Slack message is printed below; {where}")
    else:
        log.info(where[0].upper() + where[1:])


def freeze_heap() -> None:
    """Move everything alive after start-up out of the garbage collector's sight.

    Modules, settings, routes, clients and connections live as long as the process. Left in
    the oldest generation, every full collection walks all of them again: 45-90 ms with the
    whole event loop stopped, every few seconds under load, which was the p99 of the
    end-to-end latency (docs/benchmarks.md). Frozen, they are never scanned; what the
    process allocates afterwards is collected as before.
    """
    gc.collect()
    gc.freeze()


def _reload_files(parts: Parts, stages: tuple[str, ...]) -> None:
    """SIGHUP: read routes.yaml (a router), actions.yaml and sources.yaml (a receiver) again."""
    if parts.reload is not None:
        parts.reload()
    if parts.reload_actions is not None:
        parts.reload_actions()
    if "receiver" in stages:
        for watched in parts.watched:
            watched.reload()


async def serve_forever(parts: Parts, stages: tuple[str, ...]) -> None:
    """Run the stages until SIGTERM or SIGINT; a second one stops at once.

    The first signal stops taking work and waits up to HUB_SHUTDOWN_GRACE for what is in
    flight; an idle hub is gone at once. A second signal stops waiting: unfinished messages
    stay in the queue for the next start. A signal during start-up abandons the start
    (KeyboardInterrupt), closing what was opened.
    """
    stop = asyncio.Event()
    hurry = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    starting = True

    def on_signal(sig: signal.Signals) -> None:
        if starting:
            if not hurry.is_set() and main is not None:
                hurry.set()
                main.cancel()
        elif not stop.is_set():
            stop.set()
            if sig == signal.SIGINT and not parts.settings.worker_index:
                log.info("stopping: finishing work in flight; press Ctrl-C again to stop now")
        elif not hurry.is_set():
            hurry.set()
            log.info("stopping now: what is unfinished stays queued")

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        async with running(parts, stages, hurry):
            starting = False
            orphaned = (
                asyncio.create_task(watch_parent(stop)) if parts.settings.worker_index else None
            )
            loop.add_signal_handler(signal.SIGHUP, _reload_files, parts, stages)
            await stop.wait()
            if orphaned is not None:
                orphaned.cancel()
    except asyncio.CancelledError:
        if not starting:
            raise
        raise KeyboardInterrupt from None  # the `hub` script says "interrupted", exit 130
    log.info("hub stopped")


def _actions(parts: Parts) -> Runner | None:
    """Load actions.yaml (if there is one): its buttons on messages, and what runs them.

    Sets `parts.render` and `parts.reload_actions`; the file is watched until the loop ends.
    """
    settings = parts.settings
    path = actions_path(settings.actions)
    if path is None:
        return None
    holder = ActionsHolder(path)
    holder.start()
    parts.render = ActionRenderer(holder)
    parts.reload_actions = holder.reload
    notifier = parts.notifier
    members = notifier.usergroup_members if isinstance(notifier, SlackNotifier) else None
    github = travis = None
    if settings.github_token:
        github = GitHubApi(settings.github_api_url, settings.github_token)
    if settings.travis_token:
        travis = TravisApi(settings.travis_api_url, settings.travis_token)
    return Runner(holder, Permissions(members), Limits(parts.state), github, travis, holder.stop)


def chatops_for(
    parts: Parts,
    routes: Callable[[], RouteTable] | None = None,
    actions: ActionRunner | None = None,
) -> ChatOps:
    """ChatOps over a hub's parts; `routes` is the live table, else routes.yaml is read per use."""
    settings = parts.settings
    return ChatOps(
        signing_secret=settings.slack_signing_secret,
        admins=settings.slack_admins,
        broker=parts.broker,
        state=parts.state,
        history=parts.history,
        routes=routes if routes is not None else partial(load_routes, settings.routes),
        notifier=parts.notifier,
        renderer=parts.render,
        sources=tuple(parts.sources),
        previous_signing_secret=settings.slack_signing_secret_previous,
        ops_url=settings.ops_url,
        actions=actions,
    )
