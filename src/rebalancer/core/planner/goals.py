"""What a run asks of the optimiser: destination bands and run-type specific aims.

All weights here are fractions of portfolio value (0.4 is 40 %). The *trigger band* is the
policy's drift band; the *destination band* is where a ``band_edge`` plan aims, inside the
trigger band by a margin, so that the next tick of the market does not push a weight straight
back out (a run per tick) and lot rounding cannot either:

    margin = max(band_edge_margin_percent % of the band's half-width,
                 min(one lot per market of the asset at its ask / W, 45 % of the half-width)).

``band_edge`` aims at the destination band (least turnover); ``target`` also pulls each asset
into a tube of one rounding margin around its target, as a softer aim than the band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.core.planner.amounts import cash_above_target, usable_for_withdrawal
from rebalancer.core.planner.problem import Problem
from rebalancer.domain.money import HUNDRED, ONE, ZERO
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import BandType, Policy, RebalanceTo, SmallTrade

MARGIN_CAP = Decimal("0.45")
# liquidate: a unit of value left unsold costs half a unit. Moving a holding worth f + u to a
# venue that can sell it, for a fee f, then costs f, and leaving it costs (f + u) / 2: the move
# wins exactly when the fee is less than the value u it unlocks. Selling costs far less.
UNSOLD_PENALTY = 0.5


@dataclass(frozen=True, slots=True)
class Band:
    """A closed interval of weights, as fractions of portfolio value."""

    lower: Decimal
    upper: Decimal

    def contains(self, weight: Decimal) -> bool:
        """True when ``weight`` lies inside (edges included)."""
        return self.lower <= weight <= self.upper


@dataclass(frozen=True, slots=True)
class RunAsk:
    """What one run is asked to do: its type, and its amount and venue where it takes them."""

    run_type: RunType
    amount: Decimal | None = None  # withdraw: cash to raise; invest_cash: cash to spend
    venue: str | None = None  # withdraw: where the cash must be (None: anywhere)
    partial: bool = False  # an amount above what the holdings allow: do the most instead
    hard: bool = False  # withdraw: the amount is a must, however much a minimum order over-raises


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A withdraw run's aim: ``amount`` of quote free to pay out, on ``venue`` or anywhere."""

    amount: Decimal  # what the model aims at (the planner adds any shortfall rounding left)
    venue: str | None
    usable_cash: Decimal  # most of the cash held now it may take (all but the reserves)
    hard: bool = False  # raise the amount at any over-raise (a minimum order far above it)


@dataclass(frozen=True, slots=True)
class Goal:
    """The aims of one run; the model turns each into constraints and penalties."""

    run_type: RunType
    allow_buys: bool = True
    allow_sells: bool = True
    destination: Mapping[str, Band] = field(default_factory=dict)  # kept at a high penalty
    tube: Mapping[str, Band] = field(default_factory=dict)  # target mode: a softer pull
    invest: Decimal | None = None  # invest_cash: quote the buys spend
    withdrawal: Withdrawal | None = None  # withdraw: the cash to raise
    unsold_penalty: float | None = None  # liquidate: per USD left unsold (else a band's)
    targets: Mapping[str, Decimal] = field(default_factory=dict)  # fractions
    policy_minimums: bool = True  # orders at least min_trade_notional (False: exchange's only)
    excluded: frozenset[tuple[str, str, str]] = frozenset()  # (venue, symbol, side) left out


def half_width(policy: Policy, asset: str) -> Decimal:
    """The band's half-width as a fraction (before clamping to [0, 1]); 0 without a band."""
    band = policy.drift_band
    if band is None:
        return ZERO
    percent = band.percent_for(asset) / HUNDRED
    if band.type is BandType.ABSOLUTE:
        return percent
    return policy.weights.get(asset, ZERO) / HUNDRED * percent


def trigger_band(policy: Policy, asset: str) -> Band:
    """The policy's drift band of ``asset`` as fractions (the target itself without a band)."""
    target = policy.weights.get(asset, ZERO) / HUNDRED
    band = policy.drift_band
    if band is None:
        return Band(target, target)
    if band.type is BandType.RELATIVE and target == ZERO:
        return Band(ZERO, ONE)  # no band (core.drift): anything goes, reported when held
    width = half_width(policy, asset)
    return Band(max(ZERO, target - width), min(ONE, target + width))


