"""How people reach the daemon and it reaches them: ``[api]`` and ``[alerts]``.

Tokens, webhook URLs and signing secrets are secrets (``SecretStr``) and normally come from the
environment or systemd credentials: ``REBALANCER_API__TOKEN``,
``REBALANCER_ALERTS__TELEGRAM__BOT_TOKEN``, ``REBALANCER_ALERTS__SLACK__BOT_TOKEN``,
``REBALANCER_ALERTS__SLACK__APP_TOKEN``, ``REBALANCER_ALERTS__SLACK__WEBHOOK_URL``,
``REBALANCER_ALERTS__WEBHOOK__URL`` and ``REBALANCER_ALERTS__WEBHOOK__SECRET``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from rebalancer.domain.events import EVENT_TYPES
from rebalancer.settings.fields import ConfigModel, Positive, Seconds, rules_error

TELEGRAM_API_URL = "https://api.telegram.org"
SLACK_API_URL = "https://slack.com/api/"
_CLOCK_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_SLACK_ID = re.compile(r"[A-Z0-9]+")


class ApiConfig(ConfigModel):
    """``[api]``: the local HTTP API (health, metrics, status, runs, triggers, approvals)."""

    enabled: bool = Field(default=False, description="serve the HTTP API")
    host: str = Field(
        default="127.0.0.1", min_length=1, description="address to bind; keep it loopback"
    )
    port: int = Field(default=8787, ge=1, le=65535, description="TCP port to bind")
    token: SecretStr | None = Field(
        default=None, description="bearer token every request but /health needs"
    )

    @model_validator(mode="after")
    def _token_when_enabled(self) -> Self:
        if self.enabled and self.token is None:
            raise rules_error(
                [("token", "is required when the API is enabled (set REBALANCER_API__TOKEN)")]
            )
        return self


class AlertLevel(enum.StrEnum):
    """How one kind of event reaches a sink: with a sound, without one, or not at all."""

    ON = "on"
    SILENT = "silent"  # delivered without a notification sound
    OFF = "off"


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise PydanticCustomError(
            "url_scheme", "expected an http:// or https:// URL, got '{value}'", {"value": value}
        )
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
"""An http(s) URL, kept as written."""


def _event_levels(value: Mapping[str, AlertLevel]) -> Mapping[str, AlertLevel]:
    unknown = sorted(name for name in value if name not in EVENT_TYPES)
    if unknown:
        known = ", ".join(sorted(EVENT_TYPES))
        raise rules_error([(name, f"is not an event name (one of: {known})") for name in unknown])
    return value


Levels = Annotated[dict[str, AlertLevel], AfterValidator(_event_levels)]
"""Per event name (``RunEnded``), its level: ``on``, ``silent`` or ``off``."""


class TelegramConfig(ConfigModel):
    """``[alerts.telegram]``: a bot that sends alerts and takes commands from listed chats."""

    bot_token: SecretStr = Field(description="the bot's token from BotFather (environment)")
    chat_ids: tuple[int, ...] = Field(
        min_length=1, description="chats that receive alerts; the only ones whose commands count"
    )
    api_url: HttpUrl = Field(
        default=TELEGRAM_API_URL,
        description="the Bot API server (a self-hosted one, or a test's fake)",
    )
    commands: bool = Field(
        default=True, description="take commands by long polling (no public URL needed)"
    )
    levels: Levels = Field(default_factory=dict, description="per event name: on, silent, off")


class SlackConfig(ConfigModel):
    """``[alerts.slack]``: a bot (Web API, Socket Mode commands) or a send-only webhook."""

    webhook_url: SecretStr | None = Field(
        default=None, description="an incoming webhook URL, for send-only set-ups (environment)"
    )
    bot_token: SecretStr | None = Field(
        default=None, description="the bot token (xoxb-...) for chat.postMessage (environment)"
    )
    app_token: SecretStr | None = Field(
        default=None, description="the app-level token (xapp-...) for Socket Mode commands"
    )
    channel_ids: tuple[str, ...] = Field(
        default=(), description="channels the bot posts to; the only ones whose commands count"
    )
    api_url: HttpUrl = Field(
        default=SLACK_API_URL, description="the Web API's base URL (a test's fake)"
    )
    levels: Levels = Field(default_factory=dict, description="per event name: on, silent, off")

    @field_validator("channel_ids")
    @classmethod
    def _channel_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [item for item in value if not _SLACK_ID.fullmatch(item)]
        if wrong:
            raise PydanticCustomError(
                "slack_channel",
                "expected Slack channel ids such as 'C0123ABCD' (not names), got {wrong}",
                {"wrong": ", ".join(wrong)},
            )
        return value

    @model_validator(mode="after")
    def _a_way_to_send(self) -> Self:
        problems: list[tuple[str, str]] = []
        if self.webhook_url is None and self.bot_token is None:
            problems.append(
                ("", "needs webhook_url (send only) or bot_token and channel_ids (a bot)")
            )
        if self.bot_token is not None and not self.channel_ids:
            problems.append(("channel_ids", "is required with bot_token (where to post)"))
        if self.app_token is not None and self.bot_token is None:
            problems.append(("app_token", "needs bot_token too (replies are posted by the bot)"))
        if problems:
            raise rules_error(problems)
        return self


class WebhookConfig(ConfigModel):
    """``[alerts.webhook]``: a signed JSON POST of every event to a URL of yours."""

    url: SecretStr = Field(description="where events are POSTed (environment: it may hold a key)")
    secret: SecretStr = Field(
        description="the HMAC-SHA256 key the signature header is made with (environment)"
    )
    timeout_s: Seconds = Field(default=10.0, description="give up on one attempt after this")
    levels: Levels = Field(default_factory=dict, description="per event name: on or off")

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise PydanticCustomError(
                "secret_length", "must be at least 16 characters (a random string)"
            )
        return value


class CommandsConfig(ConfigModel):
    """``[alerts.commands]``: which chat commands that trade or re-arm are allowed."""

    allow_run: bool = Field(default=False, description="let /run start a one-off run")
    allow_resume: bool = Field(default=False, description="let /resume re-arm the breaker")
    approve_max_notional: Positive | None = Field(
        default=None,
        description="/approve (and its button) works for runs trading at most this; none: off",
    )


class DigestConfig(ConfigModel):
    """``[alerts.digest]``: one summary per portfolio a day, at a local time."""

    enabled: bool = Field(default=True, description="send the daily digest")
    at: str = Field(default="08:00", description="local time of day, HH:MM (24 h)")
    timezone: str = Field(default="UTC", description="IANA time zone of `at` (Europe/Zurich)")

    @field_validator("at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _CLOCK_TIME.fullmatch(value):
            raise PydanticCustomError(
                "clock_time", "expected a time of day as HH:MM, got '{value}'", {"value": value}
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "time_zone",
                "expected an IANA time zone such as 'UTC' or 'Europe/Zurich', got '{value}'",
                {"value": value},
            ) from None
        return value


class AlertsConfig(ConfigModel):
    """``[alerts]``: where alerts go, how loud, how often the same one may repeat."""

    dedupe_window_s: Seconds = Field(
        default=300.0, description="the same alert is sent at most once per this window"
    )
    levels: Levels = Field(
        default_factory=dict, description="per event name, for every sink: on, silent, off"
    )
    commands: CommandsConfig = Field(default_factory=CommandsConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    telegram: TelegramConfig | None = Field(default=None, description="omit: no Telegram")
    slack: SlackConfig | None = Field(default=None, description="omit: no Slack")
    webhook: WebhookConfig | None = Field(default=None, description="omit: no webhook")

    @property
    def any_sink(self) -> bool:
        """True when at least one sink is configured."""
        return any(sink is not None for sink in (self.telegram, self.slack, self.webhook))
