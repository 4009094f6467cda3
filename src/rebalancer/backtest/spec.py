"""What a backtest is given: the parts of the world history does not record, as plain values.

The command line reads them from the config's ``[backtest]`` table (services and the backtest
never read the config themselves); the portfolio's own policy and execution settings come from
its ``[portfolios.P]`` table exactly as the daemon reads them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from rebalancer.core.breaker import BreakerLimits
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.market import Market
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Route
from rebalancer.services.execution_settings import ExecutionSettings

BPS_PER_UNIT = Decimal(10_000)


class OnDelisting(enum.StrEnum):
    """Where the target weight of an asset without a market goes (delisted or not yet listed)."""

    CASH = "cash"  # to the quote asset
    OTHERS = "others"  # to the other assets, in proportion to their targets


class OnBreaker(enum.StrEnum):
    """What the backtest does when the daemon's circuit breaker trips."""

    RESUME = "resume"  # re-arm it at the next bar (as a person would), and count the trip
    STOP = "stop"  # leave it tripped: the portfolio is not traded any more


@dataclass(frozen=True, slots=True)
class SpreadModel:
    """The bid-ask spread of each bar, in basis points of the mid.

    ``fixed_bps`` for every bar, or ``range_fraction`` of the bar's high-low range relative to
    its close (a wide, volatile bar has a wide spread), never below ``min_bps``.
    """

    fixed_bps: Decimal | None = Decimal(5)
    range_fraction: Decimal | None = None
    min_bps: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if (self.fixed_bps is None) == (self.range_fraction is None):
            raise InvalidValue("spread: give either fixed_bps or range_fraction")
        for name in ("fixed_bps", "range_fraction", "min_bps"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidValue(f"spread.{name}: must not be negative")

    def describe(self) -> str:
        """The model in words, for the report."""
        if self.fixed_bps is not None:
            return f"fixed {self.fixed_bps} bps"
        return f"{self.range_fraction} x the bar's high-low range (at least {self.min_bps} bps)"


@dataclass(frozen=True, slots=True)
class CashFlow:
    """Money the owner brings in (positive) or takes out (negative) at a moment."""

    at: datetime
    amount: Decimal
    venue: str | None = None  # where deposits land / withdrawals are raised (None: the first)


@dataclass(frozen=True, slots=True)
class BacktestSetup:
    """The world the policy is replayed in: money, venues, costs and market rules."""

    start_value: Decimal
    fees: Mapping[str, Decimal]  # venue -> fee rate (0.001 is 0.1 %), maker and taker
    markets: Mapping[str, Market]  # symbol -> real rules (fees here are ignored)
    spread: SpreadModel = field(default_factory=SpreadModel)
    start_split: Mapping[str, Decimal] = field(default_factory=dict)  # venue -> share (sums 1)
    routes: tuple[Route, ...] = ()
    on_delisting: OnDelisting = OnDelisting.CASH
    on_breaker: OnBreaker = OnBreaker.RESUME
    cash_flows: tuple[CashFlow, ...] = ()

    def __post_init__(self) -> None:
        if self.start_value <= 0:
            raise InvalidValue("start_value: must be positive")
        if self.start_split and sum(self.start_split.values(), Decimal(0)) != 1:
            raise InvalidValue("start_split: the shares must sum to 1")


@dataclass(frozen=True, slots=True)
class Scenario:
    """One policy to replay, with how the daemon executes it, and a name for the report."""

    label: str
    policy: Policy
    execution: ExecutionSettings
    breaker: BreakerLimits = field(default_factory=BreakerLimits)
    sell_all: bool = False  # OctoBot's index mode: each run sells everything, then buys back
