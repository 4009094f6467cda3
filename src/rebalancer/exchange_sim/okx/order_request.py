"""Parse an OKX place-order request into a neutral order description.

ccxt sends spot orders as ``{instId, tdMode: "cash", side, ordType, sz, px?, clOrdId, tag,
tgtCcy}``. ``tgtCcy = "quote_ccy"`` on a market buy means ``sz`` is the quote amount to spend.
Anything malformed is refused with OKX's parameter error (51000) naming the field, as OKX does.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.engine.orders import OrderKind, TimeInForce
from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.wire import symbol_of

MAX_CLIENT_ID = 32
_ALNUM = frozenset(string.ascii_letters + string.digits)
# OKX ordType -> (engine kind, time in force, needs a price)
_ORDER_TYPES: dict[str, tuple[OrderKind, TimeInForce, bool]] = {
    "market": (OrderKind.MARKET, TimeInForce.IOC, False),
    "limit": (OrderKind.LIMIT, TimeInForce.GTC, True),
    "ioc": (OrderKind.LIMIT, TimeInForce.IOC, True),
}


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """One order as the client asked for it, in engine terms plus the OKX fields to echo."""

    symbol: str
    side: OrderSide
    ord_type: str
    kind: OrderKind
    time_in_force: TimeInForce
    amount: Decimal | None
    quote_amount: Decimal | None
    price: Decimal | None
    client_order_id: str
    tag: str
    tgt_ccy: str


def parse_place_order(raw: object) -> PlaceOrder:
    """Validate one place-order object; raise OkxRejection (51000/51001/51204) naming the field."""
    if not isinstance(raw, Mapping):
        raise OkxRejection(errors.JSON_SYNTAX)
    symbol = symbol_of(_text(raw, "instId", required=True))
    td_mode = _text(raw, "tdMode", required=True)
    if td_mode != "cash":
        raise OkxRejection(errors.PARAM_ERROR, "tdMode")
    side_text = _text(raw, "side", required=True)
    if side_text not in ("buy", "sell"):
        raise OkxRejection(errors.PARAM_ERROR, "side")
    side = OrderSide(side_text)
    ord_type = _text(raw, "ordType", required=True)
    if ord_type not in _ORDER_TYPES:
        raise OkxRejection(errors.PARAM_ERROR, "ordType")
    kind, tif, needs_price = _ORDER_TYPES[ord_type]
    size = _positive(raw, "sz")
    tgt_ccy = _text(raw, "tgtCcy") or "base_ccy"
    if tgt_ccy not in ("base_ccy", "quote_ccy"):
        raise OkxRejection(errors.PARAM_ERROR, "tgtCcy")
    by_quote = tgt_ccy == "quote_ccy" and kind is OrderKind.MARKET and side is OrderSide.BUY
    price = None
    if needs_price:
        if not _text(raw, "px"):
            raise OkxRejection(errors.PRICE_EMPTY)
        price = _positive(raw, "px")
    return PlaceOrder(
        symbol=symbol,
        side=side,
        ord_type=ord_type,
        kind=kind,
        time_in_force=tif,
        amount=None if by_quote else size,
        quote_amount=size if by_quote else None,
        price=price,
        client_order_id=_client_id(raw, "clOrdId"),
        tag=_text(raw, "tag"),
        tgt_ccy=tgt_ccy,
    )


def parse_order_ref(raw: Mapping[str, object]) -> tuple[str, str, str]:
    """Read ``(symbol, ordId, clOrdId)`` from a lookup or cancel request; one id is required."""
    symbol = symbol_of(_text(raw, "instId", required=True))
    order_id = _text(raw, "ordId")
    client_id = _client_id(raw, "clOrdId")
    if not order_id and not client_id:
        raise OkxRejection(errors.ORDER_ID_REQUIRED)
    return symbol, order_id, client_id


def _client_id(raw: Mapping[str, object], name: str) -> str:
    value = _text(raw, name)
    if len(value) > MAX_CLIENT_ID or not set(value) <= _ALNUM:
        raise OkxRejection(errors.PARAM_ERROR, name)
    return value


def _text(raw: Mapping[str, object], name: str, *, required: bool = False) -> str:
    value = raw.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise OkxRejection(errors.PARAM_ERROR, name)
    if required and not value:
        raise OkxRejection(errors.PARAM_EMPTY, name)
    return value


def _positive(raw: Mapping[str, object], name: str) -> Decimal:
    text = _text(raw, name, required=True)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise OkxRejection(errors.PARAM_ERROR, name) from None
    if not value.is_finite() or value <= 0:
        raise OkxRejection(errors.PARAM_ERROR, name)
    return value
