"""The physical limits a plan is measured against (science.md B4).

* ``turnover_bound``: the closed-form least one-way turnover that reaches a band,
  T* = max(E, D), with E the total weight above the bands and D the total weight below them.
* ``reference_optimum``: the mixed-integer optimum with continuous amounts — the same
  MILP-lite as the planner but with no room kept for rounding, solved to a proven gap of 1e-6
  with a long time limit. Its cost is a lower bound for any plan that keeps the same promises
  (the planner's plan is rounded, so it can sit a little under it too).

Tests and benchmarks report planner cost / optimum and planner turnover / T*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.core.planner.goals import Band, destination_band, goal_for
from rebalancer.core.planner.model import Settings, build_model, solve_model
from rebalancer.core.planner.problem import build_problem
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import ZERO
from rebalancer.domain.plan import Plan, RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Snapshot

EXACT = Settings(time_limit_s=60.0, mip_rel_gap=1e-6, lot_margins=False)


def turnover_bound(weights: Mapping[str, Decimal], bands: Mapping[str, Band]) -> Decimal:
    """T* = max(Σ(w − upper)⁺, Σ(lower − w)⁺) over the banded assets, in weight fractions."""
    excess = sum((max(ZERO, weights.get(a, ZERO) - b.upper) for a, b in bands.items()), ZERO)
    deficit = sum((max(ZERO, b.lower - weights.get(a, ZERO)) for a, b in bands.items()), ZERO)
    return max(excess, deficit)


def destination_bands(snapshot: Snapshot, policy: Policy) -> dict[str, Band]:
    """The bands a ``band_edge`` plan aims at (policy margin only), as fractions."""
    problem = build_problem(snapshot, policy)
    return {a: destination_band(problem, policy, a, lots=False) for a in problem.assets}


def weights_now(snapshot: Snapshot, policy: Policy) -> dict[str, Decimal]:
    """The policy's assets' current weights, as fractions."""
    problem = build_problem(snapshot, policy)
    valuation = problem.valuation
    if valuation.total <= 0:
        return {}
    return {a: valuation.values.get(a, ZERO) / valuation.total for a in problem.assets}


def plan_turnover(plan: Plan, snapshot: Snapshot, policy: Policy) -> Decimal:
    """One-way turnover of a plan, max(bought, sold) at reference mids, as a fraction of W."""
    problem = build_problem(snapshot, policy)
    if problem.total <= 0:
        return ZERO
    bought = sold = ZERO
    for order in plan.orders:
        base = order.symbol.split("/")[0]
        value = order.amount * problem.price(base)
        if order.side is OrderSide.BUY:
            bought += value
        else:
            sold += value
    return max(bought, sold) / problem.total


@dataclass(frozen=True, slots=True)
class Optimum:
    """The reference optimum: its cost (contracts.md §3 terms) and whether bands were met."""

    cost: float
    slack: float  # objective beyond the cost: penalties for what could not be reached
    status: str
    gap: float


def reference_optimum(
    snapshot: Snapshot,
    policy: Policy,
    run_type: RunType = RunType.FULL,
    amount: Decimal | None = None,
    settings: Settings = EXACT,
) -> Optimum:
    """Solve the exact model and price its solution the way a plan is priced."""
    problem = build_problem(snapshot, policy)
    goal = goal_for(problem, policy, run_type, amount, lots=settings.lot_margins)
    model = build_model(problem, goal, policy.constraints, lot_margins=settings.lot_margins)
    solution = solve_model(model, settings, policy.constraints.max_trades_per_run)
    cost = 0.0
    for order in model.orders:
        rate = order.market.buy_cost() if order.side == "buy" else order.market.sell_cost()
        cost += rate * solution[order.amount]
    for route in model.routes:
        cost += float(route.route.fee * problem.price(route.route.asset)) * round(
            solution[route.used]
        )
    return Optimum(cost, solution.objective - cost, solution.status, solution.mip_gap)
