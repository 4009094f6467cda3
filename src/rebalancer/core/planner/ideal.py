"""Stage 1, ideal trades: read the solver's continuous answer back into Decimal amounts.

An order exists when its count variable is active; its amount is the solved reference-USD value
divided by the reference price. A transfer exists when its route is used. Amounts are not yet
on any step: the next stage rounds them.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.core.planner.draft import Draft, Trade, Transfer
from rebalancer.core.planner.milp import Solution
from rebalancer.core.planner.model import PlanModel
from rebalancer.core.planner.problem import Problem
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import to_decimal

ACTIVE = 0.5


def from_solver(value: float) -> Decimal:
    """A solver float as a Decimal, through its shortest exact string (never ``Decimal(float)``)."""
    return to_decimal(repr(max(value, 0.0)), what="solver value")


def ideal_trades(model: PlanModel, solution: Solution, problem: Problem) -> Draft:
    """The trades and transfers of the solved model, unrounded, in a stable order."""
    trades: list[Trade] = []
    for order in model.orders:
        count = round(solution[order.count])
        if count < 1 or solution[order.count] < ACTIVE:
            continue
        units = from_solver(solution[order.amount]) / order.market.price
        side = OrderSide.BUY if order.side == "buy" else OrderSide.SELL
        trades.append(Trade(order.market, side, units, count))
    transfers: list[Transfer] = []
    for route in model.routes:
        if solution[route.used] < ACTIVE:
            continue
        units = from_solver(solution[route.amount]) / problem.price(route.route.asset)
        transfers.append(Transfer(route.route, units))
    trades.sort(key=lambda t: t.key)
    return Draft(tuple(trades), tuple(transfers))
