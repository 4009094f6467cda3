"""What a run asks of the optimiser: destination bands and run-type specific aims.

All weights here are fractions of portfolio value (0.4 is 40 %). The *trigger band* is the
policy's drift band; the *destination band* is where the plan aims, narrowed by a margin so
that lot rounding cannot push a weight back out:

    margin = max(band_margin_percent % of the band's half-width, one lot per market of the
    asset, valued at its ask, as a fraction of W), capped at 45 % of the half-width.

``band_edge`` aims at the destination band (least turnover); ``target`` also pulls each asset
into a tube of one rounding margin around its target, as a softer aim than the band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.core.planner.problem import Problem
from rebalancer.domain.money import HUNDRED, ONE, ZERO
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import BandType, Policy, RebalanceTo

MARGIN_CAP = Decimal("0.45")


@dataclass(frozen=True, slots=True)
class Band:
    """A closed interval of weights, as fractions of portfolio value."""

    lower: Decimal
    upper: Decimal

    def contains(self, weight: Decimal) -> bool:
        """True when ``weight`` lies inside (edges included)."""
        return self.lower <= weight <= self.upper


@dataclass(frozen=True, slots=True)
class Goal:
    """The aims of one run; the model turns each into constraints and penalties."""

    run_type: RunType
    allow_buys: bool = True
    allow_sells: bool = True
    destination: Mapping[str, Band] = field(default_factory=dict)  # kept at a high penalty
    tube: Mapping[str, Band] = field(default_factory=dict)  # target mode: a softer pull
    invest_budget: Decimal | None = None  # invest_cash: most quote the buys may spend
    withdraw_amount: Decimal | None = None  # withdraw: quote to hold after the plan
    targets: Mapping[str, Decimal] = field(default_factory=dict)  # fractions


def trigger_band(policy: Policy, asset: str) -> Band:
    """The policy's drift band of ``asset`` as fractions (the target itself without a band)."""
    target = policy.weights.get(asset, ZERO) / HUNDRED
    band = policy.drift_band
    if band is None:
        return Band(target, target)
    percent = band.percent_for(asset) / HUNDRED
    width = percent if band.type is BandType.ABSOLUTE else target * percent
    return Band(max(ZERO, target - width), min(ONE, target + width))


def rounding_margin(problem: Problem, asset: str) -> Decimal:
    """One lot on every market of ``asset``, valued at the ask, as a fraction of W."""
    if problem.total <= 0:
        return ZERO
    lots = sum((m.rules.amount_step * m.quote.ask for m in problem.markets_of(asset)), ZERO)
    return lots / problem.total


def destination_band(problem: Problem, policy: Policy, asset: str, *, lots: bool = True) -> Band:
    """The trigger band narrowed by the margin kept free for rounding (``lots`` off: only the
    policy's ``band_margin_percent``)."""
    band = trigger_band(policy, asset)
    half = (band.upper - band.lower) / 2
    margin = half * policy.constraints.band_margin_percent / HUNDRED
    if lots:
        margin = max(margin, rounding_margin(problem, asset))
    margin = min(margin, half * MARGIN_CAP)
    lower = band.lower + margin if band.lower > 0 else band.lower
    upper = band.upper - margin if band.upper < ONE else band.upper
    return Band(lower, upper)


def targets_of(policy: Policy) -> dict[str, Decimal]:
    """The policy's targets as fractions."""
    return {asset: policy.weights.get(asset, ZERO) / HUNDRED for asset in policy.assets}


def goal_for(
    problem: Problem,
    policy: Policy,
    run_type: RunType,
    amount: Decimal | None,
    *,
    lots: bool = True,
) -> Goal:
    """Translate a run type (and its amount) into the optimiser's aims."""
    targets = targets_of(policy)
    movable = [a for a in problem.assets if problem.tradable(a)]
    if run_type is RunType.LIQUIDATE:
        flat = {a: Band(ZERO, ZERO) for a in movable if a != problem.quote}
        return Goal(run_type, allow_buys=False, destination=flat, targets=targets)
    if run_type is RunType.INVEST_CASH:
        cash = sum((problem.held(problem.quote, v) for v in problem.venues), ZERO)
        budget = max(ZERO, cash - targets.get(problem.quote, ZERO) * problem.total)
        return Goal(run_type, allow_sells=False, invest_budget=budget, targets=targets)
    if run_type is RunType.WITHDRAW:
        return Goal(run_type, withdraw_amount=amount or ZERO, targets=targets)
    destination: dict[str, Band] = {}
    if policy.drift_band is not None:  # calendar-only portfolios have no band, only targets
        destination = {a: destination_band(problem, policy, a, lots=lots) for a in movable}
    tube: dict[str, Band] = {}
    if policy.rebalance_to is RebalanceTo.TARGET or policy.drift_band is None:
        for asset in movable:
            margin = rounding_margin(problem, asset) if lots else ZERO
            target = targets[asset]
            tube[asset] = Band(max(ZERO, target - margin), min(ONE, target + margin))
    return Goal(run_type, destination=destination, tube=tube, targets=targets)
