"""Wires settings into running stages: one lifespan, graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import AsyncIterator, Callable
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


@asynccontextmanager
async def running(parts: Parts, stages: tuple[str, ...]) -> AsyncIterator[None]:
    """Start the named stages; on exit stop consuming, drain, and close everything."""
    settings = parts.settings
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
            ops = await _serve(ops_app(checks, parts.history, explain, tokens), settings.ops_listen)
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
            stack.push_async_callback(deliverer.close, settings.shutdown_grace.total_seconds())
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
                stack.push_async_callback(workers.stop, settings.shutdown_grace.total_seconds())
                await workers.start()
                checks["workers"] = workers.ping
        started.set()
        freeze_heap()
        log.info(
            "hub started", stages=list(stages), listen=settings.listen, ops=settings.ops_listen
        )
        try:
            yield
        finally:
            log.info("hub stopping", grace_seconds=settings.shutdown_grace.total_seconds())
            if site is not None:
                await site.cleanup()
            await parts.broker.stop_consuming()
            if not await parts.broker.drain(settings.shutdown_grace.total_seconds()):
                log.warning("shutdown grace elapsed; unfinished messages return to the broker")


def _still_receiving(check: Check) -> Check:
    async def degraded() -> None:
        try:
            await check()
        except Exception as exc:
            raise Degraded(f"{exc or type(exc).__name__}; webhooks are still accepted") from exc

    return degraded


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
    """Run the stages until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running(parts, stages):
        orphaned = asyncio.create_task(watch_parent(stop)) if parts.settings.worker_index else None
        loop.add_signal_handler(signal.SIGHUP, _reload_files, parts, stages)
        await stop.wait()
        if orphaned is not None:
            orphaned.cancel()
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
