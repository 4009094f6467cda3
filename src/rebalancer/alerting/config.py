"""The alert sinks' settings as plain values (the runtime copies them from ``[alerts]``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rebalancer.alerting.hints import Guards
from rebalancer.alerting.levels import Level


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """``[alerts.telegram]``."""

    token: str
    chat_ids: tuple[int, ...]
    api_url: str
    commands: bool = True
    levels: Mapping[str, Level] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """``[alerts.slack]``: a bot (``bot_token``, ``channel_ids``, ``app_token`` for commands)
    or a send-only ``webhook_url``."""

    api_url: str
    webhook_url: str | None = None
    bot_token: str | None = None
    app_token: str | None = None
    channel_ids: tuple[str, ...] = ()
    levels: Mapping[str, Level] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """``[alerts.webhook]``."""

    url: str
    secret: str
    timeout_s: float = 10.0
    levels: Mapping[str, Level] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """``[alerts]``: the sinks, the shared levels, de-duplication and the command guards."""

    dedupe_window_s: float = 300.0
    levels: Mapping[str, Level] = field(default_factory=dict)
    guards: Guards = field(default_factory=Guards)
    telegram: TelegramSettings | None = None
    slack: SlackSettings | None = None
    webhook: WebhookSettings | None = None
