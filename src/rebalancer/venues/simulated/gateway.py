"""An in-process ``VenueGateway`` over the simulator engine: paper trading, backtests, tests.

The same engine (books, fills, fees, transfers) that the loopback servers put on the wire is
called directly, so paper mode and service tests use the real fill model without sockets. Every
read first brings the engine to its clock (``engine.advance``), so withdrawals arrive when due.

``Faults`` injects what networks do to real gateways: a create the venue accepted whose answer
was lost (``AmbiguousOrderOutcome`` after the order exists), a create lost before it arrived,
the same two for withdrawals, transient read failures, and a venue that does not answer at all.

Each watch (quotes, balances, orders) has its own subscription and queue, as each is its own
stream on a real venue, so watches running together never take each other's events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rebalancer.domain.errors import (
    AmbiguousOrderOutcome,
    RetryableVenueError,
    VenueUnavailable,
)
from rebalancer.domain.market import Market
from rebalancer.domain.orders import Balance, OrderReport, OrderType, SubmitOrder
from rebalancer.domain.quotes import Quote
from rebalancer.domain.transfers import DepositAddress, TransferReport, WithdrawRequest
from rebalancer.exchange_sim.engine import (
    BalancesChanged,
    Engine,
    Event,
    OrderUpdated,
    PricesMoved,
    Rejected,
    RejectReason,
    TimeInForce,
)
from rebalancer.venues.simulated.mapping import (
    deposit_report,
    order_report,
    venue_error,
    withdrawal_report,
)


@dataclass(slots=True)
class Faults:
    """Failures to inject; counters go down as they fire. All zero/False: a healthy venue."""

    accept_then_ambiguous: int = 0  # the engine takes the order, the caller hears a timeout
    lose_before_accept: int = 0  # the request never arrives, the caller hears a timeout
    withdraw_accept_then_ambiguous: int = 0  # the withdrawal is made, the caller hears a timeout
    withdraw_lose_before_accept: int = 0  # the withdrawal request never arrives
    failing_reads: int = 0  # reads raise RetryableVenueError
    unreachable: bool = False  # every call raises VenueUnavailable

    def take(self, name: str) -> bool:
        """Use up one of the named counter's failures; True when one fired."""
        left: int = getattr(self, name)
        if left <= 0:
            return False
        setattr(self, name, left - 1)
        return True


