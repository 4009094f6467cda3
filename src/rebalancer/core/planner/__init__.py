"""The cost-optimal planner: from a snapshot and a policy to a plan (a DAG of orders and
transfers), as a pipeline of named pure stages (docs/planner.md):

    problem → goal → MILP-lite (HiGHS) → ideal trades → lot rounding → slicing
            → minimum filter → cash recompute / repair → DAG → outcome (weights, residuals)

Each stage that drops something records it in the plan's residuals with a reason. Same
input, same plan: every collection is built in sorted order and the ids follow that order.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rebalancer.core.costs import order_cost, transfer_cost
from rebalancer.core.planner.draft import Draft, forwarding_venues
from rebalancer.core.planner.goals import Goal, goal_for
from rebalancer.core.planner.graph import CyclicPlan, build_nodes
from rebalancer.core.planner.ideal import ideal_trades
from rebalancer.core.planner.milp import load_solver
from rebalancer.core.planner.minimums import filter_minimums, policy_problems
from rebalancer.core.planner.model import Settings, build_model
from rebalancer.core.planner.outcome import (
    band_residuals,
    goal_residuals,
    percents,
    untradable_residuals,
    values_after,
    venue_residuals,
)
from rebalancer.core.planner.problem import Problem, build_problem
from rebalancer.core.planner.repair import cash_floors, repair_cash
from rebalancer.core.planner.rounding import round_lots
from rebalancer.core.planner.slicing import slice_orders
from rebalancer.core.planner.solve import solve_model
from rebalancer.domain.errors import PlanningError
from rebalancer.domain.market import Rounding, round_to_step
from rebalancer.domain.money import ZERO
from rebalancer.domain.plan import Plan, Residual, RunType
from rebalancer.domain.policy import Constraints, Policy, SmallTrade
from rebalancer.domain.snapshot import Snapshot

COST_PLACES = Decimal("0.00000001")
DROP_PASSES = 4  # solves at most: each drops the small trades the last one still had

__all__ = ["Settings", "draft_plan", "load_solver", "plan_rebalance"]


def check_request(run_type: RunType, amount: Decimal | None) -> None:
    """Refuse requests that cannot mean anything, naming the field."""
    if run_type is RunType.WITHDRAW and (amount is None or amount <= 0):
        raise PlanningError("amount: a withdraw run needs a positive amount of the quote asset")
    if amount is not None and amount < 0:
        raise PlanningError("amount: must not be negative")


def draft_plan(
    problem: Problem,
    policy: Policy,
    run_type: RunType,
    amount: Decimal | None,
    settings: Settings,
) -> Draft:
    """Run the pipeline up to the finished (rounded, repaired) trades and transfers."""
    goal = goal_for(problem, policy, run_type, amount, lots=settings.lot_margins)
    ideal, dropped = solve_ideal(problem, goal, policy.constraints, settings)
    constraints = policy.constraints
    minimums = run_type is not RunType.LIQUIDATE  # a liquidation sells whatever the venue takes
    draft = round_lots(ideal, problem, liquidate=run_type is RunType.LIQUIDATE)
    draft = slice_orders(draft, constraints.max_order_notional)
    draft = filter_minimums(draft, problem, constraints, policy_minimums=minimums)
    floors = cash_floors(ideal, problem, constraints)
    draft = repair_cash(
        draft,
        problem,
        constraints,
        floors,
        forwarding=settings.pass_through,
        policy_minimums=minimums,
    )
    return draft.with_residuals(*dropped)


def solve_ideal(
    problem: Problem, goal: Goal, constraints: Constraints, settings: Settings
) -> tuple[Draft, list[Residual]]:
    """Solve the model into ideal trades; with ``on_small_trade = "drop"`` (the goal keeps no
    policy minimums) solve again without each market side whose trade came out under them,
    and report those as residuals."""
    dropped: list[Residual] = []
    for _ in range(DROP_PASSES):
        model = build_model(problem, goal, constraints, settings)
        solution = solve_model(model, settings, constraints.max_trades_per_run)
        ideal = ideal_trades(model, solution, problem)
        if goal.policy_minimums or constraints.on_small_trade is not SmallTrade.DROP:
            return ideal, dropped
        small = [t for t in ideal.trades if policy_problems(t, problem, constraints)]
        if not small:
            return ideal, dropped
        for trade in small:
            why = "; ".join(policy_problems(trade, problem, constraints))
            reason = f"{trade.side} dropped: {why} (on_small_trade = drop)"
            step = trade.market.rules.amount_step
            units = (
                round_to_step(trade.amount, step, Rounding.NEAREST) if step > 0 else trade.amount
            )
            dropped.append(Residual(trade.market.asset, trade.market.venue, reason, units))
        sides = {(t.market.venue, t.market.rules.symbol, t.side.value) for t in small}
        goal = replace(goal, excluded=goal.excluded | sides)
    return ideal, dropped


def plan_rebalance(
    snapshot: Snapshot,
    policy: Policy,
    run_type: RunType = RunType.FULL,
    amount: Decimal | None = None,
    *,
    settings: Settings | None = None,
) -> Plan:
    """Plan the cheapest trades and transfers that carry out ``run_type`` for ``policy``.

    Pure and deterministic: the same snapshot and policy give the same plan.
    """
    check_request(run_type, amount)
    problem = build_problem(snapshot, policy)
    settings = settings or Settings()
    draft = draft_plan(problem, policy, run_type, amount, settings)
    try:
        orders, transfers = build_nodes(draft, problem.quote, forwarding_venues(draft, problem))
    except CyclicPlan:  # forwarding closed a loop: plan again with every venue self-funded
        settings = replace(settings, pass_through=False)
        draft = draft_plan(problem, policy, run_type, amount, settings)
        orders, transfers = build_nodes(draft, problem.quote, forwarding_venues(draft, problem))
    mids = {(m.venue, m.rules.symbol): m for m in problem.markets}
    cost = ZERO
    for order in orders:
        market = mids[(order.venue, order.symbol)]
        cost += order_cost(order.amount, order.price, market.quote.mid, market.rules.taker_fee)
    fees = {t.route.key: t.route.fee for t in draft.transfers}
    for transfer in transfers:
        key = f"{transfer.asset}:{transfer.network}:{transfer.source}>{transfer.destination}"
        cost += transfer_cost(fees[key], problem.price(transfer.asset))
    after = values_after(draft, problem)
    residuals = (
        list(untradable_residuals(problem))
        + list(draft.residuals)
        + goal_residuals(draft, problem, run_type, amount)
        + venue_residuals(draft, problem, policy)
    )
    if run_type is RunType.FULL:
        residuals += band_residuals(after, problem, policy)
    return Plan(
        portfolio=policy.name,
        run_type=run_type,
        orders=orders,
        transfers=transfers,
        estimated_cost=cost.quantize(COST_PLACES) if cost else ZERO,
        weights_before=percents(problem.valuation.values),
        weights_after=percents(after),
        residuals=tuple(residuals),
    )
