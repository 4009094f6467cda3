"""Private OKX trading endpoints: place, look up, cancel and list orders; fills; fee rates.

``trade/order`` and ``trade/batch-orders`` answer per order with ``sCode``/``sMsg``: ccxt reads
only the acknowledgement (``ordId``, ``clOrdId``), so its ``create_order`` result has no status;
the order's state is read back with ``trade/order`` or pushed on the ``orders`` channel.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from rebalancer.exchange_sim.engine.errors import Rejected
from rebalancer.exchange_sim.engine.orders import Order
from rebalancer.exchange_sim.okx import errors, payloads
from rebalancer.exchange_sim.okx.auth import CredentialLookup
from rebalancer.exchange_sim.okx.context import OkxContext
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.http import (
    PrivateCall,
    body_object,
    ok,
    per_order_failure,
    private,
)
from rebalancer.exchange_sim.okx.order_request import parse_order_ref, parse_place_order
from rebalancer.exchange_sim.okx.payloads import Json, OrderMeta
from rebalancer.exchange_sim.okx.rejections import Endpoint, to_okx
from rebalancer.exchange_sim.okx.wire import ms, num, symbol_of

MAX_BATCH = 20
MAX_LIST = 100


class TradeRoutes:
    """Handlers of ``/api/v5/trade/*`` and ``account/trade-fee``."""

    def __init__(self, ctx: OkxContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of these handlers, each behind the signature check."""
        lookup: CredentialLookup = self.ctx.lookup
        clock = self.ctx.clock
        return [
            web.post("/api/v5/trade/order", private(self.place_one, lookup, clock)),
            web.post("/api/v5/trade/batch-orders", private(self.place_batch, lookup, clock)),
            web.get("/api/v5/trade/order", private(self.get_order, lookup, clock)),
            web.post("/api/v5/trade/cancel-order", private(self.cancel, lookup, clock)),
            web.post(
                "/api/v5/trade/cancel-batch-orders", private(self.cancel_batch, lookup, clock)
            ),
            web.get("/api/v5/trade/orders-pending", private(self.pending, lookup, clock)),
            web.get("/api/v5/trade/orders-history", private(self.history, lookup, clock)),
            web.get("/api/v5/trade/fills", private(self.fills, lookup, clock)),
            web.get("/api/v5/trade/fills-history", private(self.fills, lookup, clock)),
            web.get("/api/v5/account/trade-fee", private(self.trade_fee, lookup, clock)),
        ]

    async def place_one(self, call: PrivateCall) -> web.Response:
        """``POST trade/order``: place one order."""
        return self._answer([self._place(call.account, body_object(call))])

    async def place_batch(self, call: PrivateCall) -> web.Response:
        """``POST trade/batch-orders``: place up to 20 orders, each answered on its own."""
        if not isinstance(call.body, list) or not call.body:
            raise OkxRejection(errors.JSON_SYNTAX)
        if len(call.body) > MAX_BATCH:
            raise OkxRejection(errors.PARAM_ERROR, "batch size")
        return self._answer([self._place(call.account, raw) for raw in call.body])

    async def get_order(self, call: PrivateCall) -> web.Response:
        """``GET trade/order?instId=&ordId=|clOrdId=``: one order's details."""
        order = self._find(call.account, call.query, Endpoint.LOOKUP)
        return ok([payloads.order(order, self.ctx.meta(order))])

    async def cancel(self, call: PrivateCall) -> web.Response:
        """``POST trade/cancel-order``: cancel one open order."""
        return self._answer([self._cancel(call.account, body_object(call))])

    async def cancel_batch(self, call: PrivateCall) -> web.Response:
        """``POST trade/cancel-batch-orders``: cancel up to 20 orders, each answered on its own."""
        if not isinstance(call.body, list) or not call.body:
            raise OkxRejection(errors.JSON_SYNTAX)
        if len(call.body) > MAX_BATCH:
            raise OkxRejection(errors.PARAM_ERROR, "batch size")
        return self._answer([self._cancel(call.account, raw) for raw in call.body])

    def _cancel(self, account: str, raw: object) -> Json:
        now = self.ctx.now_ms()
        order_id, client_id = _text(raw, "ordId"), _text(raw, "clOrdId")
        try:
            if not isinstance(raw, Mapping):
                raise OkxRejection(errors.JSON_SYNTAX)
            order = self._find(account, raw, Endpoint.CANCEL)
            order = self.ctx.venue.cancel_order(account, order_id=order.id)
        except Rejected as rejected:
            return _ack(order_id, client_id, "", now, to_okx(rejected, Endpoint.CANCEL))
        except OkxRejection as rejection:
            return _ack(order_id, client_id, "", now, rejection)
        return _ack(str(order.id), order.client_order_id, "", now, None, done="")

    async def pending(self, call: PrivateCall) -> web.Response:
        """``GET trade/orders-pending``: open orders, newest first."""
        symbol = _optional_symbol(call.query)
        orders = self.ctx.venue.open_orders(call.account, symbol)
        return self._orders(sorted(orders, key=lambda o: -o.id), call.query)

    async def history(self, call: PrivateCall) -> web.Response:
        """``GET trade/orders-history``: finished orders (filled or cancelled), newest first.

        Filters: ``instId``, ``state`` (``filled`` or ``canceled``), ``ordType``,
        ``after``/``before`` (order ids: older or newer than), ``begin``/``end`` (times).
        """
        query = call.query
        symbol = _optional_symbol(query)
        state, ord_type = query.get("state", ""), query.get("ordType", "")
        if state not in ("", "filled", "canceled"):
            raise OkxRejection(errors.PARAM_ERROR, "state")
        after, before = _id(query, "after"), _id(query, "before")
        begin, end = _id(query, "begin"), _id(query, "end")
        orders = [
            o
            for o in self.ctx.venue.orders.values()
            if o.account == call.account
            and not o.state.is_open
            and (symbol is None or o.symbol == symbol)
            and state in ("", payloads.order_state(o))
            and ord_type in ("", self.ctx.meta(o).ord_type or o.kind.value)
            and (after is None or o.id < after)
            and (before is None or o.id > before)
            and (begin is None or o.created_ms >= begin)
            and (end is None or o.created_ms <= end)
        ]
        return self._orders(sorted(orders, key=lambda o: -o.id), query)

    async def fills(self, call: PrivateCall) -> web.Response:
        """``GET trade/fills[-history]``: the account's trades, newest first."""
        symbol = _optional_symbol(call.query)
        order_id = call.query.get("ordId", "")
        trades = [
            t
            for t in self.ctx.venue.account_trades(call.account, symbol)
            if not order_id or str(t.order_id) == order_id
        ]
        trades.sort(key=lambda t: -t.id)
        cids = {o.id: o.client_order_id for o in self.ctx.venue.orders.values()}
        limit = _limit(call.query)
        return ok([payloads.fill(t, cids.get(t.order_id, "")) for t in trades[:limit]])

    async def trade_fee(self, call: PrivateCall) -> web.Response:
        """``GET account/trade-fee``: the account's maker and taker rates (negative = paid)."""
        symbol = _optional_symbol(call.query)
        market = self.ctx.venue.markets.get(symbol or "") or next(
            iter(self.ctx.venue.markets.values())
        )
        maker = market.maker_fee if market.maker_fee is not None else market.taker_fee
        return ok(
            [
                {
                    "category": "1",
                    "instType": "SPOT",
                    "level": "Lv1",
                    "maker": num(-maker),
                    "taker": num(-market.taker_fee),
                    "delivery": "",
                    "exercise": "",
                    "ts": ms(self.ctx.now_ms()),
                }
            ]
        )

    # -- helpers ------------------------------------------------------------------------------
    def _place(self, account: str, raw: object) -> Json:
        client_id, tag = _text(raw, "clOrdId"), _text(raw, "tag")
        now = self.ctx.now_ms()
        try:
            request = parse_place_order(raw)
            order = self.ctx.venue.place_order(
                account,
                request.symbol,
                request.side,
                request.kind,
                amount=request.amount,
                price=request.price,
                quote_amount=request.quote_amount,
                time_in_force=request.time_in_force,
                client_order_id=request.client_order_id or None,
            )
        except OkxRejection as rejection:
            return _ack("", client_id, tag, now, rejection)
        except Rejected as rejected:
            return _ack("", client_id, tag, now, to_okx(rejected, Endpoint.ORDER))
        self.ctx.metas[order.id] = OrderMeta(
            request.ord_type, request.tgt_ccy, request.tag, _text(raw, "sz")
        )
        return _ack(str(order.id), order.client_order_id, request.tag, now, None)

    def _answer(self, items: list[Json]) -> web.Response:
        failed = sum(1 for item in items if item["sCode"] != "0")
        if failed:
            return per_order_failure(items, all_failed=failed == len(items))
        return ok(items)

    def _find(self, account: str, raw: Mapping[str, object], endpoint: Endpoint) -> Order:
        symbol, order_id, client_id = parse_order_ref(raw)
        missing = errors.CANCEL_NOT_FOUND if endpoint is Endpoint.CANCEL else errors.ORDER_NOT_FOUND
        if order_id and not order_id.isdigit():
            raise OkxRejection(missing)
        try:
            order = self.ctx.venue.find_order(
                account,
                order_id=int(order_id) if order_id else None,
                client_order_id=None if order_id else client_id,
            )
        except Rejected as rejected:
            raise to_okx(rejected, endpoint) from None
        if order.symbol != symbol:
            raise OkxRejection(missing)
        return order

    def _orders(self, orders: list[Order], query: Mapping[str, str]) -> web.Response:
        limit = _limit(query)
        return ok([payloads.order(o, self.ctx.meta(o)) for o in orders[:limit]])


def _ack(
    order_id: str,
    client_id: str,
    tag: str,
    now_ms: int,
    rejection: OkxRejection | None,
    *,
    done: str = "Order placed",
) -> Json:
    """One per-order answer: ``sCode`` "0" and ``done`` on success, else the refusal."""
    return {
        "ordId": order_id,
        "clOrdId": client_id,
        "tag": tag,
        "ts": ms(now_ms),
        "sCode": rejection.code if rejection else "0",
        "sMsg": rejection.msg if rejection else done,
    }


def _text(raw: object, name: str) -> str:
    value = raw.get(name, "") if isinstance(raw, Mapping) else ""
    return value if isinstance(value, str) else ""


def _optional_symbol(query: Mapping[str, str]) -> str | None:
    instrument = query.get("instId", "")
    return symbol_of(instrument) if instrument else None


def _id(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name, "")
    if not text:
        return None
    if not text.isdigit():
        raise OkxRejection(errors.PARAM_ERROR, name)
    return int(text)


def _limit(query: Mapping[str, str]) -> int:
    text = query.get("limit", str(MAX_LIST))
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIST:
        raise OkxRejection(errors.PARAM_ERROR, "limit")
    return int(text)
