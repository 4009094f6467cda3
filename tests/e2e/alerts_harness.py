"""Helpers for the alert tests: the fakes started in this process, a daemon config naming them,
and the secrets the daemon reads from its environment."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.webhook_receiver import WebhookReceiver

BOT_TOKEN = "7000001:E2E-TEST-TOKEN"
CHAT = 4242
STRANGER = 999
CHANNEL = "C0TRADING"
SECRET = "e2e-webhook-secret-0123456789"


@dataclass
class Sinks:
    """The three fakes of one test; ``stop()`` always."""

    telegram: FakeTelegram
    slack: FakeSlack
    receiver: WebhookReceiver

    @classmethod
    def start(cls) -> Sinks:
        return cls(
            FakeTelegram(BOT_TOKEN).start(), FakeSlack().start(), WebhookReceiver(SECRET).start()
        )

    def stop(self) -> None:
        for fake in (self.telegram, self.slack, self.receiver):
            fake.stop()

    def env(self) -> dict[str, str]:
        """The secrets, as the daemon takes them from its environment."""
        return {
            "REBALANCER_ALERTS__TELEGRAM__BOT_TOKEN": BOT_TOKEN,
            "REBALANCER_ALERTS__TELEGRAM__CHAT_IDS": f"[{CHAT}]",
            "REBALANCER_ALERTS__SLACK__BOT_TOKEN": self.slack.bot_token,
            "REBALANCER_ALERTS__SLACK__APP_TOKEN": self.slack.app_token,
            "REBALANCER_ALERTS__WEBHOOK__URL": self.receiver.url,
            "REBALANCER_ALERTS__WEBHOOK__SECRET": SECRET,
        }

    def toml(self, commands: str = "") -> str:
        """``[alerts]`` for a daemon config (the fakes' URLs; secrets come from ``env``)."""
        return "\n".join(
            [
                "[alerts]",
                "dedupe_window_s = 60",
                "[alerts.telegram]",
                f'api_url = "{self.telegram.api_url}"',
                "[alerts.slack]",
                f'channel_ids = ["{CHANNEL}"]',
                f'api_url = "{self.slack.api_url}"',
                "[alerts.webhook]",
                "timeout_s = 5",
                "[alerts.commands]",
                commands,
                "",
            ]
        )


def add_alerts(config: Path, sinks: Sinks, commands: str = "") -> Path:
    """Append ``[alerts]`` to a ``write_daemon_config`` file."""
    config.write_text(config.read_text(encoding="utf-8") + sinks.toml(commands), encoding="utf-8")
    return config


def headline(message: dict[str, Any]) -> str:
    """A Telegram message's first line, as plain text."""
    first = str(message["text"]).split("\n", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", first))


def telegram_headlines(sinks: Sinks) -> list[str]:
    """Every accepted Telegram message's headline, in order."""
    return [headline(m) for m in sinks.telegram.sent(CHAT)]


def slack_headlines(sinks: Sinks) -> list[str]:
    """Every accepted Slack message's headline (its text without the @channel mention)."""
    return [str(m["text"]).removeprefix("<!channel> ") for m in sinks.slack.messages(CHANNEL)]
