"""``VenueGateway`` over one ``ccxt.pro`` exchange instance (REST and websockets).

Every call goes through one of two doors: ``_read`` (idempotent; retried with exponential backoff
and jitter on ``RetryableVenueError``) and ``_once`` (order creation, cancel, withdrawal: never
retried here). Both map ccxt's errors through ``errors.map_error`` with the operation named, and
both run ccxt inside a private ``decimal`` context: ccxt's ``decimal_to_precision`` rewrites the
thread's context (rounding HALF_UP, Underflow trapped) and would otherwise change our arithmetic.

Orders carry our client order id (ccxt's unified ``clientOrderId`` becomes Binance's
``newClientOrderId`` and OKX's ``clOrdId``). Where a venue acknowledges without the order's state
(OKX create and cancel), the order is looked up by that id before we answer. Withdrawals carry
ours too (Binance ``withdrawOrderId``, OKX ``clientId``: ccxt passes them through as params and
leaves them in ``info``), and are looked up by it through the history's own filter.
"""

from __future__ import annotations

import asyncio
import dataclasses
import decimal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from rebalancer.domain.errors import RetryableVenueError, VenueUnavailable
from rebalancer.domain.market import Market
from rebalancer.domain.money import format_decimal, to_decimal
from rebalancer.domain.orders import Balance, OrderReport, OrderStatus, OrderType, SubmitOrder
from rebalancer.domain.quotes import Quote
from rebalancer.domain.transfers import (
    DepositAddress,
    TransferReport,
    TransferStatus,
    WithdrawRequest,
)
from rebalancer.venues.ccxt import parse
from rebalancer.venues.ccxt.cursors import BalanceMarks, OrderCursor, QuoteCursor
from rebalancer.venues.ccxt.errors import (
    MalformedReply,
    Operation,
    is_ccxt_error,
    is_order_not_found,
    map_error,
)
from rebalancer.venues.ccxt.instance import VenueSpec, build_exchange

T = TypeVar("T")

WITHDRAW_CLIENT_ID_PARAM = {"binance": "withdrawOrderId", "okx": "clientId"}
# How long a signed request stays good (past it the venue refuses it, so "not found" is final):
BINANCE_RECV_WINDOW_MS = 5000  # Binance's default when a request names none
OKX_TIMESTAMP_LIMIT_S = 30.0  # OKX refuses a request stamped more than 30 s away (50102)
UNKNOWN_REQUEST_WINDOW_S = 60.0  # any other exchange: the longest window Binance allows
CLOCK_SKEW_S = 1.0  # our clock against the venue's


