"""Sizing a withdrawal: raise the amount, or say how much the holdings can raise.

A withdraw plan is checked after rounding: selling to the nearest lot can leave it a little
short, and then it is planned again aiming that much higher. The most the holdings can raise is
what a plan aiming at the whole portfolio raises (every position sold that a venue accepts,
fees and routes paid); an amount above it is refused unless a partial withdrawal was asked for,
which then raises that most.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rebalancer.core.planner.amounts import raised
from rebalancer.core.planner.draft import Draft
from rebalancer.core.planner.goals import RunAsk
from rebalancer.core.planner.model import Settings
from rebalancer.core.planner.pipeline import draft_plan
from rebalancer.core.planner.problem import Problem
from rebalancer.domain.errors import AmountUnavailable
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy

AIM_AGAIN = 2  # plans aiming higher after a shortfall from rounding, before raising the most


def raise_most(
    problem: Problem, policy: Policy, venue: str | None, settings: Settings
) -> tuple[Draft, Decimal]:
    """The plan that raises the most cash (on ``venue``, or anywhere), and how much."""
    everything = problem.total * 2 + 1
    draft = draft_plan(problem, policy, RunAsk(RunType.WITHDRAW, everything, venue), settings)
    return draft, raised(draft, problem, policy, venue)


def largest_lot(problem: Problem) -> Decimal:
    """One lot of the market whose lot is worth the most, at the bid."""
    lots = (m.rules.amount_step * m.quote.bid for m in problem.markets)
    return max(lots, default=Decimal(0))


def withdraw_draft(problem: Problem, policy: Policy, ask: RunAsk, settings: Settings) -> Draft:
    """A draft that leaves the asked amount free to pay out; raises ``AmountUnavailable`` when
    the holdings cannot, unless the ask is ``partial`` (then the most they can).

    The first plan may fall short on purpose: its shortfall is penalised, and a minimum order
    far above what is missing can cost more. When the holdings can raise the amount, it is then
    planned as a must (short of it infeasible), aiming higher after any shortfall from rounding;
    the plan raising the most is the last resort.
    """
    assert ask.amount is not None  # the planner's check_request
    amount, venue = ask.amount, ask.venue
    draft = draft_plan(problem, policy, ask, settings)
    if raised(draft, problem, policy, venue) >= amount:
        return draft
    most, most_raised = raise_most(problem, policy, venue, settings)
    if most_raised < amount:
        if not ask.partial:
            raise AmountUnavailable(RunType.WITHDRAW, amount, most_raised, problem.quote, venue)
        return most
    aim = amount
    for _ in range(AIM_AGAIN + 1):
        draft = draft_plan(problem, policy, replace(ask, amount=aim, hard=True), settings)
        short = amount - raised(draft, problem, policy, venue)
        if short <= 0:
            return draft
        aim += max(short * 2, largest_lot(problem))
    return most  # raises at least the amount, selling more than it needs
