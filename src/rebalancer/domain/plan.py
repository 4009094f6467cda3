"""A plan: the orders and transfers that take a portfolio back to its targets, as a DAG.

Its JSON form is docs/formats.md (see ``rebalancer.codecs``). Every node has a stable id and
lists the ids it depends on: sells before buys on a venue, transfers after the trades that fund
them, buys at the destination after the transfer arrives.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.market import OrderSide

PLAN_VERSION = 1


class RunType(enum.StrEnum):
    """What a run is asked to do."""

    FULL = "full"
    INVEST_CASH = "invest_cash"
    WITHDRAW = "withdraw"
    LIQUIDATE = "liquidate"

    @property
    def rebalances(self) -> bool:
        """True for the runs that count as "the last rebalance" for the cooldown and the
        calendar: ``full`` runs, whatever started them (drift, a date, a person's request).

        ``invest_cash``, ``withdraw`` and ``liquidate`` move cash in or out, or end the
        portfolio: they bring no weight back to its target, so neither do they hold back the
        next drift check nor count as a calendar date done.
        """
        return self is RunType.FULL


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """A market order: ``amount`` of base on the step, ``price`` the expected fill."""

    id: str
    venue: str
    symbol: str
    side: OrderSide
    amount: Decimal
    price: Decimal
    depends_on: tuple[str, ...] = ()

    @property
    def notional(self) -> Decimal:
        """amount × price, in the quote asset."""
        return self.amount * self.price


@dataclass(frozen=True, slots=True)
class PlannedTransfer:
    """A withdrawal of ``amount`` from ``source``; ``amount - fee`` arrives at ``destination``."""

    id: str
    asset: str
    network: str
    source: str
    destination: str
    amount: Decimal
    depends_on: tuple[str, ...] = ()
    purpose: str = ""  # why it carries this amount (what it funds), for people


@dataclass(frozen=True, slots=True)
class Residual:
    """Something the plan could not do, and why (below a minimum, no market, unreachable band)."""

    asset: str
    venue: str
    reason: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Plan:
    """The planner's output for one portfolio and one run type."""

    portfolio: str
    run_type: RunType
    orders: tuple[PlannedOrder, ...]
    transfers: tuple[PlannedTransfer, ...]
    estimated_cost: Decimal
    weights_before: Mapping[str, Decimal]
    weights_after: Mapping[str, Decimal]
    residuals: tuple[Residual, ...] = ()
    version: int = PLAN_VERSION
    amount: Decimal | None = None  # the cash this plan raises (withdraw) or spends (invest)

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to do."""
        return not self.orders and not self.transfers