class CcxtGateway:
    """One venue account through ccxt.pro. Use as ``async with`` or call ``close()``."""

    def __init__(
        self,
        name: str,
        exchange: Any,
        *,
        read_attempts: int = 3,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 2.0,
    ) -> None:
        self._name = name
        self._exchange = exchange
        self._read_attempts = max(1, read_attempts)
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self.fee_source = "unknown"
        self._quote_cursor = QuoteCursor()
        self._order_cursor = OrderCursor()
        self._balance_marks = BalanceMarks()
        self._answered_balance_info: object = None

    @classmethod
    def from_spec(cls, spec: VenueSpec, **kwargs: Any) -> CcxtGateway:
        """Build the ccxt instance for ``spec`` and wrap it."""
        return cls(spec.name, build_exchange(spec), **kwargs)

    @property
    def name(self) -> str:
        """The venue's name in the config."""
        return self._name

    @property
    def request_window_s(self) -> float:
        """How long a sent request may still be carried out (see ``VenueGateway``).

        Binance: the ``recvWindow`` ccxt signs with; OKX: its 30 s timestamp limit; any other
        exchange: ``UNKNOWN_REQUEST_WINDOW_S``. Each with ``CLOCK_SKEW_S`` for the clocks.
        """
        exchange_id = self.exchange_id
        if exchange_id.startswith("binance"):
            window_ms = self._exchange.options.get("recvWindow", BINANCE_RECV_WINDOW_MS)
            return float(window_ms) / 1000 + CLOCK_SKEW_S
        if exchange_id.startswith("okx"):
            return OKX_TIMESTAMP_LIMIT_S + CLOCK_SKEW_S
        return UNKNOWN_REQUEST_WINDOW_S

    @property
    def exchange_id(self) -> str:
        """ccxt's id of the exchange ("binance", "okx")."""
        return str(self._exchange.id)

    @property
    def exchange(self) -> Any:
        """The underlying ccxt instance (for diagnostics and transport-level tests)."""
        return self._exchange

    async def __aenter__(self) -> CcxtGateway:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session and every websocket (ccxt leaves them open otherwise)."""
        await self._exchange.close()

    # -- the two doors --------------------------------------------------------------------

    async def _once(self, operation: Operation, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call`` exactly once, mapping any ccxt error or malformed reply."""
        try:
            with decimal.localcontext():
                return await call()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if is_ccxt_error(error):
                raise map_error(self._name, operation, error) from error
            raise

    async def _read(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run an idempotent ``call``, retrying transient failures with backoff and jitter."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._read_attempts),
            wait=wait_random_exponential(multiplier=self._retry_initial_s, max=self._retry_max_s),
            retry=retry_if_exception_type(RetryableVenueError),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(Operation.READ, call)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    # -- markets and quotes ---------------------------------------------------------------

    async def load_markets(self) -> dict[str, Market]:
        """Every active spot market's rules (raw exchange strings), keyed by symbol."""

        async def call() -> dict[str, Market]:
            unified = await self._exchange.load_markets(True)
            fees = await self._trading_fees()
            markets: dict[str, Market] = {}
            for symbol, listing in unified.items():
                taker, maker = fees.get(symbol) or self._table_fees(listing)
                market = parse.parse_market(self.exchange_id, listing, taker, maker)
                if market is not None:
                    markets[symbol] = market
            return markets

        return await self._read(call)

    async def _trading_fees(self) -> dict[str, tuple[Decimal, Decimal | None]]:
        """The account's fee rates from the venue, or {} when it does not publish them."""
        if not self._exchange.has.get("fetchTradingFees"):
            self.fee_source = "ccxt fee table"
            return {}
        try:
            fees = await self._exchange.fetch_trading_fees()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not is_ccxt_error(error):
                raise
            self.fee_source = "ccxt fee table"
            return {}
        self.fee_source = "venue"
        result: dict[str, tuple[Decimal, Decimal | None]] = {}
        for symbol, entry in fees.items():
            info = entry.get("info") if isinstance(entry, Mapping) else None
            if not isinstance(info, Mapping):
                continue
            taker = parse.optional_decimal(info, "takerCommission", "taker", what="taker fee")
            if taker is not None:
                maker = parse.optional_decimal(info, "makerCommission", "maker", what="maker fee")
                result[symbol] = (taker, maker)
        return result

    def _table_fees(self, listing: Mapping[str, Any]) -> tuple[Decimal, Decimal | None]:
        """ccxt's published default rates, read back through ccxt's exact number formatter."""
        taker = listing.get("taker")
        maker = listing.get("maker")
        as_text = self._exchange.number_to_string
        return (
            to_decimal(as_text(taker) if taker is not None else "0", what="taker fee"),
            to_decimal(as_text(maker), what="maker fee") if maker is not None else None,
        )

    async def fetch_quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Best bid and ask for ``symbols`` over REST (symbols without a two-sided book omitted)."""

        async def call() -> dict[str, Quote]:
            wanted = list(symbols)
            if self._exchange.has.get("fetchBidsAsks"):
                tickers = await self._exchange.fetch_bids_asks(wanted)
            else:
                tickers = await self._exchange.fetch_tickers(wanted)
            return self._quotes(tickers, wanted)

        return await self._read(call)

    async def watch_quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Quote updates for ``symbols`` since the last call; waits only if there are none."""
        wanted = list(symbols)

        async def call() -> dict[str, Quote]:
            fresh = self._quote_cursor.changed(self._exchange.bidsasks, wanted)
            if not fresh:
                await self._exchange.watch_bids_asks(wanted)
                fresh = self._quote_cursor.changed(self._exchange.bidsasks, wanted)
            return self._quotes(fresh, wanted)

        return await self._once(Operation.READ, call)

    @staticmethod
    def _quotes(tickers: Mapping[str, Any], wanted: Sequence[str]) -> dict[str, Quote]:
        if not isinstance(tickers, Mapping):
            raise MalformedReply(f"tickers: expected an object, got {type(tickers).__name__}")
        quotes: dict[str, Quote] = {}
        for symbol in wanted:
            ticker = tickers.get(symbol)
            if ticker is not None and (quote := parse.parse_quote(ticker)) is not None:
                quotes[symbol] = quote
        return quotes

    # -- balances -------------------------------------------------------------------------

    async def fetch_balances(self) -> dict[str, Balance]:
        """Every nonzero balance over REST; a malformed reply raises instead of reading as empty."""

        async def call() -> dict[str, Balance]:
            balances = parse.parse_balances(
                await self._exchange.fetch_balance(), self._exchange.safe_currency_code
            )
            return {asset: b for asset, b in balances.items() if b.total != 0}

        return await self._read(call)

    async def watch_balances(self) -> dict[str, Balance]:
        """The balances the next user-data update states (a subset; zero means emptied).

        If ccxt's cache shows that an update was missed between two calls, every balance is
        re-read over REST instead, with the missed assets present even when now zero.
        """

        async def call() -> dict[str, Balance] | list[str]:
            update = self._cached_balance()
            if update is None or update.get("info") is self._answered_balance_info:
                update = await self._exchange.watch_balance()
            self._answered_balance_info = update.get("info")
            stated = parse.parse_balances(update, self._exchange.safe_currency_code)
            missed = self._balance_marks.missed(update, stated)
            return missed or stated

        answer = await self._once(Operation.READ, call)
        if isinstance(answer, dict):
            return answer
        everything = await self.fetch_balances()
        return {asset: Balance(asset, Decimal(0), Decimal(0)) for asset in answer} | everything

    def _cached_balance(self) -> Mapping[str, Any] | None:
        """ccxt's balance cache as of its latest user-data message (None before the first)."""
        cache = self._exchange.balance
        if isinstance(cache, Mapping) and "spot" in cache:  # Binance keys it by account type
            cache = cache["spot"]
        return cache if isinstance(cache, Mapping) and "info" in cache else None

    # -- orders ---------------------------------------------------------------------------

    async def create_order(self, order: SubmitOrder) -> OrderReport:
        """Place ``order`` once. A lost reply raises ``AmbiguousOrderOutcome``; never retried."""
        params: dict[str, str] = {"clientOrderId": order.client_order_id}
        if order.time_in_force is not None:
            params["timeInForce"] = order.time_in_force.value
        price = (
            format_decimal(order.price) if order.type is OrderType.LIMIT and order.price else None
        )

        async def call() -> Mapping[str, Any]:
            placed: Mapping[str, Any] = await self._exchange.create_order(
                order.symbol,
                order.type.value,
                order.side.value,
                format_decimal(order.amount),
                price,
                params,
            )
            parse.info_of(placed, f"order {order.client_order_id}")
            return placed

        placed = await self._once(Operation.CREATE_ORDER, call)
        if placed.get("status") is not None:
            return await self._once(
                Operation.CREATE_ORDER, _now(parse.parse_order, self._name, placed)
            )
        # An acknowledgement only (OKX): the order exists; ask for its state.
        found = await self.fetch_order_by_client_id(order.symbol, order.client_order_id)
        return found or self._acknowledged(order, str(placed.get("id")))

    def _acknowledged(self, order: SubmitOrder, exchange_order_id: str) -> OrderReport:
        return OrderReport(
            venue=self._name,
            client_order_id=order.client_order_id,
            exchange_order_id=exchange_order_id,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            status=OrderStatus.OPEN,
            amount=order.amount,
            filled=Decimal(0),
            average_price=None,
            price=order.price,
        )

    async def fetch_order_by_client_id(
        self, symbol: str, client_order_id: str
    ) -> OrderReport | None:
        """The order with our id; None only when the venue says it does not exist."""

        async def call() -> OrderReport | None:
            try:
                found = await self._exchange.fetch_order(
                    None, symbol, {"clientOrderId": client_order_id}
                )
            except Exception as error:
                if is_order_not_found(error):
                    return None
                raise
            return parse.parse_order(self._name, found)

        report = await self._read(call)
        if report is None or report.fee is not None or report.filled == 0:
            return report
        return await self._with_trade_fee(report)

    async def _with_trade_fee(self, report: OrderReport) -> OrderReport:
        """Add the fee from the order's trades (Binance's order query does not carry it)."""

        async def call() -> tuple[Decimal | None, str | None]:
            trades = await self._exchange.fetch_my_trades(
                report.symbol, None, None, {"orderId": report.exchange_order_id}
            )
            return parse.trades_fee(trades)

        fee, fee_asset = await self._read(call)
        return (
            dataclasses.replace(report, fee=fee, fee_asset=fee_asset) if fee is not None else report
        )

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderReport | None:
        """Cancel the order with our id; None when the venue says it is already gone."""

        async def call() -> Mapping[str, Any] | None:
            try:
                answer: Mapping[str, Any] = await self._exchange.cancel_order(
                    None, symbol, {"clientOrderId": client_order_id}
                )
            except Exception as error:
                if is_order_not_found(error):
                    return None
                raise
            return answer

        answer = await self._once(Operation.CANCEL, call)
        if answer is None:
            return None
        if answer.get("status") is not None and isinstance(answer.get("info"), Mapping):
            return await self._once(Operation.CANCEL, _now(parse.parse_order, self._name, answer))
        return await self.fetch_order_by_client_id(symbol, client_order_id)

    async def fetch_open_orders(self, symbol: str | None = None) -> list[OrderReport]:
        """Every open order (of one symbol, or all: one call where the exchange allows it)."""

        async def call() -> list[OrderReport]:
            orders = await self._exchange.fetch_open_orders(symbol)
            return [parse.parse_order(self._name, o) for o in orders]

        return await self._read(call)

    async def watch_orders(self) -> list[OrderReport]:
        """Order updates since the last call (from ccxt's cache); waits only if there are none."""

        async def call() -> list[OrderReport]:
            fresh = self._order_cursor.changed(self._exchange.orders)
            if not fresh:
                await self._exchange.watch_orders()
                fresh = self._order_cursor.changed(self._exchange.orders)
            return [parse.parse_order(self._name, o) for o in fresh]

        return await self._once(Operation.READ, call)

    # -- transfers ------------------------------------------------------------------------

    async def withdraw(self, request: WithdrawRequest) -> TransferReport:
        """Start a withdrawal, once, under ``request.client_id``.

        Venues answer with an id only: poll ``fetch_withdrawals``. A lost reply (timeout,
        dropped connection, 5xx) or a refused duplicate id raises ``AmbiguousOrderOutcome``:
        settle it with ``fetch_withdrawal_by_client_id``.
        """
        params: dict[str, str] = {"network": request.network}
        if request.tag:
            params["tag"] = request.tag
        id_param = WITHDRAW_CLIENT_ID_PARAM.get(self.exchange_id)
        if request.client_id and id_param:
            params[id_param] = request.client_id

        async def call() -> Mapping[str, Any]:
            answer: Mapping[str, Any] = await self._exchange.withdraw(
                request.asset,
                format_decimal(request.amount),
                request.address,
                params,
            )
            if not answer.get("id"):
                raise MalformedReply(f"withdrawal of {request.asset}: no id in the reply")
            return answer

        answer = await self._once(Operation.WITHDRAW, call)
        return TransferReport(
            venue=self._name,
            id=str(answer["id"]),
            direction="withdrawal",
            asset=request.asset,
            network=request.network,
            amount=request.amount,
            fee=None,
            status=TransferStatus.PENDING,
            address=request.address,
            client_id=request.client_id if id_param else None,
        )

    async def fetch_withdrawals(self, asset: str | None = None) -> list[TransferReport]:
        """Recent withdrawals, newest last."""

        async def call() -> list[TransferReport]:
            rows = await self._exchange.fetch_withdrawals(asset)
            return [parse.parse_transfer(self._name, row, "withdrawal") for row in rows]

        return await self._read(call)

    async def fetch_withdrawal_by_client_id(
        self, asset: str, client_id: str
    ) -> TransferReport | None:
        """Our withdrawal of ``asset`` with ``client_id``; None only when the venue lists none.

        The venue filters its history by the id; the answer is checked again here, so a venue
        that ignored the filter cannot hand back someone else's withdrawal. Network errors are
        retried and then raised, never read as "none".
        """
        id_param = WITHDRAW_CLIENT_ID_PARAM.get(self.exchange_id)
        if id_param is None:
            raise VenueUnavailable(self._name, "withdrawals cannot be looked up by client id here")

        async def call() -> TransferReport | None:
            rows = await self._exchange.fetch_withdrawals(asset, None, None, {id_param: client_id})
            if not isinstance(rows, list):
                raise MalformedReply(
                    f"withdrawal history: expected a list, got {type(rows).__name__}"
                )
            found = [parse.parse_transfer(self._name, row, "withdrawal") for row in rows]
            return next((w for w in found if w.client_id == client_id), None)

        return await self._read(call)

    async def fetch_deposits(self, asset: str | None = None) -> list[TransferReport]:
        """Recent deposits, newest last."""

        async def call() -> list[TransferReport]:
            rows = await self._exchange.fetch_deposits(asset)
            return [parse.parse_transfer(self._name, row, "deposit") for row in rows]

        return await self._read(call)

    async def fetch_deposit_address(self, asset: str, network: str) -> DepositAddress:
        """Where to send ``asset`` over ``network`` to credit this account."""

        async def call() -> DepositAddress:
            unified = await self._exchange.fetch_deposit_address(asset, {"network": network})
            return parse.parse_deposit_address(unified, asset, network)

        return await self._read(call)


def _now(function: Callable[..., T], *args: Any) -> Callable[[], Awaitable[T]]:
    """Wrap a synchronous parse so it runs through the same error mapping as a call."""

    async def call() -> T:
        return function(*args)

    return call
