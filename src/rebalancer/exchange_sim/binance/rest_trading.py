"""Binance signed spot REST: account, order (new, query, cancel), open and all orders, trades."""

from __future__ import annotations

import itertools
from typing import Any, TypeVar

from aiohttp import web

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.binance.auth import signed_params
from rebalancer.exchange_sim.binance.codes import (
    ORDER_ERRORS,
    UNKNOWN_ORDER_ON_CANCEL,
    BinanceError,
)
from rebalancer.exchange_sim.binance.payloads import (
    fmt,
    new_order_payload,
    order_payload,
    trade_payload,
)
from rebalancer.exchange_sim.binance.site import BinanceSite, illegal, json_reply, missing
from rebalancer.exchange_sim.engine import (
    Account,
    Order,
    OrderKind,
    Rejected,
    RejectReason,
    TimeInForce,
)

SIDES = {"BUY": OrderSide.BUY, "SELL": OrderSide.SELL}
KINDS = {"LIMIT": OrderKind.LIMIT, "LIMIT_MAKER": OrderKind.LIMIT, "MARKET": OrderKind.MARKET}
TIFS = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC}
MAX_TRADES = 1000
MAX_ORDERS = 1000
DEFAULT_ORDERS = 500
T = TypeVar("T")


class TradingRoutes:
    """Handlers of the signed ``/api/v3`` endpoints."""

    def __init__(self, site: BinanceSite) -> None:
        self.site = site
        self._cancel_ids = itertools.count(1)

    def routes(self) -> list[web.RouteDef]:
        """The routes this class serves."""
        return [
            web.get("/api/v3/account", self.account),
            web.post("/api/v3/order", self.new_order),
            web.get("/api/v3/order", self.query_order),
            web.delete("/api/v3/order", self.cancel_order),
            web.get("/api/v3/openOrders", self.open_orders),
            web.get("/api/v3/allOrders", self.all_orders),
            web.delete("/api/v3/openOrders", self.cancel_open_orders),
            web.get("/api/v3/myTrades", self.my_trades),
        ]

    async def account(self, request: web.Request) -> web.Response:
        """Balances of every asset the account or its markets know, free and locked."""
        account, _ = await signed_params(request, self.site.venue)
        assets = set(account.balances)
        for market in self.site.venue.markets.values():
            assets.update((market.base, market.quote))
        balances = [
            {
                "asset": asset,
                "free": fmt(account.balance(asset).free),
                "locked": fmt(account.balance(asset).locked),
            }
            for asset in sorted(assets)
        ]
        return json_reply(
            {
                "makerCommission": 10,
                "takerCommission": 10,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "updateTime": self.site.now_ms(),
                "accountType": "SPOT",
                "balances": balances,
                "permissions": ["SPOT"],
            }
        )

    async def new_order(self, request: web.Request) -> web.Response:
        """Place an order; reply ACK, RESULT or FULL (the default) as asked."""
        account, params = await signed_params(request, self.site.venue)
        symbol = self.site.symbol(params)
        assert symbol is not None
        side = _choice(params, "side", SIDES)
        type_name = params.get("type", "").upper()
        kind = _choice(params, "type", KINDS)
        amount = self.site.decimal(params, "quantity")
        quote = self.site.decimal(params, "quoteOrderQty")
        price = self.site.decimal(params, "price")
        tif = TimeInForce.GTC
        if kind is OrderKind.LIMIT:
            if price is None:
                raise missing("price")
            if amount is None:
                raise missing("quantity")
            if type_name == "LIMIT":
                tif = _choice(params, "timeInForce", TIFS)
            else:
                self._refuse_if_it_would_take(symbol, side, price)
        elif amount is None and quote is None:
            raise missing("quantity")
        order = self.site.venue.place_order(
            account.api_key,
            symbol,
            side,
            kind,
            amount=amount if quote is None else None,
            price=price if kind is OrderKind.LIMIT else None,
            quote_amount=quote if amount is None else None,
            time_in_force=tif,
            client_order_id=params.get("newClientOrderId") or None,
        )
        return json_reply(_order_response(order, params.get("newOrderRespType", "FULL")))

    def _refuse_if_it_would_take(self, symbol: str, side: OrderSide, price: Any) -> None:
        book = self.site.venue.books[symbol]
        best = book.best_ask if side is OrderSide.BUY else book.best_bid
        if best is None:
            return
        crosses = best.price <= price if side is OrderSide.BUY else best.price >= price
        if crosses:
            raise BinanceError(ORDER_ERRORS[RejectReason.NO_LIQUIDITY])

    async def query_order(self, request: web.Request) -> web.Response:
        """One order by ``orderId`` or ``origClientOrderId`` (-2013 if it does not exist)."""
        account, params = await signed_params(request, self.site.venue)
        order = self._find(account, params)
        return json_reply(order_payload(order))

    async def cancel_order(self, request: web.Request) -> web.Response:
        """Cancel an open order (-2011 if unknown or already closed)."""
        account, params = await signed_params(request, self.site.venue)
        try:
            order = self._find(account, params)
            self.site.venue.cancel_order(account.api_key, order_id=order.id)
        except (Rejected, BinanceError):
            raise BinanceError(UNKNOWN_ORDER_ON_CANCEL) from None
        body = order_payload(order)
        for key in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking", "workingTime"):
            body.pop(key)
        body["origClientOrderId"] = order.client_order_id
        body["clientOrderId"] = params.get("newClientOrderId") or f"cancel-{next(self._cancel_ids)}"
        body["transactTime"] = order.updated_ms
        return json_reply(body)

    def _find(self, account: Account, params: dict[str, str]) -> Order:
        symbol = self.site.symbol(params)
        order_id = self.site.integer(params, "orderId")
        client_id = params.get("origClientOrderId")
        if order_id is None and not client_id:
            raise missing("orderId")
        order = self.site.venue.find_order(
            account.api_key, order_id=order_id, client_order_id=client_id
        )
        if order.symbol != symbol:
            raise Rejected(RejectReason.ORDER_NOT_FOUND, "order is on another symbol")
        return order

    async def open_orders(self, request: web.Request) -> web.Response:
        """Open orders of one symbol, or of all when ``symbol`` is absent."""
        account, params = await signed_params(request, self.site.venue)
        symbol = self.site.symbol(params, required=False)
        orders = self.site.venue.open_orders(account.api_key, symbol)
        return json_reply([order_payload(o) for o in orders])

    async def all_orders(self, request: web.Request) -> web.Response:
        """Every order of one symbol (open, filled, cancelled, expired), oldest first.

        ``orderId`` lists from that id on; ``startTime``/``endTime`` filter by creation time;
        otherwise the latest ``limit`` (default 500, at most 1000) are returned.
        """
        account, params = await signed_params(request, self.site.venue)
        symbol = self.site.symbol(params)
        from_id = self.site.integer(params, "orderId")
        start = self.site.integer(params, "startTime")
        end = self.site.integer(params, "endTime")
        limit = min(self.site.integer(params, "limit") or DEFAULT_ORDERS, MAX_ORDERS)
        orders = [
            o
            for o in self.site.venue.orders.values()
            if o.account == account.api_key
            and o.symbol == symbol
            and (from_id is None or o.id >= from_id)
            and (start is None or o.created_ms >= start)
            and (end is None or o.created_ms <= end)
        ]
        orders.sort(key=lambda o: o.id)
        chosen = orders[:limit] if from_id is not None or start is not None else orders[-limit:]
        return json_reply([order_payload(o) for o in chosen])

    async def cancel_open_orders(self, request: web.Request) -> web.Response:
        """Cancel every open order of one symbol; reply with the cancelled orders."""
        account, params = await signed_params(request, self.site.venue)
        symbol = self.site.symbol(params)
        cancelled = []
        for order in self.site.venue.open_orders(account.api_key, symbol):
            self.site.venue.cancel_order(account.api_key, order_id=order.id)
            body = order_payload(order)
            body["origClientOrderId"] = order.client_order_id
            cancelled.append(body)
        return json_reply(cancelled)

    async def my_trades(self, request: web.Request) -> web.Response:
        """The account's trades on one symbol, filtered by time, id and order, oldest first."""
        account, params = await signed_params(request, self.site.venue)
        symbol = self.site.symbol(params)
        start = self.site.integer(params, "startTime")
        end = self.site.integer(params, "endTime")
        from_id = self.site.integer(params, "fromId")
        order_id = self.site.integer(params, "orderId")
        limit = min(self.site.integer(params, "limit") or 500, MAX_TRADES)
        trades = [
            t
            for t in self.site.venue.account_trades(account.api_key, symbol)
            if (start is None or t.time_ms >= start)
            and (end is None or t.time_ms <= end)
            and (from_id is None or t.id >= from_id)
            and (order_id is None or t.order_id == order_id)
        ]
        chosen = trades[:limit] if from_id is not None else trades[-limit:]
        return json_reply([trade_payload(t) for t in chosen])


def _choice(params: dict[str, str], name: str, choices: dict[str, T]) -> T:
    raw = params.get(name)
    if not raw:
        raise missing(name)
    value = choices.get(raw.upper())
    if value is None:
        raise illegal(name)
    return value


def _order_response(order: Order, response_type: str) -> dict[str, Any]:
    full = new_order_payload(order)
    if response_type.upper() == "ACK":
        keys = ("symbol", "orderId", "orderListId", "clientOrderId", "transactTime")
        return {k: full[k] for k in keys}
    if response_type.upper() == "RESULT":
        full.pop("fills")
    return full
