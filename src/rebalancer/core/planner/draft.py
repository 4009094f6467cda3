"""The plan under construction: trades and transfers in Decimal, plus what was given up.

Each pipeline stage takes a ``Draft`` and returns a new one; whatever a stage cannot keep it
moves into ``residuals`` with a reason, so nothing disappears silently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from rebalancer.core.planner.problem import MarketOption, Problem
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import ZERO
from rebalancer.domain.plan import Residual
from rebalancer.domain.snapshot import Route


@dataclass(frozen=True, slots=True)
class Trade:
    """An order (or one slice of one) on a market: ``amount`` of base."""

    market: MarketOption
    side: OrderSide
    amount: Decimal
    slices: int = 1

    @property
    def price(self) -> Decimal:
        """The expected fill: the ask for buys, the bid for sells."""
        quote = self.market.quote
        return quote.ask if self.side is OrderSide.BUY else quote.bid

    @property
    def notional(self) -> Decimal:
        """amount × price in the quote asset."""
        return self.amount * self.price

    @property
    def notional_at_ask(self) -> Decimal:
        """amount × ask: the most the order is worth at the touch (a limit sell rests at the ask).

        ``max_order_notional`` is held to this, so an order sent as a limit at the touch stays
        under the cap the pre-trade gate enforces.
        """
        return self.amount * self.market.quote.ask

    @property
    def cash_flow(self) -> Decimal:
        """Quote gained by the venue (negative for a buy), fee included."""
        fee = self.market.rules.taker_fee
        if self.side is OrderSide.BUY:
            return -self.notional * (1 + fee)
        return self.notional * (1 - fee)

    @property
    def key(self) -> tuple[str, str, str]:
        """(venue, side, symbol), sells first on a venue."""
        order = "0" if self.side is OrderSide.SELL else "1"
        return (self.market.venue, order, self.market.rules.symbol)


@dataclass(frozen=True, slots=True)
class Transfer:
    """A withdrawal of ``amount`` over ``route``; ``amount - fee`` arrives."""

    route: Route
    amount: Decimal
    purpose: str = ""  # why it carries what it does (stage ``sizing``)

    @property
    def arrival(self) -> Decimal:
        """What reaches the destination."""
        return self.amount - self.route.fee


@dataclass(frozen=True, slots=True)
class Draft:
    """Trades, transfers and residuals at one point of the pipeline."""

    trades: tuple[Trade, ...]
    transfers: tuple[Transfer, ...]
    residuals: tuple[Residual, ...] = ()

    def with_residuals(self, *more: Residual) -> Draft:
        """A copy with more residuals appended."""
        return replace(self, residuals=self.residuals + tuple(more))


def arrivals(draft: Draft, asset: str, venue: str) -> Decimal:
    """What the draft's transfers bring of ``asset`` to ``venue``."""
    moves = draft.transfers
    return sum(
        (t.arrival for t in moves if t.route.asset == asset and t.route.destination == venue),
        ZERO,
    )


def departures(draft: Draft, asset: str, venue: str) -> Decimal:
    """What the draft's transfers take of ``asset`` from ``venue``."""
    return sum(
        (t.amount for t in draft.transfers if t.route.asset == asset and t.route.source == venue),
        ZERO,
    )


def cash_after(draft: Draft, problem: Problem, venue: str) -> Decimal:
    """The venue's quote balance once the whole draft has run."""
    quote = problem.quote
    flows = sum((t.cash_flow for t in draft.trades if t.market.venue == venue), ZERO)
    return (
        problem.held(quote, venue)
        + flows
        + arrivals(draft, quote, venue)
        - departures(draft, quote, venue)
    )


def sells_available(draft: Draft, problem: Problem, asset: str, venue: str) -> Decimal:
    """Units of ``asset`` the venue may sell: held plus arrivals, less what it sends away."""
    return (
        problem.held(asset, venue) + arrivals(draft, asset, venue) - departures(draft, asset, venue)
    )


def forwarding_venues(draft: Draft, problem: Problem) -> frozenset[str]:
    """Venues that send on more quote than they hold plus raise: they forward what they get."""
    quote = problem.quote
    found: set[str] = set()
    for venue in problem.venues:
        raised = sum(
            (
                t.cash_flow
                for t in draft.trades
                if (t.market.venue, t.side) == (venue, OrderSide.SELL)
            ),
            ZERO,
        )
        if departures(draft, quote, venue) > problem.held(quote, venue) + raised:
            found.add(venue)
    return frozenset(found)
