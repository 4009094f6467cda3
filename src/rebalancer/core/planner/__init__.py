"""The cost-optimal planner: from a snapshot and a policy to a plan (a DAG of orders and
transfers), as a pipeline of named pure stages (docs/planner.md):

    problem → goal → MILP-lite (HiGHS) → ideal trades → lot rounding → slicing
            → minimum filter → cash recompute / repair → DAG → outcome (weights, residuals)

Each stage that drops something records it in the plan's residuals with a reason. Same
input, same plan: every collection is built in sorted order and the ids follow that order.

What each run type does (docs/run-types.md): ``full`` back to the bands (or target);
``invest_cash`` buys only, spending an amount or the cash above target; ``withdraw`` sells only,
raising an amount (``max_raisable`` says how much can be); ``liquidate`` everything to cash.
An amount the holdings cannot meet raises ``AmountUnavailable`` unless ``partial``.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rebalancer.core.costs import order_cost, transfer_cost
from rebalancer.core.planner.amounts import spendable_cash
from rebalancer.core.planner.draft import Draft, forwarding_venues
from rebalancer.core.planner.goals import RunAsk
from rebalancer.core.planner.graph import CyclicPlan, build_nodes
from rebalancer.core.planner.milp import load_solver
from rebalancer.core.planner.model import Settings
from rebalancer.core.planner.outcome import (
    band_residuals,
    goal_residuals,
    percents,
    untradable_residuals,
    values_after,
    venue_residuals,
)
from rebalancer.core.planner.pipeline import draft_plan
from rebalancer.core.planner.problem import Problem, build_problem
from rebalancer.core.planner.withdrawal import raise_most, withdraw_draft
from rebalancer.domain.errors import AmountUnavailable, PlanningError
from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer, RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Snapshot

COST_PLACES = Decimal("0.00000001")
AMOUNT_TYPES = frozenset({RunType.WITHDRAW, RunType.INVEST_CASH})

__all__ = [
    "AmountUnavailable",
    "RunAsk",
    "Settings",
    "check_request",
    "draft_plan",
    "load_solver",
    "max_investable",
    "max_raisable",
    "plan_rebalance",
]


def check_request(ask: RunAsk, policy: Policy | None = None) -> None:
    """Refuse requests that cannot mean anything, naming the field."""
    run_type, amount, venue = ask.run_type, ask.amount, ask.venue
    if run_type is RunType.WITHDRAW and (amount is None or amount <= 0):
        raise PlanningError("amount: a withdraw run needs a positive amount of the quote asset")
    if amount is not None and run_type not in AMOUNT_TYPES:
        raise PlanningError(f"amount: a {run_type} run takes no amount")
    if amount is not None and amount <= 0:
        raise PlanningError(f"amount: must be positive, got {format_decimal(amount)}")
    if venue is not None and run_type is not RunType.WITHDRAW:
        raise PlanningError(f"venue: only a withdraw run takes a venue, not a {run_type} run")
    if venue is not None and policy is not None and venue not in policy.venues:
        known = ", ".join(policy.venues)
        raise PlanningError(f"venue: {venue} is not one of the portfolio's venues ({known})")


def max_raisable(
    snapshot: Snapshot,
    policy: Policy,
    venue: str | None = None,
    *,
    settings: Settings | None = None,
) -> Decimal:
    """The most a withdraw run can leave free to pay out (on ``venue``, or anywhere): every
    position sold that a venue accepts, fees and any transfer paid, the reserves kept."""
    check_request(RunAsk(RunType.WITHDRAW, Decimal(1), venue), policy)
    problem = build_problem(snapshot, policy)
    return raise_most(problem, policy, venue, settings or Settings())[1]


def max_investable(snapshot: Snapshot, policy: Policy) -> Decimal:
    """The most an ``invest_cash`` run can spend: the cash held on the venues less reserves."""
    return spendable_cash(build_problem(snapshot, policy), policy)


def plan_rebalance(
    snapshot: Snapshot,
    policy: Policy,
    run_type: RunType = RunType.FULL,
    amount: Decimal | None = None,
    *,
    venue: str | None = None,
    partial: bool = False,
    settings: Settings | None = None,
) -> Plan:
    """Plan the cheapest trades and transfers that carry out ``run_type`` for ``policy``.

    ``amount``: the cash a withdraw raises or an invest_cash spends (invest_cash without one
    spends the cash above its target). ``venue``: where a withdrawal's cash must be (anywhere
    when None). An amount the holdings cannot meet raises ``AmountUnavailable`` (it says how
    much they can), unless ``partial``: then the plan raises or spends that most.

    Pure and deterministic: the same snapshot and policy give the same plan.
    """
    ask = RunAsk(run_type, amount, venue, partial)
    check_request(ask, policy)
    problem = build_problem(snapshot, policy)
    settings = settings or Settings()
    if run_type is RunType.INVEST_CASH and amount is not None:
        ask = replace(ask, amount=investable_amount(problem, policy, ask))
    draft = draft_for(problem, policy, ask, settings)
    try:
        orders, transfers = build_nodes(draft, problem.quote, forwarding_venues(draft, problem))
    except CyclicPlan:  # forwarding closed a loop: plan again with every venue self-funded
        settings = replace(settings, pass_through=False)
        draft = draft_for(problem, policy, ask, settings)
        orders, transfers = build_nodes(draft, problem.quote, forwarding_venues(draft, problem))
    return finish_plan(problem, policy, ask, draft, (orders, transfers))


def investable_amount(problem: Problem, policy: Policy, ask: RunAsk) -> Decimal:
    """The asked amount, if the cash may be spent; else the most (``partial``) or a refusal."""
    assert ask.amount is not None
    available = spendable_cash(problem, policy)
    if ask.amount <= available:
        return ask.amount
    if not ask.partial:
        raise AmountUnavailable(RunType.INVEST_CASH, ask.amount, available, problem.quote)
    return available


def draft_for(problem: Problem, policy: Policy, ask: RunAsk, settings: Settings) -> Draft:
    """The finished draft of one run (a withdrawal sized so it raises its amount)."""
    if ask.run_type is RunType.WITHDRAW:
        return withdraw_draft(problem, policy, ask, settings)
    return draft_plan(problem, policy, ask, settings)


def finish_plan(
    problem: Problem,
    policy: Policy,
    ask: RunAsk,
    draft: Draft,
    nodes: tuple[tuple[PlannedOrder, ...], tuple[PlannedTransfer, ...]],
) -> Plan:
    """The plan of a finished draft: its cost, the weights before and after, the residuals."""
    orders, transfers = nodes
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
        + goal_residuals(draft, problem, policy, ask)
        + venue_residuals(draft, problem, policy)
    )
    if ask.run_type is RunType.FULL:
        residuals += band_residuals(after, problem, policy)
    return Plan(
        portfolio=policy.name,
        run_type=ask.run_type,
        orders=orders,
        transfers=transfers,
        estimated_cost=cost.quantize(COST_PLACES) if cost else ZERO,
        weights_before=percents(problem.valuation.values),
        weights_after=percents(after),
        residuals=tuple(residuals),
        amount=ask.amount,
    )
