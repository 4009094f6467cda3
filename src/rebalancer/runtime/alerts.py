"""Serve ``[alerts]``: the sinks and chat commands (``rebalancer.alerting``) and the digest.

The config's tables become the alerting package's plain settings here (it never reads the
config), and the running daemon's parts (its Store, clock, event hub, portfolios, live market
state, the metrics' alert counters) are handed over. Nothing starts when no sink is configured.
Changes to ``[alerts]`` take effect at the next start (a SIGHUP reload keeps the sinks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import time
from zoneinfo import ZoneInfo

from rebalancer.alerting.config import (
    AlertSettings,
    SlackSettings,
    TelegramSettings,
    WebhookSettings,
)
from rebalancer.alerting.hints import Guards
from rebalancer.alerting.levels import Level
from rebalancer.alerting.render import Standing
from rebalancer.alerting.service import AlertDeps, Alerts
from rebalancer.core.drift import DriftReport
from rebalancer.domain.errors import VenueError
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Snapshot
from rebalancer.runtime.assembly import Wiring
from rebalancer.runtime.hints import operator_command
from rebalancer.services.daemon_loop import DaemonLoop
from rebalancer.services.digest import DigestSchedule
from rebalancer.services.portfolio_view import view_portfolio
from rebalancer.settings import AppConfig
from rebalancer.settings.operators import AlertLevel
from rebalancer.telemetry import DaemonMetrics

log = logging.getLogger(__name__)


def _levels(table: Mapping[str, AlertLevel]) -> dict[str, Level]:
    return {name: Level(level.value) for name, level in table.items()}


def alert_settings(config: AppConfig) -> AlertSettings:
    """``[alerts]`` as the alerting package's settings (secrets in the clear, in memory only)."""
    table = config.alerts
    telegram = slack = webhook = None
    if (tg := table.telegram) is not None:
        telegram = TelegramSettings(
            token=tg.bot_token.get_secret_value(),
            chat_ids=tg.chat_ids,
            api_url=tg.api_url,
            commands=tg.commands,
            levels=_levels(tg.levels),
        )
    if (sl := table.slack) is not None:
        slack = SlackSettings(
            api_url=sl.api_url,
            webhook_url=sl.webhook_url.get_secret_value() if sl.webhook_url else None,
            bot_token=sl.bot_token.get_secret_value() if sl.bot_token else None,
            app_token=sl.app_token.get_secret_value() if sl.app_token else None,
            channel_ids=sl.channel_ids,
            levels=_levels(sl.levels),
        )
    if (hook := table.webhook) is not None:
        webhook = WebhookSettings(
            url=hook.url.get_secret_value(),
            secret=hook.secret.get_secret_value(),
            timeout_s=hook.timeout_s,
            levels=_levels(hook.levels),
        )
    commands = table.commands
    return AlertSettings(
        dedupe_window_s=table.dedupe_window_s,
        levels=_levels(table.levels),
        guards=Guards(
            allow_run=commands.allow_run,
            allow_resume=commands.allow_resume,
            approve_max_notional=commands.approve_max_notional,
        ),
        telegram=telegram,
        slack=slack,
        webhook=webhook,
    )


class DaemonView:
    """The running daemon as the sinks, commands and digest read it."""

    def __init__(self, wiring: Wiring, loop: DaemonLoop) -> None:
        self._wiring = wiring
        self._loop = loop

    def policies(self) -> dict[str, Policy]:
        """Every portfolio's policy in force (a reload's included)."""
        loop = self._loop
        return {name: policy for name in loop.portfolios if (policy := loop.policy(name))}

    async def drift(self, policy: Policy) -> DriftReport | None:
        """The portfolio's weights now (None: its venues are not ready)."""
        view = await view_portfolio(policy, self._wiring.market_state, self._wiring.store)
        return view.drift

    async def standing(self, name: str) -> Standing | None:
        """Quote asset and weights now of portfolio ``name`` (None: no such portfolio)."""
        policy = self._loop.policy(name)
        if policy is None:
            return None
        return policy.quote, await self.drift(policy)

    def quote(self, name: str) -> str | None:
        """Portfolio ``name``'s quote asset (None: no such portfolio)."""
        policy = self._loop.policy(name)
        return policy.quote if policy is not None else None

    def snapshot(self, policy: Policy) -> Snapshot | None:
        """Live holdings to check a requested amount against (None: not ready now)."""
        try:
            return self._wiring.market_state.snapshot(policy.venues)
        except VenueError:
            return None


@contextlib.asynccontextmanager
async def serve_alerts(
    wiring: Wiring, loop: DaemonLoop, metrics: DaemonMetrics
) -> AsyncIterator[Alerts | None]:
    """Start the sinks (and the digest) for the daemon's life; stop them on exit."""
    config = wiring.config
    if not config.alerts.any_sink:
        yield None
        return
    view = DaemonView(wiring, loop)
    alerts = Alerts(
        alert_settings(config),
        AlertDeps(
            store=wiring.store,
            clock=wiring.clock,
            hub=wiring.events,
            policies=view.policies,
            lookup=view.standing,
            quote_of=view.quote,
            snapshot=view.snapshot,
            shell_command=operator_command(config),
            on_sent=metrics.alert_sent,
            on_failed=metrics.alert_failed,
        ),
    )
    await alerts.start()
    digest = _start_digest(wiring, view)
    try:
        yield alerts
    finally:
        if digest is not None:
            digest.cancel()
            await asyncio.gather(digest, return_exceptions=True)
        await alerts.stop()


def _start_digest(wiring: Wiring, view: DaemonView) -> asyncio.Task[None] | None:
    table = wiring.config.alerts.digest
    if not table.enabled:
        return None
    hour, minute = (int(part) for part in table.at.split(":"))
    schedule = DigestSchedule(
        wiring.store,
        wiring.clock,
        wiring.events,
        view.policies,
        view.drift,
        at=time(hour, minute),
        zone=ZoneInfo(table.timezone),
    )
    return asyncio.create_task(schedule.run(), name="daily-digest")
