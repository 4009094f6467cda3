"""Stage 4, minimum filter: drop orders an exchange or the policy would not accept.

An order must be on the step and above the market's minimum amount and notional
(``Market.check_order``), at or above the policy's ``min_trade_notional``, and at least
``min_trade_percent_of_position`` of the asset's position. What fails is reported with every
reason; after slicing, every slice is checked on its own.
"""

from __future__ import annotations

from dataclasses import replace

from rebalancer.core.planner.draft import Draft, Trade
from rebalancer.core.planner.problem import Problem
from rebalancer.domain.money import HUNDRED, ZERO, format_decimal
from rebalancer.domain.plan import Residual
from rebalancer.domain.policy import Constraints


def policy_problems(trade: Trade, problem: Problem, constraints: Constraints) -> list[str]:
    """The policy's trade minimums ``trade`` is under (empty when it is not)."""
    problems: list[str] = []
    if trade.notional < constraints.min_trade_notional:
        floor = format_decimal(constraints.min_trade_notional)
        problems.append(f"below min_trade_notional {floor}")
    percent = constraints.min_trade_percent_of_position
    position = problem.valuation.values.get(trade.market.asset, ZERO)
    if percent > 0 and trade.amount * trade.market.price < position * percent / HUNDRED:
        problems.append(f"below min_trade_percent_of_position {format_decimal(percent)}")
    return problems


def order_problems(
    trade: Trade, problem: Problem, constraints: Constraints, *, policy_minimums: bool = True
) -> list[str]:
    """Every rule ``trade`` breaks (empty when it may be placed); ``policy_minimums`` off (a
    liquidation) checks only the exchange's rules and the order cap."""
    problems = list(trade.market.rules.check_order(trade.amount, trade.price).problems)
    if policy_minimums:
        problems += policy_problems(trade, problem, constraints)
    cap = constraints.max_order_notional
    if cap is not None and trade.notional_at_ask > cap:
        problems.append(f"above max_order_notional {format_decimal(cap)}")
    return problems


def filter_minimums(
    draft: Draft, problem: Problem, constraints: Constraints, *, policy_minimums: bool = True
) -> Draft:
    """Keep the orders that satisfy every minimum; report the others."""
    kept: list[Trade] = []
    residuals: list[Residual] = []
    for trade in draft.trades:
        problems = order_problems(trade, problem, constraints, policy_minimums=policy_minimums)
        if problems:
            reason = "; ".join(problems)
            residuals.append(Residual(trade.market.asset, trade.market.venue, reason, trade.amount))
        else:
            kept.append(trade)
    return replace(draft, trades=tuple(kept)).with_residuals(*residuals)


def passes(
    trade: Trade, problem: Problem, constraints: Constraints, *, policy_minimums: bool = True
) -> bool:
    """True when ``trade`` may be placed."""
    return not order_problems(trade, problem, constraints, policy_minimums=policy_minimums)
