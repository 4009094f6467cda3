"""Every configured sink, wired to the event hub, and the chats' command listeners.

``Alerts.start`` subscribes one ``AlertSink`` per sink to the hub (each with its own outbox
and task), starts the Telegram bot (long polling) and the Slack Socket Mode client when they
take commands, and a ticker that sends what de-duplication held back once its window passes.
``Alerts.stop`` lets the sinks deliver what is queued (the daemon's ``DaemonStopping`` is the
last event) for up to a few seconds, then closes every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from rebalancer.alerting.commands import CommandContext, CommandDesk
from rebalancer.alerting.config import AlertSettings, SlackSettings, TelegramSettings
from rebalancer.alerting.hints import Hints, slack_command, telegram_command
from rebalancer.alerting.levels import LevelTable
from rebalancer.alerting.outbox import Outbox, Transport
from rebalancer.alerting.render import PortfolioLookup, Renderer
from rebalancer.alerting.sink import AlertSink, SinkSpec
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock, Store
from rebalancer.services import operations
from rebalancer.services.event_hub import EventHub, Subscription

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 5.0
STOP_TIMEOUT_S = 5.0
POLL_S = 0.05


class _Closable(Transport, Protocol):
    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class AlertDeps:
    """The running daemon's parts the sinks and commands use."""

    store: Store
    clock: Clock
    hub: EventHub
    policies: Callable[[], Mapping[str, Policy]]
    lookup: PortfolioLookup
    quote_of: Callable[[str], str | None]
    snapshot: Callable[[Policy], Snapshot | None]
    shell_command: Callable[..., str]
    on_sent: Callable[[str], None]
    on_failed: Callable[[str], None]


class Alerts:
    """The sinks of one daemon (see the module doc)."""

    def __init__(self, settings: AlertSettings, deps: AlertDeps) -> None:
        self._settings = settings
        self._deps = deps
        self._renderer = Renderer(deps.lookup, deps.quote_of)
        self.sinks: list[AlertSink] = []
        self._subscriptions: list[Subscription] = []
        self._closers: list[Callable[[], object]] = []
        self._stoppers: list[Callable[[], object]] = []
        self._ticker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribe the sinks and start the command listeners."""
        settings = self._settings
        if settings.telegram is not None:
            self._start_telegram(settings.telegram)
        if settings.slack is not None:
            self._start_slack(settings.slack)
        if settings.webhook is not None:
            from rebalancer.alerting.webhook import WebhookTransport

            hook = settings.webhook
            transport = WebhookTransport(hook.url, hook.secret, hook.timeout_s)
            self._closers.append(transport.close)
            levels = LevelTable.for_machine(settings.levels, hook.levels)
            self._add("webhook", transport, ("url",), levels, chat=None)
        self._ticker = asyncio.create_task(self._flush_due(), name="alerts-dedupe-flush")
        names = ", ".join(sink.spec.name for sink in self.sinks)
        log.info("alerts to %s", names or "no sink")

    def _desk(self, chat_command: Callable[..., str]) -> CommandDesk:
        deps = self._deps
        return CommandDesk(
            CommandContext(
                desk=operations.Desk(deps.store, deps.clock, deps.hub),
                policies=deps.policies,
                lookup=deps.lookup,
                snapshot=deps.snapshot,
                guards=self._settings.guards,
                chat_command=chat_command,
            )
        )

    def _add(
        self,
        name: str,
        transport: Transport,
        destinations: tuple[str, ...],
        levels: LevelTable,
        *,
        chat: Callable[..., str] | None,
    ) -> Outbox:
        deps = self._deps
        outbox = Outbox(name, transport, deps.clock, on_sent=deps.on_sent, on_failed=deps.on_failed)
        hints = Hints(deps.shell_command, chat, self._settings.guards)
        sink = AlertSink(
            SinkSpec(name, destinations, levels, hints),
            self._renderer,
            outbox,
            deps.clock,
            dedupe_window_s=self._settings.dedupe_window_s,
        )
        outbox.start()
        self.sinks.append(sink)
        self._subscriptions.append(deps.hub.subscribe(sink))
        return outbox

    def _start_telegram(self, table: TelegramSettings) -> None:
        from rebalancer.alerting.telegram_bot import TelegramBot, build_application
        from rebalancer.alerting.telegram_transport import TelegramTransport

        deps = self._deps
        application = build_application(table.token, table.api_url, polling=table.commands)
        levels = LevelTable.for_chat(self._settings.levels, table.levels)
        chat = telegram_command if table.commands else None
        destinations = tuple(str(chat_id) for chat_id in table.chat_ids)
        outbox = self._add(
            "telegram", TelegramTransport(application.bot), destinations, levels, chat=chat
        )
        bot = TelegramBot(
            application,
            table.chat_ids,
            outbox.put,
            desk=self._desk(telegram_command) if table.commands else None,
            events=deps.hub,
            clock=deps.clock,
        )
        bot.start()
        self._stoppers.append(bot.stop)
        self._closers.append(bot.close)

    def _start_slack(self, table: SlackSettings) -> None:
        from rebalancer.alerting.slack_socket import SlackCommands
        from rebalancer.alerting.slack_transport import (
            SlackWebhookTransport,
            SlackWebTransport,
        )

        deps = self._deps
        levels = LevelTable.for_chat(self._settings.levels, table.levels)
        commands = table.app_token is not None and table.bot_token is not None
        chat = slack_command if commands else None
        transport: _Closable
        if table.bot_token is not None:
            transport = SlackWebTransport(table.bot_token, table.api_url)
            destinations = table.channel_ids
        else:
            assert table.webhook_url is not None
            transport = SlackWebhookTransport(table.webhook_url)
            destinations = ("webhook",)
        self._closers.append(transport.close)
        outbox = self._add("slack", transport, destinations, levels, chat=chat)
        if commands:
            assert table.app_token is not None
            assert table.bot_token is not None
            listener = SlackCommands(
                table.app_token,
                table.bot_token,
                table.api_url,
                table.channel_ids,
                desk=self._desk(slack_command),
                reply=outbox.put,
                events=deps.hub,
                clock=deps.clock,
            )
            listener.start()
            self._stoppers.append(listener.stop)

    async def _flush_due(self) -> None:
        while True:
            await self._deps.clock.sleep(FLUSH_INTERVAL_S)
            for sink in self.sinks:
                try:
                    await sink.flush_due()
                except Exception:
                    log.exception("alerts %s: sending held-back alerts failed", sink.spec.name)

    async def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Deliver what is queued for up to ``timeout_s``, then close every connection."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        for stopper in self._stoppers:  # no more commands
            with contextlib.suppress(Exception):
                await stopper()  # type: ignore[misc]
        while any(len(s.mailbox) for s in self._subscriptions) or not all(
            sink.idle for sink in self.sinks
        ):
            if loop.time() >= deadline:
                break
            await asyncio.sleep(POLL_S)
        for sink in self.sinks:
            sent = await sink.outbox.close(max(0.1, deadline - loop.time()))
            if not sent:
                log.warning("alerts %s: stopped with messages unsent", sink.spec.name)
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        for closer in self._closers:
            with contextlib.suppress(Exception):
                await closer()  # type: ignore[misc]
