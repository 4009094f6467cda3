"""Solving the model: the LP relaxation first when it is already the optimum, else the MIP."""

from __future__ import annotations

import math

from rebalancer.core.planner.milp import Solution
from rebalancer.core.planner.model import PlanModel, Settings


def rounded_relaxation(model: PlanModel, relaxed: Solution, limit: int | None) -> Solution | None:
    """The LP relaxation's answer made integral, if that keeps it feasible and as cheap.

    Order counts cost nothing, so when every LP order is zero or at least its minimum, no
    asset is both bought and sold and no route is used, counting the orders (rounding up)
    gives a MIP-feasible point with the LP's objective: it is optimal and the MIP need not run.
    Otherwise ``None``.
    """
    values = list(relaxed.values)
    tol = 1e-7
    for route in model.routes:
        if values[route.amount] > tol:
            return None
        values[route.amount] = values[route.used] = 0.0
    orders = 0
    for order in model.orders:
        amount = values[order.amount]
        if amount <= tol:
            values[order.amount] = values[order.count] = 0.0
            continue
        count = max(1, math.ceil(amount / order.piece - 1e-9))
        if amount < order.floor * count * (1 - 1e-9) - tol:
            return None
        values[order.count] = float(count)
        orders += count
    if limit is not None and orders > limit:
        return None
    for side, buys, sells in model.one_side:  # an asset bought and sold: only the MIP settles it
        bought = any(values[o.count] for o in buys)
        if bought and any(values[o.count] for o in sells):
            return None
        values[side] = 1.0 if bought else 0.0
    return Solution(tuple(values), relaxed.objective, relaxed.status, 0.0)


def solve_model(model: PlanModel, settings: Settings, max_trades: int | None = None) -> Solution:
    """Solve with HiGHS; an empty model (nothing to trade) solves to all zeros.

    The LP relaxation is tried first: when it is already integral after counting orders (the
    common single-venue case) it is the optimum and the MIP is skipped.
    """
    if not model.orders and not model.routes:
        return Solution(tuple(0.0 for _ in range(model.lp.num_vars)), 0.0, "Optimal", 0.0)
    if not model.routes:
        relaxed = model.lp.solve(time_limit_s=settings.time_limit_s, mip_rel_gap=0.0, relax=True)
        if relaxed.status == "Optimal" and len(relaxed.values) == model.lp.num_vars:
            rounded = rounded_relaxation(model, relaxed, max_trades)
            if rounded is not None:
                return rounded
    solution = model.lp.solve(time_limit_s=settings.time_limit_s, mip_rel_gap=settings.mip_rel_gap)
    if len(solution.values) != model.lp.num_vars:  # no incumbent: doing nothing is feasible
        return Solution(tuple(0.0 for _ in range(model.lp.num_vars)), 0.0, solution.status, 1.0)
    return solution
