"""``[backtest]``: what history does not record, for ``rebalancer backtest``.

The portfolio's own table (weights, bands, calendar, cooldown, rebalance_to, limits, venues) is
replayed as the daemon reads it; this table adds the money it starts with, each venue's fee, a
spread model, the market rules (a Binance ``exchangeInfo`` file the user points at), what
happens to a delisted coin's weight, and cash brought in or taken out on dates. Transfers
between venues follow the config's ``[[routes]]`` (fee, minimum, ``eta_s``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Self

from pydantic import Field, model_validator

from rebalancer.domain.policy import CalendarEvery
from rebalancer.settings.fields import (
    ConfigModel,
    ConfigPath,
    Dec,
    Name,
    NonNegative,
    Positive,
    rules_error,
)

DEFAULT_FEE = Decimal("0.001")  # Binance's standard spot fee, 0.1 %


class SpreadKind(enum.StrEnum):
    """How a bar's bid-ask spread is modelled."""

    FIXED = "fixed"
    RANGE = "range"


class SpreadConfig(ConfigModel):
    """``[backtest.spread]``: the bid-ask spread each bar's fills cross (half of it per fill)."""

    model: SpreadKind = Field(
        default=SpreadKind.FIXED,
        description='"fixed": bps on every bar; "range": fraction x (high - low) / close',
    )
    bps: NonNegative = Field(default=Decimal(5), description="fixed: the full spread in bps")
    fraction: NonNegative = Field(
        default=Decimal("0.05"), description="range: the share of the bar's relative range"
    )
    min_bps: NonNegative = Field(default=Decimal(1), description="range: never below this")


class OnDelistingChoice(enum.StrEnum):
    """Where a coin's target goes while it has no market (delisted, or not listed yet)."""

    CASH = "cash"
    OTHERS = "others"


class OnBreakerChoice(enum.StrEnum):
    """What happens when the daemon's circuit breaker trips during a backtest."""

    RESUME = "resume"
    STOP = "stop"


class MarketRules(ConfigModel):
    """``[backtest.rules."BASE/QUOTE"]``: one market's rules, when no exchangeInfo lists it."""

    amount_step: NonNegative
    min_amount: NonNegative
    min_notional: NonNegative
    price_tick: NonNegative = Decimal(0)


class CashFlowConfig(ConfigModel):
    """``[[backtest.cash_flows]]``: money in (positive) or out (negative), once or on a calendar."""

    amount: Dec = Field(description="quote amount: positive is a deposit, negative a withdrawal")
    at: date | None = Field(default=None, description="once, at 00:00 UTC of this date")
    every: CalendarEvery | None = Field(default=None, description="or repeatedly: weekly ...")
    day: str = Field(default="1", description="the calendar's day, as for [portfolios.P.calendar]")
    venue: Name | None = Field(default=None, description="where; default the first venue")

    @model_validator(mode="after")
    def _once_or_repeated(self) -> Self:
        if (self.at is None) == (self.every is None):
            raise rules_error([("", "give either at (one date) or every (a calendar)")])
        if self.amount == 0:
            raise rules_error([("amount", "must not be zero")])
        return self


class BacktestConfig(ConfigModel):
    """``[backtest]``: the parts of the world a backtest is told (see the module doc)."""

    start_value: Positive = Field(
        default=Decimal(100000), description="quote cash the portfolio starts with"
    )
    start_split: Mapping[Name, NonNegative] = Field(
        default_factory=dict, description="venue -> share of the start value (default even)"
    )
    fees: Mapping[Name, NonNegative] = Field(
        default_factory=dict, description="venue -> fee rate (0.001 is 0.1 %), default 0.001"
    )
    spread: SpreadConfig = Field(default_factory=SpreadConfig)
    exchange_info: tuple[ConfigPath, ...] = Field(
        default=(), description="Binance exchangeInfo JSON files: real lot steps and minimums"
    )
    rules: Mapping[str, MarketRules] = Field(
        default_factory=dict, description="market rules by symbol, before exchange_info"
    )
    on_delisting: OnDelistingChoice = Field(
        default=OnDelistingChoice.CASH, description='"cash" or "others": where its weight goes'
    )
    on_breaker: OnBreakerChoice = Field(
        default=OnBreakerChoice.RESUME,
        description='"resume": re-arm it at the next bar and report the trip; "stop"',
    )
    cash_flows: tuple[CashFlowConfig, ...] = Field(default=())

    @model_validator(mode="after")
    def _split_is_whole(self) -> Self:
        if self.start_split and sum(self.start_split.values(), Decimal(0)) != 1:
            raise rules_error([("start_split", "the shares must sum to exactly 1")])
        return self
