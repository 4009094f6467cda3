"""The portfolio-level rows of the model: what each run type aims at.

The value after the plan ``W'`` is one variable tied to the sum of every position, so each
band row is exact (``lower·W' ≤ x_a ≤ upper·W'``) instead of linearised around the old W.
Bands and the target tube are soft (penalised slack), so the model is always feasible and the
slack says how far it could not go; ``invest_cash`` fills the deepest deficit first and
``withdraw`` pulls the rest toward target (L1) once the amount is held.
"""

from __future__ import annotations

from rebalancer.core.planner.goals import Band
from rebalancer.core.planner.milp import INF
from rebalancer.core.planner.model import BAND_PENALTY, ModelBuilder, Terms, add, combine
from rebalancer.domain.money import ZERO

TUBE_PENALTY = 1.0  # per USD away from target in target mode: beats any trading cost
AIM_PENALTY = 1.0  # per USD of deficit (invest) or distance from target (withdraw)


def asset_after(b: ModelBuilder, asset: str) -> tuple[Terms, float]:
    """The asset's portfolio value after the plan as (terms, constant)."""
    terms: Terms = {}
    const = float(b.p.fixed_value(asset))
    for venue in b.p.venues:
        const += b.held_usd(asset, venue)
        source = b.cash[venue] if asset == b.p.quote else b.position[(asset, venue)]
        terms = combine((1.0, terms), (1.0, source))
    return terms, const


def add_band(
    b: ModelBuilder, band: Band, asset: str, total: tuple[Terms, float], penalty: float
) -> None:
    """lower·W' − slack ≤ x_a ≤ upper·W' + slack, with W' the value after the plan."""
    terms, const = asset_after(b, asset)
    w_terms, w_const = total
    for bound, sign in ((float(band.lower), 1.0), (float(band.upper), -1.0)):
        if (sign > 0 and bound <= 0) or (sign < 0 and bound >= 1):
            continue
        slack = b.lp.add_var(penalty)
        row = combine((sign, terms), (-sign * bound, w_terms))
        add(row, slack, 1.0)
        b.lp.add_row(row, lower=-sign * (const - bound * w_const))


def total_after(b: ModelBuilder) -> tuple[Terms, float]:
    """W' as (terms, constant): one variable tied to the sum of every position after."""
    terms: Terms = {}
    const = 0.0
    for asset in b.p.assets:
        a_terms, a_const = asset_after(b, asset)
        terms = combine((1.0, terms), (1.0, a_terms))
        const += a_const
    total = b.lp.add_var(0.0, lower=-INF)
    row = combine((-1.0, terms))
    add(row, total, 1.0)
    b.lp.add_row(row, lower=const, upper=const)
    return {total: 1.0}, 0.0


def add_goal(b: ModelBuilder) -> None:
    """Add the run type's aims: bands, target tube, invest budget, withdrawal."""
    total = total_after(b)
    for asset, band in sorted(b.goal.destination.items()):
        add_band(b, band, asset, total, BAND_PENALTY)
    for asset, band in sorted(b.goal.tube.items()):
        add_band(b, band, asset, total, TUBE_PENALTY)
    if b.goal.invest_budget is not None:
        add_invest(b, float(b.goal.invest_budget))
    if b.goal.withdraw_amount is not None:
        add_withdraw(b, float(b.goal.withdraw_amount), total)
    limit = b.c.max_trades_per_run
    if limit is not None and b.orders:
        b.lp.add_row({o.count: 1.0 for o in b.orders}, upper=float(limit))


def add_invest(b: ModelBuilder, budget: float) -> None:
    """Spend at most the cash above target, filling the largest deficits first."""
    spend = combine(*((1.0, terms) for _, terms in sorted(b.spend.items())))
    if spend:
        b.lp.add_row(spend, upper=budget)
    deepest = b.lp.add_var(AIM_PENALTY)
    total = float(b.p.total)
    for asset in b.p.assets:
        if asset == b.p.quote or not b.p.tradable(asset):
            continue
        terms, const = asset_after(b, asset)
        deficit = b.lp.add_var(AIM_PENALTY)
        # deficit >= target·W − x_a  and  deepest >= deficit
        row = combine((1.0, terms))
        add(row, deficit, 1.0)
        b.lp.add_row(row, lower=float(b.goal.targets.get(asset, ZERO)) * total - const)
        b.lp.add_row({deepest: 1.0, deficit: -1.0}, lower=0.0)


def add_withdraw(b: ModelBuilder, amount: float, total: tuple[Terms, float]) -> None:
    """Hold ``amount`` more quote than the rest needs; keep the rest close to target."""
    cash: Terms = {}
    held = 0.0
    for venue in b.p.venues:
        cash = combine((1.0, cash), (1.0, b.cash[venue]))
        held += b.held_usd(b.p.quote, venue)
    short = b.lp.add_var(BAND_PENALTY)
    row = combine((1.0, cash))
    add(row, short, 1.0)
    b.lp.add_row(row, lower=amount - held)
    w_terms, w_const = total
    for asset in b.p.assets:
        if not b.p.tradable(asset):
            continue
        terms, const = asset_after(b, asset)
        if asset == b.p.quote:
            const -= amount
        target = float(b.goal.targets.get(asset, ZERO))
        gap = b.lp.add_var(AIM_PENALTY)
        # gap >= ±(x_a − target·(W' − amount))
        for sign in (1.0, -1.0):
            row = combine((sign, terms), (-sign * target, w_terms))
            add(row, gap, 1.0)
            rhs = sign * (const - target * (w_const - amount))
            b.lp.add_row(row, lower=-rhs)
