"""The portfolio-level rows of the model: what each run type aims at.

The value after the plan ``W'`` is one variable tied to the sum of every position, so each
band row is exact (``lower·W' ≤ x_a ≤ upper·W'``) instead of linearised around the old W.
Bands and the target tube are soft (penalised slack), so the model is always feasible and the
slack says how far it could not go; ``invest_cash`` fills the deepest deficit first and
``withdraw`` pulls the rest toward target (L1) once the amount is held.
"""

from __future__ import annotations

from rebalancer.core.planner.goals import Band, Withdrawal
from rebalancer.core.planner.milp import INF
from rebalancer.core.planner.model import BAND_PENALTY, ModelBuilder, Terms, add, combine
from rebalancer.domain.money import ZERO

TUBE_PENALTY = 1.0  # per USD away from target in target mode: beats any trading cost
# per USD of a water-fill gap, and again on the worst gap: a unit of value taken from (or
# given to) the worst position gains at most one unit, so no fee is paid just to shed value
AIM_PENALTY = 0.5
# per USD raised beyond a withdrawal: above anything the aims can gain from it, so a
# withdrawal never sells more than it needs in order to rebalance the rest
OVER_PENALTY = 10.0


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
    """Add the run type's aims: bands, target tube, investment, withdrawal."""
    total = total_after(b)
    flat = b.goal.unsold_penalty
    for asset, band in sorted(b.goal.destination.items()):
        add_band(b, band, asset, total, BAND_PENALTY if flat is None else flat)
    for asset, band in sorted(b.goal.tube.items()):
        add_band(b, band, asset, total, TUBE_PENALTY)
    if b.goal.invest is not None:
        add_invest(b, float(b.goal.invest))
    if b.goal.withdrawal is not None:
        add_withdraw(b, b.goal.withdrawal)
    limit = b.c.max_trades_per_run
    if limit is not None and b.orders:
        b.lp.add_row({o.count: 1.0 for o in b.orders}, upper=float(limit))


def add_water_fill(b: ModelBuilder, gaps: list[tuple[Terms, float]], sign: float) -> None:
    """Penalise how far each position is over (``sign`` 1) or under (-1) its aim, the worst one
    twice: the model then takes from (or fills) the worst first, then the next, evenly. A unit
    moved gains at most ``2 × AIM_PENALTY`` = 1 unit of objective, less than any fee it costs.

    Each gap is ``terms + const = position − aim``.
    """
    if not gaps:
        return
    worst = b.lp.add_var(AIM_PENALTY)
    for terms, const in gaps:
        gap = b.lp.add_var(AIM_PENALTY)
        # gap >= sign·(position − aim)  and  worst >= gap
        row = combine((-sign, terms))
        add(row, gap, 1.0)
        b.lp.add_row(row, lower=sign * const)
        b.lp.add_row({worst: 1.0, gap: -1.0}, lower=0.0)


def add_invest(b: ModelBuilder, budget: float) -> None:
    """Spend ``budget`` on buys (a shortfall penalised above any aim, below a cash reserve),
    filling the deepest deficit first. Deficits are against each asset's share of what is
    invested (its target over the non-cash targets), so a budget beyond the deficits is spread
    like the targets."""
    spend = combine(*((1.0, terms) for _, terms in sorted(b.spend.items())))
    if not spend:
        return
    b.lp.add_row(spend, upper=budget)
    short = b.lp.add_var(OVER_PENALTY)  # below a reserve's penalty: fees come out of the budget
    row = dict(spend)
    add(row, short, 1.0)
    b.lp.add_row(row, lower=budget)
    cash_share = float(b.goal.targets.get(b.p.quote, ZERO))
    if cash_share >= 1.0:
        return
    sleeve: Terms = {}
    sleeve_const = 0.0
    for asset in b.p.assets:
        if asset != b.p.quote:
            terms, const = asset_after(b, asset)
            sleeve = combine((1.0, sleeve), (1.0, terms))
            sleeve_const += const
    gaps: list[tuple[Terms, float]] = []
    for asset in b.p.assets:
        if asset == b.p.quote or not b.p.tradable(asset):
            continue
        share = float(b.goal.targets.get(asset, ZERO)) / (1.0 - cash_share)
        terms, const = asset_after(b, asset)
        gaps.append((combine((1.0, terms), (-share, sleeve)), const - share * sleeve_const))
    add_water_fill(b, gaps, -1.0)


def add_withdraw(b: ModelBuilder, aim: Withdrawal) -> None:
    """Hold ``aim.amount`` free to pay out: the cash held counts first (what each venue holds
    above its reserve), and only the rest is raised by selling, no more. The sells come from
    the positions most over their targets in the portfolio that remains, and from the least
    under them when they must. (Cash held counting first keeps a withdrawal planned again after
    it ran from raising the amount twice.)"""
    amount = float(aim.amount)
    need = amount - float(aim.usable_cash)  # to raise by selling (negative: none)
    lacking = sum(  # what the reserves lack now: a plan tops them up too
        max(0.0, float(b.c.cash_reserve.get(v, ZERO)) - b.held_usd(b.p.quote, v))
        for v in b.p.venues
    )
    cash = combine(*((1.0, terms) for _, terms in sorted(b.cash.items())))
    most_short = 0.0 if aim.hard else INF
    short = b.lp.add_var(BAND_PENALTY, most_short)
    # need + lacking − short  <=  cash raised
    b.lp.add_row(combine((1.0, cash), (1.0, {short: 1.0})), lower=need + lacking)
    # what the sells bring  <=  max(need, 0) + lacking + over (measured before any transfer
    # fee, so no fee paid for nothing can make room for selling more)
    proceeds = combine(*((1.0, terms) for _, terms in sorted(b.proceeds.items())))
    if proceeds:
        over = b.lp.add_var(OVER_PENALTY)
        row = combine((1.0, proceeds), (-1.0, {over: 1.0}))
        b.lp.add_row(row, upper=max(need, 0.0) + lacking)
    if aim.venue is not None:
        reserve = float(b.c.cash_reserve.get(aim.venue, ZERO))
        here = dict(b.cash[aim.venue])
        add(here, b.lp.add_var(BAND_PENALTY, most_short), 1.0)
        b.lp.add_row(here, lower=amount + reserve - b.held_usd(b.p.quote, aim.venue))
    # against the value that remains, W − amount, held fixed: a value that moved with the
    # plan would let a fee paid for nothing shift every target (and pay for itself)
    remains = float(b.p.total) - amount
    gaps: list[tuple[Terms, float]] = []
    for asset in b.p.assets:
        if asset == b.p.quote or not b.p.tradable(asset):
            continue
        terms, const = asset_after(b, asset)
        target = float(b.goal.targets.get(asset, ZERO))
        gaps.append((terms, const - target * remains))  # position − target·(W − amount)
    add_water_fill(b, gaps, 1.0)
    add_water_fill(b, gaps, -1.0)
