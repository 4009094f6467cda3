"""Daemon-wide tables: ``[risk]``, ``[daemon]`` and ``[market_data]``."""

from __future__ import annotations

import enum
from decimal import Decimal
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator

from rebalancer.settings.fields import ConfigModel, ConfigPath, Positive, Seconds, rules_error

DATABASE_FILE = "rebalancer.sqlite"


class LogFormat(enum.StrEnum):
    """How log lines are written."""

    TEXT = "text"
    JSON = "json"


class RiskConfig(ConfigModel):
    """``[risk]``: the limits behind the circuit breaker (notionals in each portfolio's quote)."""

    max_notional_per_run: Positive | None = Field(
        default=None, description="refuse a plan trading more than this (none: no limit)"
    )
    max_notional_per_day: Positive | None = Field(
        default=None, description="halt once a UTC day's trading passes this (none: no limit)"
    )
    max_price_jump_percent: Positive = Field(
        default=Decimal(15), description="a price moving more than this between snapshots halts"
    )
    max_cross_venue_deviation_percent: Positive = Field(
        default=Decimal(2), description="mids of one asset across venues may differ this much"
    )
    max_slippage_percent: Positive = Field(
        default=Decimal(1), description="a fill this much worse than expected trips the breaker"
    )
    failures_to_trip: int = Field(
        default=3, ge=1, description="consecutive failed runs or orders before the breaker halts"
    )

    @model_validator(mode="after")
    def _day_covers_run(self) -> Self:
        per_run, per_day = self.max_notional_per_run, self.max_notional_per_day
        if per_run is not None and per_day is not None and per_run > per_day:
            raise rules_error([("max_notional_per_run", "is larger than max_notional_per_day")])
        return self


class DaemonConfig(ConfigModel):
    """``[daemon]``: where state lives and how the service loop behaves."""

    state_dir: ConfigPath = Field(
        default=Path("state"),
        validate_default=True,
        description="database, lock file and runtime state; relative to the config file",
    )
    check_interval_s: Seconds = Field(
        default=60.0, description="how often each portfolio is checked for drift and schedule"
    )
    log_format: LogFormat = Field(default=LogFormat.TEXT, description="text | json")
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL; default: a SQLite file in state_dir (may hold a password)",
    )
    shutdown_grace_s: float = Field(
        default=30.0, ge=0, description="on SIGTERM, how long in-flight work may take to finish"
    )
    misfire_grace_s: int = Field(
        default=300, ge=1, description="a scheduled check this late still runs (APScheduler)"
    )
    request_poll_s: float = Field(
        default=0.25,
        gt=0,
        le=5,
        description="how often the daemon looks for run requests and approvals to act on",
    )

    def effective_database_url(self) -> str:
        """The database to use: ``database_url`` if set, else SQLite in ``state_dir``."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{self.state_dir / DATABASE_FILE}"


class MarketDataConfig(ConfigModel):
    """``[market_data]``: how fresh prices and balances must be, and how feeds recover."""

    max_age_s: Seconds = Field(
        default=30.0, description="older prices or balances make the venue not ready"
    )
    stream_silent_after_s: Seconds = Field(
        default=10.0, description="a websocket quiet this long falls back to REST polling"
    )
    rest_poll_interval_s: Seconds = Field(
        default=5.0, description="REST polling interval while a stream is silent"
    )
    reconnect_initial_backoff_s: Seconds = Field(
        default=1.0, description="first wait before reconnecting a stream"
    )
    reconnect_max_backoff_s: Seconds = Field(
        default=60.0, description="the backoff doubles up to this"
    )

    @model_validator(mode="after")
    def _fresh_enough(self) -> Self:
        problems: list[tuple[str, str]] = []
        if self.stream_silent_after_s >= self.max_age_s:
            problems.append(
                ("stream_silent_after_s", "must be less than max_age_s, or data goes stale first")
            )
        if self.rest_poll_interval_s >= self.max_age_s:
            problems.append(
                ("rest_poll_interval_s", "must be less than max_age_s, or polled data is stale")
            )
        if self.reconnect_initial_backoff_s > self.reconnect_max_backoff_s:
            problems.append(
                ("reconnect_initial_backoff_s", "must not exceed reconnect_max_backoff_s")
            )
        if problems:
            raise rules_error(problems)
        return self
