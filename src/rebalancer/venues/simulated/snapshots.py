"""Snapshots read straight from the exchange engine: the backtest's ``MarketState``.

The daemon builds its snapshots from market state (streams and REST); a backtest's venues live
in the same process, so their state is read directly, with the same result type: free
balances, every wanted market the venue lists with its best bid and ask, the routes between the
venues, and what is in transit. In transit is the engine's truth: every withdrawal still on its
way from one of the portfolio's venues to another, net of its fee. A coin whose market was
delisted everywhere keeps its last mid as a reference price, so it is still valued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import InTransit, ListedMarket, Route, Snapshot, VenueSnapshot
from rebalancer.exchange_sim.engine import Book, Engine


class EngineSnapshots:
    """Snapshots of one account on some of an engine's venues."""

    def __init__(
        self,
        engine: Engine,
        account: str,
        *,
        venues: Sequence[str],
        symbols: Sequence[str],
        routes: Sequence[Route],
        now: Callable[[], datetime],
    ) -> None:
        self._engine = engine
        self._account = account
        self._venues = tuple(venues)
        self._symbols = tuple(sorted(symbols))
        own = set(self._venues)
        self._routes = tuple(r for r in routes if {r.source, r.destination} <= own)
        self._now = now
        # (venue, symbol) -> (book version, listed market): a quote is rebuilt only after a move
        self._cache: dict[tuple[str, str], tuple[int, ListedMarket]] = {}

    def snapshot(self) -> Snapshot:
        """The state of the venues now (due withdrawals are completed first)."""
        self._engine.advance()
        venues = {name: self._venue(name) for name in self._venues}
        return Snapshot(
            taken_at=self._now(),
            venues=venues,
            routes=self._routes,
            in_transit=self._in_transit(),
            reference_prices=self._reference_prices(venues),
        )

    async def take(self) -> Snapshot:
        """``snapshot`` as the coroutine a run cycle asks for."""
        return self.snapshot()

    def _venue(self, name: str) -> VenueSnapshot:
        venue = self._engine.venues[name]
        account = venue.account(self._account)
        balances = {
            asset: balance.free
            for asset, balance in sorted(account.balances.items())
            if balance.free != 0
        }
        markets: dict[str, ListedMarket] = {}
        for symbol in self._symbols:
            book = venue.books.get(symbol)
            if book is not None and book.mid > 0:
                markets[symbol] = self._listed(name, symbol, book)
        return VenueSnapshot(balances, markets)

    def _listed(self, venue: str, symbol: str, book: Book) -> ListedMarket:
        cached = self._cache.get((venue, symbol))
        if cached is not None and cached[0] == book.version:
            return cached[1]
        bids, asks = book.bids, book.asks
        # the top level is the best one unless a taker emptied it since the last price move
        bid = bids[0] if bids and bids[0].quantity > 0 else book.best_bid
        ask = asks[0] if asks and asks[0].quantity > 0 else book.best_ask
        if bid is None or ask is None:
            raise ValueError(f"{venue} {symbol}: the book has no bid or ask")
        listed = ListedMarket(book.market, Quote(bid.price, ask.price))
        self._cache[(venue, symbol)] = (book.version, listed)
        return listed

    def _in_transit(self) -> tuple[InTransit, ...]:
        moving = []
        own = set(self._venues)
        for withdrawal in self._engine.pending_withdrawals():
            where = withdrawal.destination
            if (
                withdrawal.account == self._account
                and withdrawal.venue in own
                and where is not None
                and where.venue in own
                and where.account == self._account
            ):
                amount = withdrawal.amount - withdrawal.fee
                moving.append(InTransit(withdrawal.asset, withdrawal.venue, where.venue, amount))
        return tuple(moving)

    def _reference_prices(self, venues: dict[str, VenueSnapshot]) -> dict[str, Decimal]:
        """Last mids of held coins that no venue lists any more."""
        listed = {symbol for state in venues.values() for symbol in state.markets}
        held = {asset for state in venues.values() for asset in state.balances}
        prices: dict[str, Decimal] = {}
        for name in self._venues:
            for symbol, mid in self._engine.venues[name].delisted.items():
                base = symbol.partition("/")[0]
                if base in held and symbol not in listed and mid > 0:
                    prices[base] = mid
        return prices
