"""The MILP-lite model (science.md B2/B5): continuous amounts, binaries only where they matter.

Variables, all in reference USD (units × the asset's reference price):

* ``b``/``s`` per market: bought / sold; ``n`` per market side: how many orders (0 or 1, or
  the number of slices when orders are capped), so a minimum notional is all-or-nothing;
* ``t`` per route: sent; ``y`` per route: used, so the withdrawal fee is a fixed charge;
* penalised slacks, so the model is always feasible and what it cannot reach is reported.

Rows keep every balance non-negative however the plan's DAG is scheduled: sells and asset
transfers only use what a venue holds (or receives from an asset transfer), quote transfers only
what a venue holds plus its sells (no pass-through), and buys wait for both. Big-Ms are tight:
what the venue could possibly hold or raise, never the whole portfolio.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from rebalancer.core.planner.goals import Band, Goal
from rebalancer.core.planner.milp import INF, LinearModel, Solution
from rebalancer.core.planner.problem import MarketOption, Problem
from rebalancer.domain.money import ZERO
from rebalancer.domain.policy import Constraints
from rebalancer.domain.snapshot import Route

BAND_PENALTY = 100.0  # per USD outside the destination band: effectively hard
RESERVE_PENALTY = 100.0  # per USD below a venue's cash reserve
TUBE_PENALTY = 1.0  # per USD away from target in target mode: beats any trading cost
AIM_PENALTY = 1.0  # per USD of deficit (invest) or distance from target (withdraw)
EPS = 1e-9

Terms = dict[int, float]


@dataclass(frozen=True, slots=True)
class OrderVars:
    """The variables of one market side."""

    market: MarketOption
    side: str  # "buy" | "sell"
    amount: int
    count: int
    floor: float  # smallest active order, reference USD
    piece: float  # largest single order, reference USD


@dataclass(frozen=True, slots=True)
class RouteVars:
    """The variables of one transfer route."""

    route: Route
    amount: int
    used: int


@dataclass(slots=True)
class PlanModel:
    """The built model and where its variables are."""

    lp: LinearModel
    orders: list[OrderVars]
    routes: list[RouteVars]


@dataclass(frozen=True, slots=True)
class Settings:
    """Solver settings: the planner's defaults, or exact ones for the reference solver."""

    time_limit_s: float = 5.0  # a safety net: measured solves take 0.01-1.5 s
    mip_rel_gap: float = 1e-4
    lot_margins: bool = True  # False: no room kept for rounding (the exact reference model)
    pass_through: bool = True  # quote may be forwarded: a venue sends on what it received


def add(terms: Terms, var: int, coef: float) -> None:
    """Add ``coef·var`` to a linear expression."""
    terms[var] = terms.get(var, 0.0) + coef


def combine(*parts: tuple[float, Terms]) -> Terms:
    """Σ factor·expression."""
    out: Terms = {}
    for factor, terms in parts:
        for var, coef in terms.items():
            add(out, var, factor * coef)
    return out


