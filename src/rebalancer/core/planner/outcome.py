"""Stage 7, the outcome: simulate the finished plan and report what it leaves undone.

The plan is applied at its own prices and fees (buys pay ask plus fee, sells get bid less fee,
transfers deliver ``amount - fee``) and valued at the reference mids, giving ``weights_after``.
Then each promise is checked and every one not kept becomes a residual: bands (``full``), an
empty book (``liquidate``), the amount raised (``withdraw``), cash reserves, assets a venue must
not hold, and assets that no venue lists at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal

from rebalancer.core.planner.amounts import cash_above_target, raised, spent
from rebalancer.core.planner.draft import Draft, cash_after
from rebalancer.core.planner.goals import RunAsk, trigger_band
from rebalancer.core.planner.problem import Problem
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import HUNDRED, ZERO, format_decimal
from rebalancer.domain.plan import Residual, RunType
from rebalancer.domain.policy import BandType, Policy, RebalanceTo

EVERYWHERE = "*"  # the venue of a residual about the whole portfolio
WEIGHT_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")


def units_after(draft: Draft, problem: Problem) -> dict[tuple[str, str], Decimal]:
    """(asset, venue) -> units on the venue once the plan has run (quote included)."""
    units: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for key, amount in problem.holdings.items():
        units[key] += amount
    for trade in draft.trades:
        venue = trade.market.venue
        sign = 1 if trade.side is OrderSide.BUY else -1
        units[(trade.market.asset, venue)] += sign * trade.amount
        units[(problem.quote, venue)] += trade.cash_flow
    for transfer in draft.transfers:
        route = transfer.route
        units[(route.asset, route.source)] -= transfer.amount
        units[(route.asset, route.destination)] += transfer.arrival
    return dict(units)


def values_after(draft: Draft, problem: Problem) -> dict[str, Decimal]:
    """Each asset's value after the plan, in the quote asset."""
    units = units_after(draft, problem)
    values: dict[str, Decimal] = {}
    for asset in problem.assets:
        on_venues = sum((units.get((asset, v), ZERO) for v in problem.venues), ZERO)
        values[asset] = on_venues * problem.price(asset) + problem.fixed_value(asset)
    return values


