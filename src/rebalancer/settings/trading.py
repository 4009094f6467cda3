"""How a portfolio may trade: plan limits, order execution and when a person must approve."""

from __future__ import annotations

import enum
from decimal import Decimal

from pydantic import Field

from rebalancer.domain.orders import OrderType
from rebalancer.domain.policy import SmallTrade
from rebalancer.settings.fields import ConfigModel, NonNegative, Percent, Positive, Seconds


class OnLimitTimeout(enum.StrEnum):
    """What to do with a limit order still open after ``limit_timeout_s``."""

    REPRICE = "reprice"  # cancel and place again at the current best price
    MARKET = "market"  # cancel and send the rest as a market order


class LimitsConfig(ConfigModel):
    """``[portfolios.NAME.limits]``: what a plan may contain (notionals in the quote asset)."""

    min_trade_notional: NonNegative = Field(
        default=Decimal(0),
        description="no trade worth less than this is sent; on_small_trade says what happens",
    )
    on_small_trade: SmallTrade = Field(
        default=SmallTrade.ENLARGE,
        description='a needed trade under min_trade_notional: "enlarge" it to the minimum '
        '(keeps the band) or "drop" it (reported as a residual)',
    )
    min_trade_percent_of_position: Percent = Field(
        default=Decimal(0), description="skip trades smaller than this percent of the position"
    )
    max_trades_per_run: int | None = Field(
        default=None, ge=1, description="at most this many orders per run (none: no limit)"
    )
    max_order_notional: Positive | None = Field(
        default=None, description="slice orders larger than this (none: no slicing)"
    )


class ExecutionConfig(ConfigModel):
    """``[portfolios.NAME.execution]``: how plans are carried out."""

    order_type: OrderType = Field(default=OrderType.MARKET, description="market | limit")
    limit_timeout_s: Seconds = Field(
        default=60.0, description="how long a limit order may rest before on_limit_timeout"
    )
    on_limit_timeout: OnLimitTimeout = Field(
        default=OnLimitTimeout.REPRICE, description="reprice | market"
    )
    max_reprices: int = Field(
        default=2,
        ge=0,
        description="with reprice: how many times before the rest goes as a market order",
    )
    max_rounds: int = Field(
        default=3, ge=1, description="plan-execute rounds per run before giving up on the residual"
    )
    transfer_timeout_s: Seconds = Field(
        default=7200.0, description="a transfer not arrived after this long fails the run"
    )


class ApprovalConfig(ConfigModel):
    """``[portfolios.NAME.approval]``: when a plan waits for a person before it runs."""

    required_above_notional: NonNegative | None = Field(
        default=None,
        description="plans trading more than this (quote asset) need approval; none: never",
    )
