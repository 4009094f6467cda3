"""The pipeline up to finished trades and transfers: goal, model, solve, round, slice, filter,
repair (the stages are described in the package docstring)."""

from __future__ import annotations

from dataclasses import replace

from rebalancer.core.planner.draft import Draft
from rebalancer.core.planner.goals import Goal, RunAsk, goal_for
from rebalancer.core.planner.ideal import ideal_trades
from rebalancer.core.planner.minimums import filter_minimums, policy_problems
from rebalancer.core.planner.model import Settings, build_model
from rebalancer.core.planner.problem import Problem
from rebalancer.core.planner.repair import cash_floors, repair_cash
from rebalancer.core.planner.rounding import round_lots
from rebalancer.core.planner.sizing import size_transfers
from rebalancer.core.planner.slicing import slice_orders
from rebalancer.core.planner.solve import solve_model
from rebalancer.domain.market import Rounding, round_to_step
from rebalancer.domain.money import ZERO
from rebalancer.domain.plan import Residual, RunType
from rebalancer.domain.policy import Constraints, Policy, SmallTrade

DROP_PASSES = 4  # solves at most: each drops the small trades the last one still had


def draft_plan(problem: Problem, policy: Policy, ask: RunAsk, settings: Settings) -> Draft:
    """Run the pipeline up to the finished (rounded, repaired) trades and transfers."""
    goal = goal_for(problem, policy, ask, lots=settings.lot_margins)
    run_type = ask.run_type
    ideal, dropped = solve_ideal(problem, goal, policy.constraints, settings)
    constraints = policy.constraints
    minimums = run_type is not RunType.LIQUIDATE  # a liquidation sells whatever the venue takes
    liquidate, withdraw = run_type is RunType.LIQUIDATE, run_type is RunType.WITHDRAW
    draft = round_lots(ideal, problem, liquidate=liquidate, sells_up=withdraw)
    draft = slice_orders(draft, constraints.max_order_notional)
    draft = filter_minimums(draft, problem, constraints, policy_minimums=minimums)
    floors = cash_floors(ideal, problem, constraints)
    wanted, names = dict(floors), {}
    if ask.run_type is RunType.WITHDRAW and ask.venue is not None and ask.amount is not None:
        reserve = constraints.cash_reserve.get(ask.venue, ZERO)  # the withdrawal's cash goes there
        wanted[ask.venue] = max(wanted.get(ask.venue, ZERO), ask.amount + reserve)
        names[ask.venue] = "the withdrawal and the reserve"
    draft = size_transfers(draft, problem, wanted, floor_names=names)
    draft = repair_cash(
        draft,
        problem,
        constraints,
        floors,
        forwarding=settings.pass_through,
        policy_minimums=minimums,
    )
    draft = size_transfers(draft, problem, wanted, grow=False, floor_names=names)
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
