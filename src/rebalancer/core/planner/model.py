"""The MILP-lite model (docs/planner.md): continuous amounts, binaries only where they matter.

Variables, all in reference USD (units × the asset's reference price):

* ``b``/``s`` per market: bought / sold; ``n`` per market side: how many orders (0 or 1, or
  the number of slices when orders are capped), so a minimum notional is all-or-nothing; a
  side binary per market with both sides, so one plan never buys and sells one market;
* ``t`` per route: sent; ``y`` per route: used, so the withdrawal fee is a fixed charge;
* penalised slacks, so the model is always feasible and what it cannot reach is reported.

Rows keep every balance non-negative however the plan's DAG is scheduled: sells and asset
transfers only use what a venue holds (or receives from an asset transfer); quote transfers use
what a venue holds plus its sells, plus what it receives when forwarding is allowed (the DAG
then makes them wait for the incoming transfers); buys wait for all of it. Big-Ms are tight:
what the venue could possibly hold or raise, never the whole portfolio. The portfolio-level
rows (bands, run-type aims) are in ``aims.py``; solving is in ``solve.py``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from rebalancer.core.planner.goals import Goal
from rebalancer.core.planner.milp import LinearModel
from rebalancer.core.planner.problem import MarketOption, Problem
from rebalancer.domain.money import ZERO
from rebalancer.domain.policy import Constraints
from rebalancer.domain.snapshot import Route

BAND_PENALTY = 100.0  # per USD outside the destination band: effectively hard
RESERVE_PENALTY = 100.0  # per USD below a venue's cash reserve
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


OneSide = tuple[int, tuple["OrderVars", ...], tuple["OrderVars", ...]]  # (side, buys, sells)


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
    one_side: list[OneSide] = field(default_factory=list)


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
    get = out.get
    for factor, terms in parts:
        for var, coef in terms.items():
            out[var] = get(var, 0.0) + factor * coef  # ``add``, inlined: the model's hot loop
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
        self.one_side: list[OneSide] = []
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
        if self.goal.policy_minimums:
            units = max(units, self.c.min_trade_notional / price)
            position = self.p.valuation.values.get(market.asset, ZERO)
            percent_floor = position * self.c.min_trade_percent_of_position / 100 / market.price
            units = max(units, percent_floor)
        if self.lot_margins:
            units += rules.amount_step
        return float(units * market.price)

    def slice_usd(self, market: MarketOption) -> float | None:
        """The largest single order in reference USD under ``max_order_notional`` (less a lot).

        The cap holds at the ask on both sides: a sell placed as a limit at the touch rests at
        the ask, and the pre-trade gate checks it at that price.
        """
        cap = self.c.max_order_notional
        if cap is None:
            return None
        units = cap / market.quote.ask - (market.rules.amount_step if self.lot_margins else 0)
        if market.rules.max_amount is not None:
            units = min(units, market.rules.max_amount)
        return max(float(units * market.price), 0.0)

    # ---- variables ------------------------------------------------------------------------

    def add_order(self, market: MarketOption, side: str, reach: float) -> OrderVars | None:
        """Add one market side with its all-or-nothing minimum and optional slicing."""
        if (market.venue, market.rules.symbol, side) in self.goal.excluded:
            return None
        cost = market.buy_cost() if side == "buy" else market.sell_cost()
        floor = self.minimum_usd(market, side)
        if reach < floor:
            return None
        piece = self.slice_usd(market)
        if piece is not None and piece < floor:
            return None
        amount = self.lp.add_var(cost, reach)
        if piece is None:
            piece = reach
            count = self.lp.add_var(0.0, 1.0, integer=True)
        else:
            count = self.lp.add_var(0.0, float(math.ceil(reach / piece)), integer=True)
        self.lp.add_row({amount: 1.0, count: -piece}, upper=0.0)
        self.lp.add_row({amount: 1.0, count: -floor}, lower=0.0)
        order = OrderVars(market, side, amount, count, floor, piece)
        self.orders.append(order)
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
        return order

    def add_markets(self) -> None:
        """Add buy and sell variables for every market, in (venue, symbol) order; an asset is
        bought or sold in one plan, never both."""
        sides: dict[str, tuple[list[OrderVars], list[OrderVars]]] = {}
        for market in self.p.markets:
            venue, asset = market.venue, market.asset
            buys, sells = sides.setdefault(asset, ([], []))
            if self.goal.allow_buys and not self.forbidden(asset, venue):
                reach = self.buy_reach(venue) / market.buy_cash()
                if (buy := self.add_order(market, "buy", reach)) is not None:
                    buys.append(buy)
            if self.goal.allow_sells:
                sell = self.add_order(market, "sell", self.sell_reach(asset, venue))
                if sell is not None and not self.forbidden(asset, venue):
                    sells.append(sell)  # selling off a venue that must not hold it may pair
                    # with buying it elsewhere: that moves the holding, as a transfer would
        for buys, sells in sides.values():
            if buys and sells:
                self.add_one_side(tuple(buys), tuple(sells))

    def add_one_side(self, buys: tuple[OrderVars, ...], sells: tuple[OrderVars, ...]) -> None:
        """An asset is bought or sold in one plan, never both (on one venue or across venues).

        Buying and selling one asset only pays fees and spread twice, yet the all-or-nothing
        minimums make it attractive: two orders above the minimum can net to a move below it
        (sell 22, buy 11 when 11 is the least one order may trade), or a sell on one venue can
        stand in for a cash transfer to a buy on another.
        """
        side = self.lp.add_var(0.0, 1.0, integer=True)  # 1: this asset may be bought
        most_buys = sum(self.lp.upper[o.count] for o in buys)
        most_sells = sum(self.lp.upper[o.count] for o in sells)
        row = {o.count: 1.0 for o in buys}
        add(row, side, -most_buys)
        self.lp.add_row(row, upper=0.0)
        row = {o.count: 1.0 for o in sells}
        add(row, side, most_sells)
        self.lp.add_row(row, upper=most_sells)
        self.one_side.append((side, buys, sells))

    def needless_asset_move(self, route: Route) -> bool:
        """True for an asset route a plan has no use for. An asset moves to a venue that can
        sell it, or off a venue that must not hold it; a buy-only run never moves one, and a
        sell-only run (withdraw, liquidate) only off a venue that cannot sell it itself.

        (Without these rules a move's fee looks like a way to shed an overweight asset's value
        that no venue can sell: fees paid for nothing.)"""
        asset = route.asset
        if asset == self.p.quote:
            return False
        if not self.goal.allow_sells:
            return True
        if self.forbidden(asset, route.source):
            return False
        listed = any(m.asset == asset and m.venue == route.destination for m in self.p.markets)
        if not listed:
            return True
        return not self.goal.allow_buys and self.sellable_here(asset, route.source)

    def sellable_here(self, asset: str, venue: str) -> bool:
        """True when the venue could sell what it holds of ``asset`` on one of its markets."""
        held = self.held_usd(asset, venue)
        return any(
            m.asset == asset and m.venue == venue and self.minimum_usd(m, "sell") <= held
            for m in self.p.markets
        )

    def add_routes(self) -> None:
        """Add amount and use variables for every route that could carry something."""
        used_by: dict[tuple[str, str, str], int] = {}
        for route in self.p.routes:
            price = float(self.p.price(route.asset))
            reach = self.send_reach(route)
            # never less than twice the fee: no transfer costs more than it moves
            floor = float(max(route.min_amount, 2 * route.fee)) * price * (1 + 1e-6) + 1e-6
            if reach <= floor or self.forbidden(route.asset, route.destination):
                continue
            if self.needless_asset_move(route):
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

    def build(self) -> PlanModel:
        """Build every part of the model in a fixed order."""
        from rebalancer.core.planner.aims import add_goal

        self.add_markets()
        self.add_routes()
        self.add_balances()
        add_goal(self)
        return PlanModel(self.lp, self.orders, self.routes, self.one_side)


def build_model(
    problem: Problem, goal: Goal, constraints: Constraints, settings: Settings
) -> PlanModel:
    """The MILP-lite model of one run (``lot_margins`` off: the exact reference model)."""
    return ModelBuilder(problem, goal, constraints, settings).build()
