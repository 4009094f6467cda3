"""One simulated venue: its markets and books, accounts, orders and trades.

The venue fills orders against its synthetic books (takers walk the levels, partially filling
when an order is bigger than the depth) and fills resting limit orders as makers at their limit
price when the book moves through them. Fees are charged as Binance does: in the asset received
(base on a buy, quote on a sell), at the maker or taker rate of the market.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import ROUND_UP, Decimal

from rebalancer.domain.market import Market, OrderSide
from rebalancer.domain.money import ZERO
from rebalancer.exchange_sim.engine.account import Account
from rebalancer.exchange_sim.engine.book import Book, BookShape
from rebalancer.exchange_sim.engine.candles import CandleHistory
from rebalancer.exchange_sim.engine.errors import Rejected, RejectReason
from rebalancer.exchange_sim.engine.events import BalancesChanged, Event, OrderUpdated
from rebalancer.exchange_sim.engine.ledger import LedgerEntry, LedgerKind
from rebalancer.exchange_sim.engine.orders import (
    Execution,
    Order,
    OrderKind,
    OrderState,
    TimeInForce,
    Trade,
)
from rebalancer.exchange_sim.engine.tickers import TickerStats
from rebalancer.exchange_sim.engine.validation import check_amount, check_notional, check_price

FEE_QUANTUM = Decimal("0.00000001")


class Venue:
    """A venue's trading state. ``emit`` receives every event; ``now_ms`` is the clock."""

    def __init__(
        self,
        name: str,
        markets: list[Market],
        shape: BookShape,
        *,
        emit: Callable[[Event], None],
        now_ms: Callable[[], int],
        listened: Callable[[], bool] = lambda: True,
        first_order_id: int = 1_000_001,
        price_offset_bps: Decimal = ZERO,
    ) -> None:
        self.name = name
        # this venue quotes the shared path's price shifted by this much (venues differ a bit)
        self.price_offset_bps = price_offset_bps
        self.shape = shape
        self.markets = {m.symbol: m for m in markets}
        self.books = {m.symbol: Book(m, shape) for m in markets}
        self.delisted: dict[str, Decimal] = {}  # symbol -> its last mid
        self.tickers = {m.symbol: TickerStats() for m in markets}
        self.candles = {m.symbol: CandleHistory() for m in markets}
        self.accounts: dict[str, Account] = {}
        self.orders: dict[int, Order] = {}
        self.trades: list[Trade] = []
        # indexes so look-ups and price moves do not scan every order ever placed
        self._by_client: dict[tuple[str, str], Order] = {}
        self._resting: dict[str, dict[int, Order]] = {m.symbol: {} for m in markets}
        self._account_trades: dict[str, list[Trade]] = {}
        self._market_trades: dict[str, list[Trade]] = {m.symbol: [] for m in markets}
        self.ledger: list[LedgerEntry] = []
        self._emit = emit
        self._listened = listened  # False: nobody subscribed, so events need not be built
        self._now_ms = now_ms
        self._next_order_id = first_order_id
        self._next_trade_id = 1

    # -- lookups -----------------------------------------------------------------------------
    def add_account(self, account: Account) -> None:
        """Register an account under its API key."""
        self.accounts[account.api_key] = account

    def account(self, api_key: str) -> Account:
        """The account of an API key, or ``Rejected(UNKNOWN_ACCOUNT)``."""
        account = self.accounts.get(api_key)
        if account is None:
            raise Rejected(RejectReason.UNKNOWN_ACCOUNT, "unknown API key")
        return account

    def market(self, symbol: str) -> Market:
        """The market of a unified symbol, or ``Rejected(UNKNOWN_SYMBOL)``."""
        market = self.markets.get(symbol)
        if market is None:
            raise Rejected(RejectReason.UNKNOWN_SYMBOL, f"unknown symbol {symbol!r}")
        return market

    def find_order(
        self, api_key: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> Order:
        """An account's order by exchange id or client id, or ``Rejected(ORDER_NOT_FOUND)``."""
        order: Order | None = None
        if order_id is not None:
            order = self.orders.get(order_id)
        elif client_order_id is not None:
            order = self._by_client.get((api_key, client_order_id))
        if order is None or order.account != api_key:
            raise Rejected(RejectReason.ORDER_NOT_FOUND, "order does not exist")
        return order

    def open_orders(self, api_key: str, symbol: str | None = None) -> list[Order]:
        """An account's open orders, oldest first, optionally for one symbol."""
        books = [self._resting[symbol]] if symbol is not None else self._resting.values()
        found = [o for book in books for o in book.values() if o.account == api_key]
        return sorted(found, key=lambda o: o.id)

    def account_trades(self, api_key: str, symbol: str | None = None) -> list[Trade]:
        """An account's trades, oldest first, optionally for one symbol."""
        trades = self._account_trades.get(api_key, [])
        return [t for t in trades if symbol in (None, t.symbol)]

    def market_trades(self, symbol: str) -> list[Trade]:
        """Every trade on one market, oldest first (the public trade history).

        A trade's taker bought when ``taker_side(trade)`` is BUY: the order's own side when it
        took, the other side when it rested and was taken.
        """
        self.market(symbol)
        return self._market_trades[symbol]

    def account_ledger(self, api_key: str) -> list[LedgerEntry]:
        """An account's balance changes, oldest first."""
        return [e for e in self.ledger if e.account == api_key]

    def record(
        self,
        api_key: str,
        asset: str,
        kind: LedgerKind,
        change: Decimal,
        *,
        gross: Decimal | None = None,
        fee: Decimal = ZERO,
        trade: Trade | None = None,
        reference: str | None = None,
    ) -> LedgerEntry:
        """Write a balance change that just happened to the account's statement."""
        entry = LedgerEntry(
            id=len(self.ledger) + 1,
            account=api_key,
            asset=asset,
            kind=kind,
            change=change,
            balance=self.account(api_key).balance(asset).total,
            time_ms=self._now_ms(),
            gross=abs(change) if gross is None else gross,
            fee=fee,
            order_id=trade.order_id if trade else None,
            symbol=trade.symbol if trade else None,
            side=trade.side.value if trade else None,
            reference=reference,
        )
        self.ledger.append(entry)
        return entry

    def clear(self) -> None:
        """Forget every order, trade and statement entry (the control plane's reset)."""
        self.orders.clear()
        self.trades.clear()
        self.ledger.clear()
        self._by_client.clear()
        self._account_trades.clear()
        for resting in self._resting.values():
            resting.clear()
        for symbol in self.tickers:
            self.tickers[symbol] = TickerStats()
            self.candles[symbol].clear()
            self._market_trades[symbol].clear()

    # -- listing ------------------------------------------------------------------------------
    def list_market(self, market: Market) -> None:
        """Start trading a new market (a listing); its book is empty until its first price."""
        if market.symbol in self.markets:
            raise ValueError(f"{self.name}: {market.symbol} is already listed")
        self.markets[market.symbol] = market
        self.books[market.symbol] = Book(market, self.shape)
        self.tickers[market.symbol] = TickerStats()
        self.candles[market.symbol] = CandleHistory()
        self._market_trades[market.symbol] = []
        self._resting[market.symbol] = {}
        self.delisted.pop(market.symbol, None)

    def delist(self, symbol: str) -> Decimal:
        """Stop trading a market: cancel its open orders, forget its book; return its last mid.

        Balances of its assets stay in the accounts (a delisted coin is still held).
        """
        self.market(symbol)
        for order in list(self._resting[symbol].values()):
            self._close(order, OrderState.CANCELED, Execution.CANCELED)
            self._publish_balances(self.accounts[order.account], self.markets[symbol])
        last = self.books[symbol].mid
        del self.markets[symbol], self.books[symbol], self.tickers[symbol], self._resting[symbol]
        del self.candles[symbol], self._market_trades[symbol]
        self.delisted[symbol] = last
        return last

    # -- prices -------------------------------------------------------------------------------
    def set_mid(self, symbol: str, mid: Decimal, spread_bps: Decimal | None = None) -> None:
        """Move a market's mid: rebuild its book, then fill resting orders it crossed.

        ``spread_bps`` overrides the book shape's spread until the next move.
        """
        self.books[symbol].set_mid(mid, spread_bps)
        if self.shape.market_data:
            now = self._now_ms()
            self.tickers[symbol].observe_price(mid, now)
            self.candles[symbol].observe_price(mid, now)
        self._match_resting(symbol)

    # -- orders -------------------------------------------------------------------------------
    def place_order(
        self,
        api_key: str,
        symbol: str,
        side: OrderSide,
        kind: OrderKind,
        *,
        amount: Decimal | None = None,
        price: Decimal | None = None,
        quote_amount: Decimal | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        client_order_id: str | None = None,
    ) -> Order:
        """Accept, check and execute an order; return it as it stands afterwards.

        Market orders take liquidity and expire whatever the book could not fill; limit orders
        take what crosses and rest the remainder (GTC) or expire it (IOC). A market buy may be
        sized by ``quote_amount`` instead of ``amount``.
        """
        account = self.account(api_key)
        market = self.market(symbol)
        book = self.books[symbol]
        cid = client_order_id or f"sim-{self._next_order_id}"
        if (api_key, cid) in self._by_client:
            raise Rejected(RejectReason.DUPLICATE_CLIENT_ORDER_ID, f"duplicate client id {cid!r}")
        if kind is OrderKind.LIMIT:
            if amount is None or price is None:
                raise Rejected(RejectReason.BAD_PARAMETER, "a limit order needs amount and price")
            check_amount(market, amount)
            check_price(market, price)
            check_notional(market, amount * price)
        elif quote_amount is not None:
            if side is not OrderSide.BUY or quote_amount <= 0:
                raise Rejected(RejectReason.BAD_PARAMETER, "quote sizing is for market buys only")
            check_notional(market, quote_amount)
        else:
            if amount is None:
                raise Rejected(RejectReason.BAD_PARAMETER, "a market order needs an amount")
            check_amount(market, amount)
            check_notional(market, amount * book.mid)
        now = self._now_ms()
        order = Order(
            id=self._next_order_id,
            client_order_id=cid,
            account=api_key,
            symbol=symbol,
            side=side,
            kind=kind,
            time_in_force=time_in_force if kind is OrderKind.LIMIT else TimeInForce.IOC,
            amount=amount if amount is not None else ZERO,
            price=price,
            created_ms=now,
            updated_ms=now,
            quote_amount=quote_amount,
        )
        fills = book.take(
            side, amount=amount, quote_amount=quote_amount, limit_price=price, dry_run=True
        )
        self._reserve(account, market, order, fills)
        self._next_order_id += 1
        self.orders[order.id] = order
        self._by_client[(api_key, cid)] = order
        if order.quote_amount is not None:
            order.amount = sum((qty for _, qty in fills), ZERO)
        self._publish(order, Execution.NEW, None)
        book.take(side, amount=amount, quote_amount=quote_amount, limit_price=price)
        for fill_price, qty in fills:
            self._fill(order, market, fill_price, qty, maker=False)
        self._finish_taking(order)
        self._publish_balances(account, market)
        return order

    def cancel_order(
        self, api_key: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> Order:
        """Cancel an open order and release what it locked; refuse one that is not open."""
        order = self.find_order(api_key, order_id=order_id, client_order_id=client_order_id)
        if not order.state.is_open:
            raise Rejected(RejectReason.ORDER_NOT_OPEN, f"order {order.id} is {order.state}")
        self._close(order, OrderState.CANCELED, Execution.CANCELED)
        self._publish_balances(self.account(api_key), self.markets[order.symbol])
        return order

    # -- internals ----------------------------------------------------------------------------
    def _reserve(
        self, account: Account, market: Market, order: Order, fills: list[tuple[Decimal, Decimal]]
    ) -> None:
        """Check funds and lock what a resting limit order needs (takers settle per fill)."""
        taker_cost = sum((p * q for p, q in fills), ZERO)
        if order.kind is OrderKind.MARKET:
            if order.side is OrderSide.BUY:
                account.require_free(market.quote, taker_cost)
            else:
                account.require_free(market.base, order.amount)
            return
        assert order.price is not None  # limit orders always carry a price
        if order.side is OrderSide.BUY:
            order.locked_asset, order.locked = market.quote, order.amount * order.price
        else:
            order.locked_asset, order.locked = market.base, order.amount
        account.lock(order.locked_asset, order.locked)

    def _fill(
        self, order: Order, market: Market, price: Decimal, qty: Decimal, *, maker: bool
    ) -> None:
        account = self.accounts[order.account]
        cost = price * qty
        rate = market.maker_fee if maker and market.maker_fee is not None else market.taker_fee
        if order.side is OrderSide.BUY:
            fee, fee_asset = _fee(qty * rate), market.base
            self._pay(account, order, market.quote, cost, qty * (order.price or ZERO))
            account.credit(market.base, qty - fee)
        else:
            fee, fee_asset = _fee(cost * rate), market.quote
            self._pay(account, order, market.base, qty, qty)
            account.credit(market.quote, cost - fee)
        now = self._now_ms()
        trade = Trade(
            id=self._next_trade_id,
            order_id=order.id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            amount=qty,
            cost=cost,
            fee=fee,
            fee_asset=fee_asset,
            maker=maker,
            time_ms=now,
        )
        self._next_trade_id += 1
        self._record_fill(order, market, trade)
        self.trades.append(trade)
        self._account_trades.setdefault(order.account, []).append(trade)
        self._market_trades[order.symbol].append(trade)
        order.trades.append(trade)
        order.filled += qty
        order.cost += cost
        order.updated_ms = now
        order.state = OrderState.FILLED if order.remaining <= 0 else OrderState.PARTIALLY_FILLED
        if order.state is OrderState.FILLED:
            self._resting[order.symbol].pop(order.id, None)
        if self.shape.market_data:
            self.tickers[order.symbol].observe_trade(price, qty, now)
            taker_buys = taker_side(trade) is OrderSide.BUY
            self.candles[order.symbol].observe_trade(price, qty, now, taker_buys=taker_buys)
        self._publish(order, Execution.TRADE, trade)

    def _record_fill(self, order: Order, market: Market, trade: Trade) -> None:
        """A fill on the statement: what was paid, and what was received less the fee."""
        if order.side is OrderSide.BUY:
            paid, got, got_gross = (market.quote, trade.cost), market.base, trade.amount
        else:
            paid, got, got_gross = (market.base, trade.amount), market.quote, trade.cost
        asset, spent = paid
        self.record(order.account, asset, LedgerKind.TRADE, -spent, trade=trade)
        self.record(
            order.account,
            got,
            LedgerKind.TRADE,
            got_gross - trade.fee,
            gross=got_gross,
            fee=trade.fee,
            trade=trade,
        )

    def _pay(
        self, account: Account, order: Order, asset: str, spend: Decimal, lock_release: Decimal
    ) -> None:
        """Pay ``spend`` of ``asset`` for a fill: from the order's lock if it has one."""
        if order.locked <= 0:
            account.debit(asset, spend)
            return
        release = min(lock_release, order.locked)
        account.spend_locked(asset, release)
        order.locked -= release
        account.credit(asset, release - spend)

    def _finish_taking(self, order: Order) -> None:
        if order.state is OrderState.FILLED:
            return
        if order.kind is OrderKind.MARKET or order.time_in_force is TimeInForce.IOC:
            self._close(order, OrderState.EXPIRED, Execution.EXPIRED)
        else:
            self._resting[order.symbol][order.id] = order

    def _close(self, order: Order, state: OrderState, execution: Execution) -> None:
        if order.locked > 0:
            self.accounts[order.account].unlock(order.locked_asset, order.locked)
            order.locked = ZERO
        order.state = state
        order.updated_ms = self._now_ms()
        self._resting[order.symbol].pop(order.id, None)
        self._publish(order, execution, None)

    def _match_resting(self, symbol: str) -> None:
        if not self._resting[symbol]:
            return  # the common case: a price move with nothing resting (backtests move a lot)
        book = self.books[symbol]
        market = self.markets[symbol]
        bid, ask = book.best_bid, book.best_ask
        for order in list(self._resting[symbol].values()):
            assert order.price is not None  # only limit orders rest
            crossed = (
                ask is not None and ask.price <= order.price
                if order.side is OrderSide.BUY
                else bid is not None and bid.price >= order.price
            )
            if crossed:
                self._fill(order, market, order.price, order.remaining, maker=True)
                self._publish_balances(self.accounts[order.account], market)

    def _publish(self, order: Order, execution: Execution, trade: Trade | None) -> None:
        if not self._listened():
            return
        copy = dataclasses.replace(order, trades=list(order.trades))
        self._emit(OrderUpdated(self.name, order.account, copy, execution, trade, self._now_ms()))

    def _publish_balances(self, account: Account, market: Market) -> None:
        if not self._listened():
            return
        changed = {
            asset: (account.balance(asset).free, account.balance(asset).locked)
            for asset in (market.base, market.quote)
        }
        self._emit(BalancesChanged(self.name, account.api_key, changed, self._now_ms()))


def taker_side(trade: Trade) -> OrderSide:
    """The side of the taker of a trade (what public trade feeds call the trade's side)."""
    if not trade.maker:
        return trade.side
    return OrderSide.SELL if trade.side is OrderSide.BUY else OrderSide.BUY


def _fee(value: Decimal) -> Decimal:
    """Round a fee up to 1e-8, as exchanges charge commissions in 8 decimals."""
    return value.quantize(FEE_QUANTUM, rounding=ROUND_UP) if value else ZERO