def percents(values: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Values as percents of their sum, to four places."""
    total = sum(values.values(), ZERO)
    if total <= 0:
        return dict.fromkeys(sorted(values), ZERO)
    return {a: (values[a] * HUNDRED / total).quantize(WEIGHT_PLACES) for a in sorted(values)}


def band_residuals(
    values: Mapping[str, Decimal], problem: Problem, policy: Policy
) -> list[Residual]:
    """Assets whose weight after the plan is outside their drift band."""
    total = sum(values.values(), ZERO)
    found: list[Residual] = []
    if policy.drift_band is None or total <= 0:
        return found
    for asset in problem.assets:
        band = trigger_band(policy, asset)
        weight = values[asset] / total
        if unbanded(policy, asset) and values[asset] > 0:
            reason = "held with a 0% target: a relative band gives it no band, left as it is"
            price = problem.price(asset)
            found.append(Residual(asset, EVERYWHERE, reason, values[asset] / price))
            continue
        if band.contains(weight):
            continue
        edge = band.lower if weight < band.lower else band.upper
        price = problem.price(asset)
        units = abs(weight - edge) * total / price if price > 0 else ZERO
        shown = format_decimal((weight * HUNDRED).quantize(WEIGHT_PLACES))
        lower, upper = format_decimal(band.lower * HUNDRED), format_decimal(band.upper * HUNDRED)
        reason = f"outside band after the plan: {shown}% vs [{lower}, {upper}]%"
        if not problem.tradable(asset):
            reason += f" (no {asset}/{problem.quote} market on any venue)"
        found.append(Residual(asset, EVERYWHERE, reason, units))
    return found


def unbanded(policy: Policy, asset: str) -> bool:
    """True when the asset has a 0 % target under a relative band, so no band at all."""
    band = policy.drift_band
    return (
        band is not None
        and band.type is BandType.RELATIVE
        and policy.weights.get(asset, ZERO) == ZERO
        and policy.rebalance_to is RebalanceTo.BAND_EDGE
    )


def untradable_residuals(problem: Problem) -> list[Residual]:
    """Held assets that no venue of the policy lists against the quote."""
    found: list[Residual] = []
    for asset in problem.assets:
        units = problem.valuation.units.get(asset, ZERO)
        if units > 0 and not problem.tradable(asset):
            how = "valued at its reference price" if problem.price(asset) > 0 else "valued at 0"
            reason = f"no {asset}/{problem.quote} market on any venue ({how})"
            found.append(Residual(asset, EVERYWHERE, reason, units))
    return found


def venue_residuals(draft: Draft, problem: Problem, policy: Policy) -> list[Residual]:
    """Cash reserves not kept and forbidden assets still held, per venue."""
    units = units_after(draft, problem)
    found: list[Residual] = []
    for venue in problem.venues:
        reserve = policy.constraints.cash_reserve.get(venue, ZERO)
        cash = cash_after(draft, problem, venue)
        if cash < reserve:
            found.append(Residual(problem.quote, venue, "cash reserve not kept", reserve - cash))
        for asset in sorted(policy.constraints.forbidden_assets.get(venue, frozenset())):
            left = units.get((asset, venue), ZERO)
            if left > 0:
                found.append(Residual(asset, venue, "venue must not hold this asset", left))
    return found


def goal_residuals(draft: Draft, problem: Problem, policy: Policy, ask: RunAsk) -> list[Residual]:
    """What a liquidation left unsold (dust), what a withdrawal could not raise, or what an
    investment could not spend."""
    run_type, amount, venue = ask.run_type, ask.amount, ask.venue
    if run_type is RunType.LIQUIDATE:
        return unsold_residuals(draft, problem)
    if run_type is RunType.WITHDRAW and amount is not None:
        got = raised(draft, problem, policy, venue)
        if got < amount:
            where = f" on {venue}" if venue is not None else ""
            most = ": the most the holdings can (partial)" if ask.partial else ""
            reason = f"raised {cents(got)} of {cents(amount)} asked{where}{most}"
            return [Residual(problem.quote, venue or EVERYWHERE, reason, amount - got)]
    if run_type is RunType.INVEST_CASH:
        budget = amount if amount is not None else cash_above_target(problem, policy)
        used = spent(draft, problem)
        lot = max((m.rules.amount_step * m.quote.ask for m in problem.markets), default=ZERO)
        if budget - used > lot:
            reason = f"spent {cents(used)} of {cents(budget)}"
            return [Residual(problem.quote, EVERYWHERE, reason, budget - used)]
    return []


def cents(amount: Decimal) -> str:
    """An amount of the quote asset for a reason text, to two places."""
    return format_decimal(amount.quantize(CENTS, rounding=ROUND_DOWN))


def unsold_residuals(draft: Draft, problem: Problem) -> list[Residual]:
    """Holdings a liquidation leaves, each reported once: dust below a venue's minimum order, or
    an asset a venue cannot sell and no route worth its fee can move."""
    found: list[Residual] = []
    noted = {(r.asset, r.venue) for r in draft.residuals}
    for (asset, venue), left in sorted(units_after(draft, problem).items()):
        movable = problem.tradable(asset) and asset != problem.quote
        if not movable or left <= 0 or (asset, venue) in noted:
            continue
        listed = [m for m in problem.markets if (m.venue, m.asset) == (venue, asset)]
        if listed:
            reason = f"dust: below the minimum order of {listed[0].rules.symbol} here"
        else:
            reason = f"no {asset}/{problem.quote} market here, and no route worth its fee"
        found.append(Residual(asset, venue, reason, left))
    return found
