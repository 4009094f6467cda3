"""Stage 5, cash recompute and repair: make the rounded plan fundable on every venue.

Rounding to the nearest lot can spend a little more than the model planned. Per venue, in
venue order: a quote transfer never sends more than the venue holds plus its sells raise (else
it shrinks, or is dropped if it would fall under the route's minimum); then, while the cash
left after every buy is under the venue's floor, the largest buy shrinks by just enough lots
(and is dropped when that breaks a minimum). The floor is the cash reserve, or what the ideal
plan left when even it could not keep the reserve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from rebalancer.core.planner.draft import Draft, Trade, Transfer, arrivals, cash_after
from rebalancer.core.planner.minimums import passes
from rebalancer.core.planner.problem import Problem
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.domain.plan import Residual
from rebalancer.domain.policy import Constraints


def cash_floors(ideal: Draft, problem: Problem, constraints: Constraints) -> dict[str, Decimal]:
    """Per venue: the reserve, lowered to what the ideal plan leaves when that is less."""
    floors: dict[str, Decimal] = {}
    for venue in problem.venues:
        reserve = constraints.cash_reserve.get(venue, ZERO)
        floors[venue] = max(ZERO, min(reserve, cash_after(ideal, problem, venue)))
    return floors


def fit_transfers(draft: Draft, problem: Problem, *, forwarding: bool) -> Draft:
    """Shrink or drop quote transfers a venue cannot fund from its cash and sells (and, when
    ``forwarding``, the quote it receives); repeated until a pass changes nothing, because a
    shrunk transfer leaves less for the venue it feeds to forward."""
    for _ in range(len(draft.transfers) + 1):
        fitted = fit_once(draft, problem, forwarding=forwarding)
        if fitted == draft:
            break
        draft = fitted
    return draft


def fit_once(draft: Draft, problem: Problem, *, forwarding: bool) -> Draft:
    """One pass of ``fit_transfers`` over the venues in order."""
    quote = problem.quote
    transfers = list(draft.transfers)
    residuals: list[Residual] = []
    for venue in problem.venues:
        sells = [t for t in draft.trades if (t.market.venue, t.side) == (venue, OrderSide.SELL)]
        funds = problem.held(quote, venue) + sum((t.cash_flow for t in sells), ZERO)
        if forwarding:
            funds += arrivals(replace(draft, transfers=tuple(transfers)), quote, venue)
        outgoing = [
            i for i, t in enumerate(transfers) if (t.route.asset, t.route.source) == (quote, venue)
        ]
        for index in sorted(outgoing, key=lambda i: -transfers[i].amount):
            excess = sum((transfers[i].amount for i in outgoing), ZERO) - funds
            if excess <= 0:
                break
            transfer = transfers[index]
            smaller = transfer.amount - excess
            if smaller >= max(transfer.route.min_amount, 2 * transfer.route.fee):
                transfers[index] = replace(transfer, amount=smaller)
            else:
                reason = f"transfer to {transfer.route.destination} not fundable after rounding"
                residuals.append(Residual(quote, venue, reason, transfer.amount))
                transfers[index] = Transfer(transfer.route, ZERO)
    kept = tuple(t for t in transfers if t.amount > 0)
    return replace(draft, transfers=kept).with_residuals(*residuals)


def shrink(trade: Trade, shortfall: Decimal) -> Trade:
    """The buy reduced by just enough lots to free ``shortfall`` of quote."""
    step = trade.market.rules.amount_step
    per_lot = step * trade.price * (1 + trade.market.rules.taker_fee)
    lots = math.ceil(shortfall / per_lot) if per_lot > 0 else 0
    return replace(trade, amount=max(ZERO, trade.amount - step * lots))


def repair_cash(
    draft: Draft,
    problem: Problem,
    constraints: Constraints,
    floors: Mapping[str, Decimal],
    *,
    forwarding: bool = False,
    policy_minimums: bool = True,
) -> Draft:
    """Shrink buys until every venue keeps its floor; report what had to go."""
    draft = fit_transfers(draft, problem, forwarding=forwarding)
    trades = list(draft.trades)
    residuals: list[Residual] = []
    for venue in problem.venues:
        buys = [
            i for i, t in enumerate(trades) if (t.market.venue, t.side) == (venue, OrderSide.BUY)
        ]
        for _ in range(len(buys) + 1):  # each pass settles the shortfall or drops one buy
            current = replace(draft, trades=tuple(t for t in trades if t.amount > 0))
            shortfall = floors.get(venue, ZERO) - cash_after(current, problem, venue)
            live = [i for i in buys if trades[i].amount > 0]
            if shortfall <= 0 or not live:
                break
            index = max(live, key=lambda i: (trades[i].notional, -i))
            smaller = shrink(trades[index], shortfall)
            fits = passes(smaller, problem, constraints, policy_minimums=policy_minimums)
            if smaller.amount > 0 and fits:
                trades[index] = smaller
                continue
            trade = trades[index]
            short = format_decimal(shortfall)
            reason = f"buy dropped: {venue} cash short by {short} after rounding"
            residuals.append(Residual(trade.market.asset, venue, reason, trade.amount))
            trades[index] = replace(trade, amount=ZERO)
    kept = tuple(t for t in trades if t.amount > 0)
    return replace(draft, trades=kept).with_residuals(*residuals)