def rounding_margin(problem: Problem, asset: str) -> Decimal:
    """One lot on every market of ``asset``, valued at the ask, as a fraction of W."""
    if problem.total <= 0:
        return ZERO
    lots = sum((m.rules.amount_step * m.quote.ask for m in problem.markets_of(asset)), ZERO)
    return lots / problem.total


def destination_band(problem: Problem, policy: Policy, asset: str, *, lots: bool = True) -> Band:
    """The trigger band narrowed to where a ``band_edge`` run lands: the policy's
    ``band_edge_margin_percent`` of the half-width inside each edge, or, when larger, room for
    one lot of rounding (at most ``MARGIN_CAP`` of the half-width; ``lots`` off: no lot room)."""
    band = trigger_band(policy, asset)
    if band.lower == ZERO and band.upper == ONE:
        return band
    half = half_width(policy, asset)
    margin = half * policy.band_edge_margin_percent / HUNDRED
    if lots:
        margin = max(margin, min(rounding_margin(problem, asset), half * MARGIN_CAP))
    lower = band.lower + margin if band.lower > 0 else band.lower
    upper = band.upper - margin if band.upper < ONE else band.upper
    return Band(lower, max(upper, lower))


def targets_of(policy: Policy) -> dict[str, Decimal]:
    """The policy's targets as fractions."""
    return {asset: policy.weights.get(asset, ZERO) / HUNDRED for asset in policy.assets}


def goal_for(problem: Problem, policy: Policy, ask: RunAsk, *, lots: bool = True) -> Goal:
    """Translate a run type (and its amount, and venue) into the optimiser's aims.

    ``liquidate``: nothing left but cash, a unit of value left unsold costing half a unit (so
    no fee above what a move unlocks is paid). ``invest_cash``: buys only, spending ``amount``
    or the cash above its target. ``withdraw``: sells only, ``amount`` free to pay out. ``full``:
    destination bands, and the target tube in target mode.
    """
    targets = targets_of(policy)
    movable = [a for a in problem.assets if problem.tradable(a)]
    run_type, amount = ask.run_type, ask.amount
    if run_type is RunType.LIQUIDATE:
        flat = {a: Band(ZERO, ZERO) for a in movable if a != problem.quote}
        return Goal(
            run_type,
            allow_buys=False,
            destination=flat,
            unsold_penalty=UNSOLD_PENALTY,
            targets=targets,
            policy_minimums=False,
        )
    if run_type is RunType.INVEST_CASH:
        budget = amount if amount is not None else cash_above_target(problem, policy)
        return Goal(run_type, allow_sells=False, invest=budget, targets=targets)
    if run_type is RunType.WITHDRAW:
        usable = usable_for_withdrawal(problem, policy)
        aim = Withdrawal(amount or ZERO, ask.venue, usable, ask.hard)
        return Goal(run_type, allow_buys=False, withdrawal=aim, targets=targets)
    return full_goal(problem, policy, movable, lots=lots)


def full_goal(problem: Problem, policy: Policy, movable: list[str], *, lots: bool) -> Goal:
    """The aims of a ``full`` run: destination bands, and the target tube in target mode."""
    targets = targets_of(policy)
    destination: dict[str, Band] = {}
    if policy.drift_band is not None:  # calendar-only portfolios have no band, only targets
        destination = {a: destination_band(problem, policy, a, lots=lots) for a in movable}
    tube: dict[str, Band] = {}
    if policy.rebalance_to is RebalanceTo.TARGET or policy.drift_band is None:
        for asset in movable:
            margin = rounding_margin(problem, asset) if lots else ZERO
            target = targets[asset]
            tube[asset] = Band(max(ZERO, target - margin), min(ONE, target + margin))
    enlarge = policy.constraints.on_small_trade is SmallTrade.ENLARGE
    return Goal(
        RunType.FULL,
        destination=destination,
        tube=tube,
        targets=targets,
        policy_minimums=enlarge,
    )
