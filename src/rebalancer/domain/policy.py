"""A portfolio's policy: what it should hold and how the planner may get there.

Built from the config (``rebalancer.settings``) and consumed by the pure core. Percents are kept
as percents (``Decimal("40")`` is 40 %), exactly as the trader wrote them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal


class BandType(enum.StrEnum):
    """How drift is measured against the band."""

    ABSOLUTE = "absolute"  # |w - t| > p (percentage points)
    RELATIVE = "relative"  # |w - t| / t > p (percent of the target)


class RebalanceTo(enum.StrEnum):
    """Where a drifted asset is moved: to its target, or only to the edge of its band."""

    TARGET = "target"
    BAND_EDGE = "band_edge"


class SmallTrade(enum.StrEnum):
    """What the planner does with a trade a band needs that is under ``min_trade_notional``."""

    ENLARGE = "enlarge"  # trade the minimum instead, so the band is kept
    DROP = "drop"  # leave it out (reported as a residual); the band may stay broken


class CalendarEvery(enum.StrEnum):
    """How often a calendar rebalance is due."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"


@dataclass(frozen=True, slots=True)
class DriftBand:
    """The tolerance around each target; ``per_asset`` overrides ``percent`` for some assets."""

    type: BandType
    percent: Decimal
    per_asset: Mapping[str, Decimal] = field(default_factory=dict)

    def percent_for(self, asset: str) -> Decimal:
        """The band percent that applies to ``asset``."""
        return self.per_asset.get(asset, self.percent)


@dataclass(frozen=True, slots=True)
class CalendarRule:
    """When a calendar rebalance is due.

    ``day`` is a weekday name for weekly, 1..31 for monthly/quarterly, and "MM-DD" for annually.
    ``months`` lists the months a quarterly rule fires in.
    """

    every: CalendarEvery
    day: str
    months: tuple[int, ...] = (1, 4, 7, 10)


@dataclass(frozen=True, slots=True)
class Constraints:
    """Limits on what a plan may contain. Notionals are in the portfolio's quote asset."""

    min_trade_notional: Decimal = Decimal(0)
    min_trade_percent_of_position: Decimal = Decimal(0)
    max_trades_per_run: int | None = None
    max_order_notional: Decimal | None = None
    cash_reserve: Mapping[str, Decimal] = field(default_factory=dict)  # venue -> quote amount
    forbidden_assets: Mapping[str, frozenset[str]] = field(default_factory=dict)  # venue -> assets
    on_small_trade: SmallTrade = SmallTrade.ENLARGE


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything the planner and the triggers need to know about one portfolio."""

    name: str
    quote: str
    venues: tuple[str, ...]
    weights: Mapping[str, Decimal]  # percent, sums to 100, includes the quote asset (cash)
    rebalance_to: RebalanceTo = RebalanceTo.BAND_EDGE
    drift_band: DriftBand | None = None
    calendar: CalendarRule | None = None
    cooldown_days: int = 0
    constraints: Constraints = field(default_factory=Constraints)
    # band_edge runs land this share of each band's half-width inside its edge (percent)
    band_edge_margin_percent: Decimal = Decimal(20)
    # a run to target is done when every weight is within this many points of its target
    target_tolerance_percent: Decimal = Decimal("0.5")

    @property
    def assets(self) -> tuple[str, ...]:
        """Every asset with a target, in a stable (sorted) order."""
        return tuple(sorted(self.weights))
