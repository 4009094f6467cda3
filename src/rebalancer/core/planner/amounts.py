"""The cash a run works with: what is held, what the reserves keep, what may be spent or raised.

All in the portfolio's quote asset. "Held" is what sits on the policy's venues now; cash in
transit counts toward the portfolio's value but cannot be spent or paid out until it arrives.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.core.planner.draft import Draft, cash_after
from rebalancer.core.planner.problem import Problem
from rebalancer.domain.money import HUNDRED, ZERO
from rebalancer.domain.policy import Policy


def spendable_cash(problem: Problem, policy: Policy) -> Decimal:
    """Cash a run may spend or pay out: what each venue holds above its reserve."""
    kept = policy.constraints.cash_reserve
    return sum(
        (max(ZERO, problem.held(problem.quote, v) - kept.get(v, ZERO)) for v in problem.venues),
        ZERO,
    )


def cash_above_target(problem: Problem, policy: Policy) -> Decimal:
    """What ``invest_cash`` spends without an amount: the cash above its target share, as far
    as it is held (not in transit) and not kept as a reserve."""
    target = policy.weights.get(problem.quote, ZERO) / HUNDRED * problem.total
    above = problem.valuation.values.get(problem.quote, ZERO) - target
    return max(ZERO, min(spendable_cash(problem, policy), above))


def usable_for_withdrawal(problem: Problem, policy: Policy) -> Decimal:
    """Cash already held a withdrawal may take: what each venue holds above its reserve."""
    return spendable_cash(problem, policy)


def raised(draft: Draft, problem: Problem, policy: Policy, venue: str | None) -> Decimal:
    """What a withdrawal planned as ``draft`` leaves free to pay out: the cash each venue holds
    after it above its reserve (on ``venue`` alone, when one is asked for)."""
    kept = policy.constraints.cash_reserve
    venues = problem.venues if venue is None else (venue,)
    return sum((max(ZERO, cash_after(draft, problem, v) - kept.get(v, ZERO)) for v in venues), ZERO)


def spent(draft: Draft, problem: Problem) -> Decimal:
    """Quote an ``invest_cash`` draft spends on buys, fees included."""
    return sum((-t.cash_flow for t in draft.trades if t.cash_flow < 0), ZERO)
