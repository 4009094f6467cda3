"""Drift: how far each asset's weight has moved from its target, and whether its band is breached.

A band is measured in one of two ways (``DriftBand.type``):

* absolute: breached when ``|w - t| > p`` percentage points;
* relative: breached when ``|w - t| / t > p %`` of the target. A zero target has no band at
  all (edges 0 and 100): relative drift from zero is undefined, so such an asset, typically
  the cash of a portfolio that holds none, never triggers a rebalance.

Band edges are clamped to [0, 100]; since a weight can never leave that range, clamping never
changes whether a weight breaches. A weight exactly on an edge is inside. A portfolio without a
drift band never breaches (it is calendar-only) and its edges collapse onto the target, which is
where the planner moves it. An empty portfolio (total value zero) breaches nothing: there is
nothing to trade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.core.valuation import Valuation, value_portfolio
from rebalancer.domain.money import HUNDRED, ZERO
from rebalancer.domain.policy import BandType, DriftBand, Policy
from rebalancer.domain.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class AssetDrift:
    """One asset's weight against its target and band, all in percent of portfolio value."""

    asset: str
    weight: Decimal
    target: Decimal
    lower: Decimal
    upper: Decimal
    breached: bool

    @property
    def drift(self) -> Decimal:
        """Weight minus target, in percentage points (positive when overweight)."""
        return self.weight - self.target


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Every targeted asset's drift, in asset order, with the portfolio value it was measured at."""

    portfolio: str
    total: Decimal
    assets: tuple[AssetDrift, ...]

    @property
    def breached(self) -> tuple[str, ...]:
        """The assets outside their band, in asset order."""
        return tuple(item.asset for item in self.assets if item.breached)

    @property
    def any_breached(self) -> bool:
        """True when at least one asset is outside its band."""
        return any(item.breached for item in self.assets)

    def for_asset(self, asset: str) -> AssetDrift:
        """The drift of ``asset`` (KeyError when the policy does not target it)."""
        for item in self.assets:
            if item.asset == asset:
                return item
        raise KeyError(asset)

    def by_asset(self) -> Mapping[str, AssetDrift]:
        """The drifts keyed by asset."""
        return {item.asset: item for item in self.assets}


def band_edges(policy: Policy, asset: str) -> tuple[Decimal, Decimal]:
    """The (lower, upper) weight in percent inside which ``asset`` is not rebalanced.

    The planner moves a breached asset to the nearer edge (``rebalance_to = band_edge``) or to
    the target. Without a drift band both edges are the target.
    """
    return _edges(policy.drift_band, asset, policy.weights.get(asset, ZERO))


def _edges(band: DriftBand | None, asset: str, target: Decimal) -> tuple[Decimal, Decimal]:
    if band is None:
        return target, target
    if band.type is BandType.RELATIVE and target == ZERO:
        return ZERO, HUNDRED  # no band: relative drift from zero is undefined
    percent = band.percent_for(asset)
    width = percent if band.type is BandType.ABSOLUTE else target * percent / HUNDRED
    lower, upper = target - width, target + width
    return (lower if lower > ZERO else ZERO), (upper if upper < HUNDRED else HUNDRED)


def is_outside(weight: Decimal, edges: tuple[Decimal, Decimal]) -> bool:
    """True when ``weight`` lies strictly outside the closed band ``edges``."""
    lower, upper = edges
    return weight < lower or weight > upper


def measure_drift(valuation: Valuation, policy: Policy) -> DriftReport:
    """Compare each targeted asset's weight in ``valuation`` with its band under ``policy``."""
    # Runs on every quote update, so the per-asset steps are inlined: the same arithmetic as
    # ``Valuation.weight_percent``, ``band_edges`` and ``is_outside``.
    band, weights = policy.drift_band, policy.weights
    values, total = valuation.values, valuation.total
    can_breach = band is not None and total > 0
    items: list[AssetDrift] = []
    for asset in policy.assets:
        weight = values.get(asset, ZERO) * HUNDRED / total if total != 0 else ZERO
        target = weights[asset]
        lower, upper = _edges(band, asset, target)
        breached = can_breach and (weight < lower or weight > upper)
        items.append(AssetDrift(asset, weight, target, lower, upper, breached))
    return DriftReport(policy.name, total, tuple(items))


def drift_of_snapshot(snapshot: Snapshot, policy: Policy) -> DriftReport:
    """Value the policy's assets on its venues in ``snapshot`` and measure their drift."""
    valuation = value_portfolio(snapshot, policy.quote, policy.venues, policy.assets)
    return measure_drift(valuation, policy)
