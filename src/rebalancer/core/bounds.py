"""The physical limits a plan is measured against (docs/planner.md, "How good it is").

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

from rebalancer.core.planner.goals import Band, RunAsk, destination_band, goal_for
from rebalancer.core.planner.model import Settings, build_model
from rebalancer.core.planner.problem import build_problem
from rebalancer.core.planner.solve import solve_model
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
    """The reference optimum: its cost (docs/formats.md terms) and whether bands were met."""

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
    goal = goal_for(problem, policy, RunAsk(run_type, amount), lots=settings.lot_margins)
    model = build_model(problem, goal, policy.constraints, settings)
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


def independent_optimum(snapshot: Snapshot, policy: Policy, settings: Settings = EXACT) -> Optimum:
    """A second, separately written formulation of a ``full`` run, for cross-checking.

    Simpler than the planner's model and a relaxation of it: explicit final balances per
    (asset, venue) that only have to end non-negative (no schedule-safety rows), loose big-Ms,
    exchange minimums without rounding room, hard destination bands (policy margin only). It
    ignores reserves, forbidden assets, trade limits and slicing, so use it on policies without
    those. Its optimum is a lower bound on the cost of any plan reaching those bands; the status
    says "Infeasible" when no plan can.
    """
    from rebalancer.core.planner.milp import LinearModel

    problem = build_problem(snapshot, policy)
    lp = LinearModel()
    big = float(problem.total) * 2 + 1.0
    final = {(a, v): lp.add_var() for a in problem.assets for v in problem.venues}
    change: dict[tuple[str, str], dict[int, float]] = {
        key: {var: 1.0} for key, var in final.items()
    }
    cost_terms: list[tuple[int, float]] = []
    for market in problem.markets:
        for side, rate, cash in (
            ("buy", market.buy_cost(), -market.buy_cash()),
            ("sell", market.sell_cost(), market.sell_cash()),
        ):
            fill = market.quote.ask if side == "buy" else market.quote.bid
            rules = market.rules
            floor = float(max(rules.min_amount, rules.min_notional / fill) * market.price)
            amount, active = lp.add_var(rate), lp.add_var(0.0, 1.0, integer=True)
            cost_terms.append((amount, rate))
            lp.add_row({amount: 1.0, active: -big}, upper=0.0)
            lp.add_row({amount: 1.0, active: -floor}, lower=0.0)
            sign = 1.0 if side == "buy" else -1.0
            # final = held + bought - sold (base); final = held + cash flows (quote)
            change[(market.asset, market.venue)][amount] = -sign
            change[(problem.quote, market.venue)][amount] = -cash
    fixed_costs: list[tuple[int, float]] = []
    for route in problem.routes:
        mid = float(problem.price(route.asset))
        fee = float(route.fee) * mid
        sent, used = lp.add_var(0.0), lp.add_var(fee, 1.0, integer=True)
        fixed_costs.append((used, fee))
        lp.add_row({sent: 1.0, used: -big}, upper=0.0)
        lp.add_row({sent: 1.0, used: -float(max(route.min_amount, route.fee)) * mid}, lower=0.0)
        change[(route.asset, route.source)][sent] = 1.0
        target = change[(route.asset, route.destination)]
        target[sent] = target.get(sent, 0.0) - 1.0
        target[used] = target.get(used, 0.0) + fee
    for (asset, venue), terms in change.items():
        now = float(problem.held(asset, venue) * problem.price(asset))
        lp.add_row(terms, lower=now, upper=now)
    total = lp.add_var(0.0)
    fixed = {a: float(problem.fixed_value(a)) for a in problem.assets}
    row = {total: 1.0} | dict.fromkeys(final.values(), -1.0)
    lp.add_row(row, lower=sum(fixed.values()), upper=sum(fixed.values()))
    for asset in problem.assets:
        if not problem.tradable(asset):
            continue
        band = destination_band(problem, policy, asset, lots=False)
        position = {final[(asset, v)]: 1.0 for v in problem.venues}
        lp.add_row(position | {total: -float(band.lower)}, lower=-fixed[asset])
        lp.add_row(position | {total: -float(band.upper)}, upper=-fixed[asset])
    solution = lp.solve(time_limit_s=settings.time_limit_s, mip_rel_gap=settings.mip_rel_gap)
    if solution.status != "Optimal":
        return Optimum(float("nan"), float("nan"), solution.status, solution.mip_gap)
    cost = sum(rate * solution[var] for var, rate in cost_terms)
    cost += sum(fee * round(solution[var]) for var, fee in fixed_costs)
    return Optimum(cost, 0.0, solution.status, solution.mip_gap)
