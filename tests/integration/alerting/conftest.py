"""An in-process alerting set-up on real sockets: a real SQLite store and event hub, the real
libraries (python-telegram-bot, slack_sdk, aiohttp) pointed at the loopback fakes.

The portfolio is the example config's ``core`` valued at the example snapshot.
"""

from __future__ import annotations

import shlex
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.webhook_receiver import WebhookReceiver

from rebalancer.alerting.config import (
    AlertSettings,
    SlackSettings,
    TelegramSettings,
    WebhookSettings,
)
from rebalancer.alerting.hints import Guards
from rebalancer.alerting.render import Standing
from rebalancer.alerting.service import AlertDeps, Alerts
from rebalancer.codecs.snapshot_json import parse_snapshot
from rebalancer.core.drift import drift_of_snapshot
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Snapshot
from rebalancer.persistence import SqlStore, open_store, sqlite_url
from rebalancer.runtime.clock import SystemClock
from rebalancer.services.event_hub import EventHub
from rebalancer.settings import load_config

REPO = Path(__file__).resolve().parents[3]
CONFIG = load_config(REPO / "config" / "example.toml")
POLICIES: dict[str, Policy] = {name: CONFIG.policy(name) for name in CONFIG.portfolios}
SNAPSHOT: Snapshot = parse_snapshot((REPO / "config" / "example-snapshot.json").read_text())
TOKEN = "123456:TEST-TOKEN"
CHAT = 4242
STRANGER = 999
CHANNEL = "C0TRADING"
SECRET = "webhook-secret-0123456789"


def shell(*words: str) -> str:
    """How the runtime renders a shell command (a fixed config path here)."""
    return shlex.join(["rebalancer", *words, "--config", "/etc/rebalancer/config.toml"])


async def standing(name: str) -> Standing | None:
    policy = POLICIES.get(name)
    if policy is None:
        return None
    return policy.quote, drift_of_snapshot(SNAPSHOT, policy)


@dataclass
class Counts:
    """What the sinks reported to the metrics."""

    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    def on_sent(self, sink: str) -> None:
        self.sent[sink] = self.sent.get(sink, 0) + 1

    def on_failed(self, sink: str) -> None:
        self.failed[sink] = self.failed.get(sink, 0) + 1


@dataclass
class World:
    """The store, hub, alerts and fakes of one test."""

    store: SqlStore
    hub: EventHub
    alerts: Alerts
    counts: Counts
    telegram: FakeTelegram | None
    slack: FakeSlack | None
    receiver: WebhookReceiver | None


@pytest.fixture
def fakes() -> Iterator[dict[str, Any]]:
    started: dict[str, Any] = {
        "telegram": FakeTelegram(TOKEN).start(),
        "slack": FakeSlack().start(),
        "webhook": WebhookReceiver(SECRET).start(),
    }
    yield started
    for fake in started.values():
        fake.stop()


WorldFactory = Callable[..., Any]


@pytest.fixture
async def world_factory(tmp_path: Path, fakes: dict[str, Any]) -> AsyncIterator[WorldFactory]:
    made: list[World] = []
    store = await open_store(sqlite_url(tmp_path))

    async def make(
        *,
        telegram: bool = True,
        slack: str | None = None,  # "bot" or "webhook"
        webhook: bool = False,
        guards: Guards | None = None,
        levels: dict[str, Any] | None = None,
        dedupe_window_s: float = 300.0,
    ) -> World:
        hub = EventHub(store)
        tg: FakeTelegram = fakes["telegram"]
        sl: FakeSlack = fakes["slack"]
        hook: WebhookReceiver = fakes["webhook"]
        settings = AlertSettings(
            dedupe_window_s=dedupe_window_s,
            levels=levels or {},
            guards=guards or Guards(approve_max_notional=Decimal(100_000)),
            telegram=TelegramSettings(TOKEN, (CHAT,), tg.api_url) if telegram else None,
            slack=(
                SlackSettings(
                    sl.api_url,
                    bot_token=sl.bot_token,
                    app_token=sl.app_token,
                    channel_ids=(CHANNEL,),
                )
                if slack == "bot"
                else SlackSettings(sl.api_url, webhook_url=sl.webhook_url)
                if slack == "webhook"
                else None
            ),
            webhook=WebhookSettings(hook.url, SECRET, timeout_s=5.0) if webhook else None,
        )
        counts = Counts()
        alerts = Alerts(
            settings,
            AlertDeps(
                store=store,
                clock=SystemClock(),
                hub=hub,
                policies=lambda: POLICIES,
                lookup=standing,
                quote_of=lambda name: POLICIES[name].quote if name in POLICIES else None,
                snapshot=lambda policy: SNAPSHOT,
                shell_command=shell,
                on_sent=counts.on_sent,
                on_failed=counts.on_failed,
            ),
        )
        await alerts.start()
        world = World(
            store,
            hub,
            alerts,
            counts,
            tg if telegram else None,
            sl if slack else None,
            hook if webhook else None,
        )
        made.append(world)
        return world

    yield make
    for world in made:
        await world.alerts.stop(timeout_s=2.0)
        await world.hub.aclose(timeout_s=2.0)
    await store.close()