class SimulatedGateway:
    """One account on one venue of an in-process ``Engine``."""

    def __init__(
        self, engine: Engine, venue: str, api_key: str, faults: Faults | None = None
    ) -> None:
        self._engine = engine
        self._venue = engine.venue(venue)
        self._key = api_key
        self.faults = faults or Faults()
        self._streams: dict[str, asyncio.Queue[Event]] = {}
        self._unsubscribes: list[Callable[[], None]] = []

    @property
    def name(self) -> str:
        """The venue's name."""
        return self._venue.name

    @property
    def request_window_s(self) -> float:
        """Nothing is carried out late in process: a create or withdrawal is done, or not sent."""
        return 0.0

    async def _next_event(self, stream: str) -> Event:
        """The next engine event of this venue on ``stream``; its first watch subscribes it.

        Every stream has its own queue: an event one watch skips is still there for another.
        """
        events = self._streams.get(stream)
        if events is None:
            queue: asyncio.Queue[Event] = asyncio.Queue()
            self._streams[stream] = events = queue

            def listen(event: Event) -> None:
                if event.venue == self._venue.name:
                    queue.put_nowait(event)

            self._unsubscribes.append(self._engine.subscribe(listen))
        return await events.get()

    def _reach(self) -> None:
        if self.faults.unreachable:
            raise VenueUnavailable(self.name, "simulated outage: no answer")

    def _read(self) -> None:
        self._reach()
        if self.faults.take("failing_reads"):
            raise RetryableVenueError(self.name, "simulated read timeout")
        self._engine.advance()

    async def load_markets(self) -> Mapping[str, Market]:
        """Every market's rules."""
        self._read()
        return dict(self._venue.markets)

    async def fetch_balances(self) -> Mapping[str, Balance]:
        """Every nonzero balance."""
        self._read()
        account = self._venue.account(self._key)
        return {
            asset: Balance(asset, b.free, b.locked)
            for asset, b in sorted(account.balances.items())
            if b.free or b.locked
        }

    async def watch_balances(self) -> Mapping[str, Balance]:
        """The next balance change of this account."""
        while True:
            event = await self._next_event("balances")
            if isinstance(event, BalancesChanged) and event.account == self._key:
                return {a: Balance(a, free, locked) for a, (free, locked) in event.balances.items()}

    async def fetch_quotes(self, symbols: Sequence[str]) -> Mapping[str, Quote]:
        """Best bid and ask of ``symbols``."""
        self._read()
        return {symbol: self._quote(symbol) for symbol in symbols}

    def _quote(self, symbol: str) -> Quote:
        book = self._venue.books[symbol]
        bid, ask = book.best_bid, book.best_ask
        if bid is None or ask is None:
            raise RetryableVenueError(self.name, f"{symbol}: empty book")
        return Quote(bid.price, ask.price)

    async def watch_quotes(self, symbols: Sequence[str]) -> Mapping[str, Quote]:
        """The next quotes of ``symbols`` that moved."""
        while True:
            event = await self._next_event("quotes")
            if isinstance(event, PricesMoved):
                moved = [s for s in event.symbols if s in symbols]
                if moved:
                    return {symbol: self._quote(symbol) for symbol in moved}

    async def create_order(self, order: SubmitOrder) -> OrderReport:
        """Place an order; injected faults make the outcome ambiguous."""
        self._reach()
        if self.faults.take("lose_before_accept"):
            raise AmbiguousOrderOutcome(self.name, "simulated timeout before the venue saw it")
        limit = order.type is OrderType.LIMIT
        try:
            placed = self._venue.place_order(
                self._key,
                order.symbol,
                order.side,
                order.type,
                amount=order.amount,
                price=order.price if limit else None,
                time_in_force=order.time_in_force or TimeInForce.GTC,
                client_order_id=order.client_order_id,
            )
        except Rejected as error:
            raise venue_error(self.name, error) from error
        if self.faults.take("accept_then_ambiguous"):
            raise AmbiguousOrderOutcome(self.name, "simulated timeout after the venue took it")
        return order_report(self.name, placed)

    async def fetch_order_by_client_id(
        self, symbol: str, client_order_id: str
    ) -> OrderReport | None:
        """Our order by client id; None only when the venue does not have it."""
        self._read()
        try:
            found = self._venue.find_order(self._key, client_order_id=client_order_id)
        except Rejected as error:
            if error.reason is RejectReason.ORDER_NOT_FOUND:
                return None
            raise venue_error(self.name, error) from error
        return order_report(self.name, found) if found.symbol == symbol else None

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderReport | None:
        """Cancel by client id; an order already closed is returned as it ended."""
        self._reach()
        try:
            cancelled = self._venue.cancel_order(self._key, client_order_id=client_order_id)
        except Rejected as error:
            if error.reason is RejectReason.ORDER_NOT_FOUND:
                return None
            if error.reason is RejectReason.ORDER_NOT_OPEN:
                return await self.fetch_order_by_client_id(symbol, client_order_id)
            raise venue_error(self.name, error) from error
        return order_report(self.name, cancelled)

    async def fetch_open_orders(self, symbol: str | None = None) -> Sequence[OrderReport]:
        """Every open order of this account."""
        self._read()
        return [order_report(self.name, o) for o in self._venue.open_orders(self._key, symbol)]

    async def watch_orders(self) -> Sequence[OrderReport]:
        """The next order updates of this account."""
        while True:
            event = await self._next_event("orders")
            if isinstance(event, OrderUpdated) and event.account == self._key:
                return [order_report(self.name, event.order)]

    async def withdraw(self, request: WithdrawRequest) -> TransferReport:
        """Start a withdrawal; injected faults make the outcome ambiguous."""
        self._reach()
        if self.faults.take("withdraw_lose_before_accept"):
            raise AmbiguousOrderOutcome(self.name, "simulated timeout before the venue saw it")
        try:
            withdrawal = self._engine.withdraw(
                self.name,
                self._key,
                request.asset,
                request.amount,
                request.address,
                network=request.network,
                tag=request.tag,
                client_id=request.client_id,
            )
        except Rejected as error:
            if error.reason is RejectReason.DUPLICATE_WITHDRAWAL_ID:
                # the id names a withdrawal that exists: settle by looking it up, like a venue
                raise AmbiguousOrderOutcome(self.name, error.message) from error
            raise venue_error(self.name, error) from error
        if self.faults.take("withdraw_accept_then_ambiguous"):
            raise AmbiguousOrderOutcome(self.name, "simulated timeout after the venue took it")
        return withdrawal_report(withdrawal)

    async def fetch_withdrawal_by_client_id(
        self, asset: str, client_id: str
    ) -> TransferReport | None:
        """Our withdrawal by client id; None only when the venue has none with it."""
        self._read()
        found = self._engine.find_withdrawal(self.name, self._key, client_id)
        return withdrawal_report(found) if found is not None and found.asset == asset else None

    async def fetch_withdrawals(self, asset: str | None = None) -> Sequence[TransferReport]:
        """This account's withdrawals, oldest first."""
        self._read()
        return [
            withdrawal_report(w)
            for w in self._engine.account_withdrawals(self.name, self._key)
            if asset in (None, w.asset)
        ]

    async def fetch_deposits(self, asset: str | None = None) -> Sequence[TransferReport]:
        """This account's deposits, oldest first."""
        self._read()
        return [
            deposit_report(d)
            for d in self._engine.account_deposits(self.name, self._key)
            if asset in (None, d.asset)
        ]

    async def fetch_deposit_address(self, asset: str, network: str) -> DepositAddress:
        """Where ``asset`` sent over ``network`` is credited to this account."""
        self._read()
        try:
            chosen, address = self._engine.deposit_address(self.name, self._key, asset, network)
        except Rejected as error:
            raise venue_error(self.name, error) from error
        return DepositAddress(asset, chosen.network, address)

    async def close(self) -> None:
        """Stop listening to the engine."""
        while self._unsubscribes:
            self._unsubscribes.pop()()
        self._streams.clear()