class ModelBuilder:
    """Builds the model for one problem, goal and set of constraints."""

    def __init__(
        self, problem: Problem, goal: Goal, constraints: Constraints, settings: Settings
    ) -> None:
        self.lot_margins = settings.lot_margins
        self.pass_through = settings.pass_through
        self.p = problem
        self.goal = goal
        self.c = constraints
        self.lp = LinearModel()
        self.orders: list[OrderVars] = []
        self.routes: list[RouteVars] = []
        # (asset, venue) -> reference-USD balance after the plan, minus the constant holding
        self.position: dict[tuple[str, str], Terms] = defaultdict(dict)
        self.cash: dict[str, Terms] = defaultdict(dict)  # venue -> quote after, minus held
        self.sells: dict[tuple[str, str], Terms] = defaultdict(dict)
        self.outflow: dict[tuple[str, str], Terms] = defaultdict(dict)
        self.inflow: dict[tuple[str, str], Terms] = defaultdict(dict)
        self.proceeds: dict[str, Terms] = defaultdict(dict)
        self.spend: dict[str, Terms] = defaultdict(dict)
        self._sell_reach: dict[tuple[str, str], float] = {}
        self._raise_reach: dict[str, float] = {}

    def held_usd(self, asset: str, venue: str) -> float:
        """What the venue holds of ``asset`` now, in reference USD."""
        return float(self.p.held(asset, venue) * self.p.price(asset))

    def forbidden(self, asset: str, venue: str) -> bool:
        """True when the venue must not hold the asset."""
        return asset in self.c.forbidden_assets.get(venue, frozenset())

    # ---- bounds ---------------------------------------------------------------------------

    def sell_reach(self, asset: str, venue: str) -> float:
        """Most of ``asset`` the venue could sell: its holding plus asset transfers in."""
        key = (asset, venue)
        if key not in self._sell_reach:
            total = self.held_usd(asset, venue)
            for route in self.p.routes:
                if route.asset == asset and route.destination == venue:
                    total += self.held_usd(asset, route.source)
            self._sell_reach[key] = total
        return self._sell_reach[key]

    def raise_reach(self, venue: str) -> float:
        """Most quote the venue could hold before its buys: cash plus every possible sell."""
        if venue not in self._raise_reach:
            total = self.held_usd(self.p.quote, venue)
            if self.goal.allow_sells:
                for market in self.p.markets:
                    if market.venue == venue:
                        total += self.sell_reach(market.asset, venue) * market.sell_cash()
            self._raise_reach[venue] = total
        return self._raise_reach[venue]

    def buy_reach(self, venue: str) -> float:
        """Most quote the venue could spend: what it raises plus quote sent from elsewhere."""
        if self.pass_through:
            total = sum(self.raise_reach(v) for v in self.p.venues)
        else:
            total = self.raise_reach(venue)
            for route in self.p.routes:
                if route.asset == self.p.quote and route.destination == venue:
                    total += self.raise_reach(route.source)
        return min(total, float(self.p.total) * 1.01)

    def send_reach(self, route: Route) -> float:
        """Most a route could carry: the source's holding (asset) or the quote it could have."""
        if route.asset != self.p.quote:
            return self.held_usd(route.asset, route.source)
        if self.pass_through:
            return min(sum(self.raise_reach(v) for v in self.p.venues), float(self.p.total) * 1.01)
        return self.raise_reach(route.source)

    def minimum_usd(self, market: MarketOption, side: str) -> float:
        """The smallest active order in reference USD: exchange minimums, policy minimums, plus
        one lot so rounding to the nearest lot cannot fall below them."""
        rules = market.rules
        price = market.quote.ask if side == "buy" else market.quote.bid
        units = max(rules.min_amount, rules.min_notional / price)
        units = max(units, self.c.min_trade_notional / price)
        position = self.p.valuation.values.get(market.asset, ZERO)
        percent_floor = position * self.c.min_trade_percent_of_position / 100 / market.price
        units = max(units, percent_floor)
        if self.lot_margins:
            units += rules.amount_step
        return float(units * market.price)

    def slice_usd(self, market: MarketOption, side: str) -> float | None:
        """The largest single order in reference USD under ``max_order_notional`` (less a lot)."""
        cap = self.c.max_order_notional
        if cap is None:
            return None
        price = market.quote.ask if side == "buy" else market.quote.bid
        units = cap / price - (market.rules.amount_step if self.lot_margins else 0)
        if market.rules.max_amount is not None:
            units = min(units, market.rules.max_amount)
        return max(float(units * market.price), 0.0)

    # ---- variables ------------------------------------------------------------------------

    def add_order(self, market: MarketOption, side: str, reach: float) -> None:
        """Add one market side with its all-or-nothing minimum and optional slicing."""
        cost = market.buy_cost() if side == "buy" else market.sell_cost()
        floor = self.minimum_usd(market, side)
        if reach < floor:
            return
        piece = self.slice_usd(market, side)
        if piece is not None and piece < floor:
            return
        amount = self.lp.add_var(cost, reach)
        if piece is None:
            piece = reach
            count = self.lp.add_var(0.0, 1.0, integer=True)
        else:
            count = self.lp.add_var(0.0, float(math.ceil(reach / piece)), integer=True)
        self.lp.add_row({amount: 1.0, count: -piece}, upper=0.0)
        self.lp.add_row({amount: 1.0, count: -floor}, lower=0.0)
        self.orders.append(OrderVars(market, side, amount, count, floor, piece))
        key = (market.asset, market.venue)
        if side == "buy":
            add(self.position[key], amount, 1.0)
            add(self.spend[market.venue], amount, market.buy_cash())
            add(self.cash[market.venue], amount, -market.buy_cash())
        else:
            add(self.position[key], amount, -1.0)
            add(self.sells[key], amount, 1.0)
            add(self.proceeds[market.venue], amount, market.sell_cash())
            add(self.cash[market.venue], amount, market.sell_cash())

    def add_markets(self) -> None:
        """Add buy and sell variables for every market, in (venue, symbol) order."""
        for market in self.p.markets:
            venue, asset = market.venue, market.asset
            if self.goal.allow_buys and not self.forbidden(asset, venue):
                reach = self.buy_reach(venue) / market.buy_cash()
                self.add_order(market, "buy", reach)
            if self.goal.allow_sells:
                self.add_order(market, "sell", self.sell_reach(asset, venue))

    def add_routes(self) -> None:
        """Add amount and use variables for every route that could carry something."""
        used_by: dict[tuple[str, str, str], int] = {}
        for route in self.p.routes:
            price = float(self.p.price(route.asset))
            reach = self.send_reach(route)
            floor = float(max(route.min_amount, route.fee)) * price * (1 + 1e-6) + 1e-6
            if reach <= floor or self.forbidden(route.asset, route.destination):
                continue
            fee = float(route.fee) * price
            amount = self.lp.add_var(0.0, reach)
            used = self.lp.add_var(fee, 1.0, integer=True)
            self.lp.add_row({amount: 1.0, used: -floor}, lower=0.0)
            self.lp.add_row({amount: 1.0, used: -reach}, upper=0.0)
            self.routes.append(RouteVars(route, amount, used))
            reverse = used_by.get((route.asset, route.destination, route.source))
            if reverse is not None:  # never both ways: forwarding must not form a cycle
                self.lp.add_row({used: 1.0, reverse: 1.0}, upper=1.0)
            used_by.setdefault((route.asset, route.source, route.destination), used)
            source = (route.asset, route.source)
            target = (route.asset, route.destination)
            add(self.outflow[source], amount, 1.0)
            add(self.inflow[target], amount, 1.0)
            add(self.inflow[target], used, -fee)
            if route.asset == self.p.quote:
                add(self.cash[route.source], amount, -1.0)
                add(self.cash[route.destination], amount, 1.0)
                add(self.cash[route.destination], used, -fee)
            else:
                add(self.position[source], amount, -1.0)
                add(self.position[target], amount, 1.0)
                add(self.position[target], used, -fee)

    # ---- balance rows ---------------------------------------------------------------------

    def add_balances(self) -> None:
        """Keep every balance non-negative under any schedule; keep cash reserves."""
        for asset in self.p.assets:
            if asset == self.p.quote:
                continue
            for venue in self.p.venues:
                key = (asset, venue)
                held = self.held_usd(asset, venue)
                if self.outflow[key]:
                    self.lp.add_row(self.outflow[key], upper=held)
                used = combine((1.0, self.sells[key]), (1.0, self.outflow[key]))
                if used:
                    self.lp.add_row(combine((1.0, used), (-1.0, self.inflow[key])), upper=held)
                if self.forbidden(asset, venue) and (held > 0 or self.position[key]):
                    slack = self.lp.add_var(BAND_PENALTY)
                    terms = combine((1.0, self.position[key]))
                    add(terms, slack, -1.0)
                    self.lp.add_row(terms, upper=-held)
        quote = self.p.quote
        for venue in self.p.venues:
            held = self.held_usd(quote, venue)
            out = self.outflow[(quote, venue)]
            if out and not self.pass_through:  # otherwise the DAG orders forwarding
                self.lp.add_row(combine((1.0, out), (-1.0, self.proceeds[venue])), upper=held)
            reserve = float(self.c.cash_reserve.get(venue, ZERO))
            terms = combine((1.0, self.cash[venue]))
            if reserve > 0:
                slack = self.lp.add_var(RESERVE_PENALTY, reserve)
                add(terms, slack, 1.0)
            if terms:
                self.lp.add_row(terms, lower=reserve - held)

    # ---- portfolio-level rows ------------------------------------------------------------

    def asset_after(self, asset: str) -> tuple[Terms, float]:
        """The asset's portfolio value after the plan as (terms, constant)."""
        terms: Terms = {}
        const = float(self.p.fixed_value(asset))
        for venue in self.p.venues:
            const += self.held_usd(asset, venue)
            source = self.cash[venue] if asset == self.p.quote else self.position[(asset, venue)]
            terms = combine((1.0, terms), (1.0, source))
        return terms, const

    def add_band(self, band: Band, asset: str, total: tuple[Terms, float], penalty: float) -> None:
        """lower·W' − slack ≤ x_a ≤ upper·W' + slack, with W' the value after the plan."""
        terms, const = self.asset_after(asset)
        w_terms, w_const = total
        for bound, sign in ((float(band.lower), 1.0), (float(band.upper), -1.0)):
            if (sign > 0 and bound <= 0) or (sign < 0 and bound >= 1):
                continue
            slack = self.lp.add_var(penalty)
            row = combine((sign, terms), (-sign * bound, w_terms))
            add(row, slack, 1.0)
            self.lp.add_row(row, lower=-sign * (const - bound * w_const))

    def total_after(self) -> tuple[Terms, float]:
        """W' as (terms, constant): one variable tied to the sum of every position after."""
        terms: Terms = {}
        const = 0.0
        for asset in self.p.assets:
            a_terms, a_const = self.asset_after(asset)
            terms = combine((1.0, terms), (1.0, a_terms))
            const += a_const
        total = self.lp.add_var(0.0, lower=-INF)
        row = combine((-1.0, terms))
        add(row, total, 1.0)
        self.lp.add_row(row, lower=const, upper=const)
        return {total: 1.0}, 0.0

    def add_goal(self) -> None:
        """Add the run type's aims: bands, target tube, invest budget, withdrawal."""
        total = self.total_after()
        for asset, band in sorted(self.goal.destination.items()):
            self.add_band(band, asset, total, BAND_PENALTY)
        for asset, band in sorted(self.goal.tube.items()):
            self.add_band(band, asset, total, TUBE_PENALTY)
        if self.goal.invest_budget is not None:
            self.add_invest(float(self.goal.invest_budget))
        if self.goal.withdraw_amount is not None:
            self.add_withdraw(float(self.goal.withdraw_amount), total)
        limit = self.c.max_trades_per_run
        if limit is not None and self.orders:
            self.lp.add_row({o.count: 1.0 for o in self.orders}, upper=float(limit))

    def add_invest(self, budget: float) -> None:
        """Spend at most the cash above target, filling the largest deficits first."""
        spend = combine(*((1.0, terms) for _, terms in sorted(self.spend.items())))
        if spend:
            self.lp.add_row(spend, upper=budget)
        deepest = self.lp.add_var(AIM_PENALTY)
        total = float(self.p.total)
        for asset in self.p.assets:
            if asset == self.p.quote or not self.p.tradable(asset):
                continue
            terms, const = self.asset_after(asset)
            deficit = self.lp.add_var(AIM_PENALTY)
            # deficit >= target·W − x_a  and  deepest >= deficit
            row = combine((1.0, terms))
            add(row, deficit, 1.0)
            self.lp.add_row(row, lower=float(self.goal.targets.get(asset, ZERO)) * total - const)
            self.lp.add_row({deepest: 1.0, deficit: -1.0}, lower=0.0)

    def add_withdraw(self, amount: float, total: tuple[Terms, float]) -> None:
        """Hold ``amount`` more quote than the rest needs; keep the rest close to target."""
        cash: Terms = {}
        held = 0.0
        for venue in self.p.venues:
            cash = combine((1.0, cash), (1.0, self.cash[venue]))
            held += self.held_usd(self.p.quote, venue)
        short = self.lp.add_var(BAND_PENALTY)
        row = combine((1.0, cash))
        add(row, short, 1.0)
        self.lp.add_row(row, lower=amount - held)
        w_terms, w_const = total
        for asset in self.p.assets:
            if not self.p.tradable(asset):
                continue
            terms, const = self.asset_after(asset)
            if asset == self.p.quote:
                const -= amount
            target = float(self.goal.targets.get(asset, ZERO))
            gap = self.lp.add_var(AIM_PENALTY)
            # gap >= ±(x_a − target·(W' − amount))
            for sign in (1.0, -1.0):
                row = combine((sign, terms), (-sign * target, w_terms))
                add(row, gap, 1.0)
                rhs = sign * (const - target * (w_const - amount))
                self.lp.add_row(row, lower=-rhs)

    def build(self) -> PlanModel:
        """Build every part of the model in a fixed order."""
        self.add_markets()
        self.add_routes()
        self.add_balances()
        self.add_goal()
        return PlanModel(self.lp, self.orders, self.routes)


def build_model(
    problem: Problem, goal: Goal, constraints: Constraints, settings: Settings
) -> PlanModel:
    """The MILP-lite model of one run (``lot_margins`` off: the exact reference model)."""
    return ModelBuilder(problem, goal, constraints, settings).build()


def rounded_relaxation(model: PlanModel, relaxed: Solution, limit: int | None) -> Solution | None:
    """The LP relaxation's answer made integral, if that keeps it feasible and as cheap.

    Order counts cost nothing, so when every LP order is zero or at least its minimum and no
    route is used, counting the orders (rounding up) gives a MIP-feasible point with the LP's
    objective: it is optimal and the MIP need not run. Otherwise ``None``.
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


__all__ = ["INF", "OrderVars", "PlanModel", "RouteVars", "Settings", "build_model", "solve_model"]
