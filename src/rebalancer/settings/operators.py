"""How people reach the daemon and it reaches them: ``[api]`` and ``[alerts]``.

Tokens and webhook URLs are secrets (``SecretStr``) and normally come from the environment:
``REBALANCER_API__TOKEN``, ``REBALANCER_ALERTS__TELEGRAM__BOT_TOKEN``,
``REBALANCER_ALERTS__SLACK__WEBHOOK_URL``.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from rebalancer.settings.fields import ConfigModel, Seconds, rules_error


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


class TelegramConfig(ConfigModel):
    """``[alerts.telegram]``: a bot that sends alerts and takes commands from listed chats."""

    bot_token: SecretStr = Field(description="the bot's token (from the environment)")
    chat_ids: tuple[int, ...] = Field(
        min_length=1, description="chats that receive alerts; the only ones whose commands count"
    )


class SlackConfig(ConfigModel):
    """``[alerts.slack]``: an incoming webhook that receives alerts."""

    webhook_url: SecretStr = Field(description="the incoming webhook URL (from the environment)")


class AlertsConfig(ConfigModel):
    """``[alerts]``: where alerts go and how often the same one may repeat."""

    dedupe_window_s: Seconds = Field(
        default=300.0, description="the same alert is sent at most once per this window"
    )
    telegram: TelegramConfig | None = Field(default=None, description="omit: no Telegram")
    slack: SlackConfig | None = Field(default=None, description="omit: no Slack")
