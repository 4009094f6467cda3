"""ccxt's unified structures, parsed into domain values from the exchange's own strings.

ccxt turns every number it receives into a float. We never read those floats for money: each
structure keeps the exchange's raw payload in ``info``, and the decimals are taken from there as
the exchange wrote them (Binance REST and WebSocket-API shapes, OKX v5). Identifiers, symbols,
sides and statuses, which are strings anyway, come from the unified fields.

A payload of the wrong shape raises ``MalformedReply`` naming the field; it never becomes a
silent zero (left to itself, ccxt turns an HTTP 200 with a non-JSON body into an empty balance).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.market import Market, OrderSide
from rebalancer.domain.money import ZERO, to_decimal
from rebalancer.domain.orders import Balance, OrderReport, OrderStatus, OrderType
from rebalancer.domain.quotes import Quote
from rebalancer.domain.transfers import DepositAddress, TransferReport, TransferStatus
from rebalancer.venues.ccxt.errors import MalformedReply

Payload = Mapping[str, Any]
CodeOf = Callable[[str], str]
_E = TypeVar("_E", OrderSide, OrderType)

ORDER_STATUSES = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}
TRANSFER_STATUSES = {
    "pending": TransferStatus.PENDING,
    "ok": TransferStatus.OK,
    "failed": TransferStatus.FAILED,
    "canceled": TransferStatus.CANCELED,
}


# -- raw values -------------------------------------------------------------------------------


def raw_text(info: Payload, *keys: str) -> str | None:
    """The first non-empty raw value among ``keys`` in ``info``, as text (ints allowed)."""
    for key in keys:
        value = info.get(key)
        if isinstance(value, bool) or value is None or value == "":
            continue
        if isinstance(value, (str, int)):
            return str(value)
        raise MalformedReply(f"{key}: expected a decimal string, got {value!r}")
    return None


def raw_decimal(info: Payload, *keys: str, what: str) -> Decimal:
    """The first raw decimal among ``keys``; MalformedReply naming ``what`` when absent/bad."""
    text = raw_text(info, *keys)
    if text is None:
        raise MalformedReply(f"{what}: missing (looked for {', '.join(keys)})")
    try:
        return to_decimal(text, what=what)
    except InvalidValue as error:
        raise MalformedReply(str(error)) from error


def optional_decimal(info: Payload, *keys: str, what: str) -> Decimal | None:
    """Like ``raw_decimal`` but None when every key is absent or empty."""
    if raw_text(info, *keys) is None:
        return None
    return raw_decimal(info, *keys, what=what)


def info_of(structure: Payload, what: str) -> Payload:
    """The raw exchange payload behind a unified structure; it must be a JSON object."""
    info = structure.get("info")
    if not isinstance(info, Mapping):
        shown = repr(info)[:80]
        raise MalformedReply(f"{what}: the venue's reply is not a JSON object ({shown})")
    return info


def step(text: Decimal) -> Decimal:
    """A step or tick without trailing zeros ("0.01000000" is 0.01)."""
    return text.normalize() if text else ZERO


# -- markets ----------------------------------------------------------------------------------


def parse_market(
    exchange_id: str, unified: Payload, taker_fee: Decimal, maker_fee: Decimal | None
) -> Market | None:
    """A spot market's rules from its raw listing; None for markets we do not trade."""
    if not unified.get("spot") or unified.get("active") is False:
        return None
    info = info_of(unified, f"market {unified.get('symbol')}")
    rules = _binance_rules(info) if exchange_id.startswith("binance") else _okx_rules(info)
    return Market(
        symbol=str(unified["symbol"]),
        base=str(unified["base"]),
        quote=str(unified["quote"]),
        amount_step=rules["amount_step"],
        min_amount=rules["min_amount"],
        min_notional=rules["min_notional"],
        price_tick=rules["price_tick"],
        taker_fee=taker_fee,
        maker_fee=maker_fee,
        max_amount=rules.get("max_amount"),
    )


def _binance_rules(info: Payload) -> dict[str, Decimal]:
    filters = {f.get("filterType"): f for f in info.get("filters", []) if isinstance(f, Mapping)}
    lot = filters.get("LOT_SIZE")
    price = filters.get("PRICE_FILTER")
    if lot is None or price is None:
        raise MalformedReply(f"market {info.get('symbol')}: LOT_SIZE or PRICE_FILTER missing")
    notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
    rules = {
        "amount_step": step(raw_decimal(lot, "stepSize", what="LOT_SIZE.stepSize")),
        "min_amount": step(raw_decimal(lot, "minQty", what="LOT_SIZE.minQty")),
        "price_tick": step(raw_decimal(price, "tickSize", what="PRICE_FILTER.tickSize")),
        "min_notional": step(
            optional_decimal(notional, "minNotional", what="NOTIONAL.minNotional") or ZERO
        ),
    }
    max_amount = optional_decimal(lot, "maxQty", what="LOT_SIZE.maxQty")
    if max_amount:
        rules["max_amount"] = step(max_amount)
    return rules


def _okx_rules(info: Payload) -> dict[str, Decimal]:
    instrument = info.get("instId")
    rules = {
        "amount_step": step(raw_decimal(info, "lotSz", what=f"{instrument}.lotSz")),
        "min_amount": step(raw_decimal(info, "minSz", what=f"{instrument}.minSz")),
        "price_tick": step(raw_decimal(info, "tickSz", what=f"{instrument}.tickSz")),
        "min_notional": ZERO,
    }
    max_amount = optional_decimal(info, "maxLmtSz", what=f"{instrument}.maxLmtSz")
    if max_amount:
        rules["max_amount"] = step(max_amount)
    return rules


# -- balances ---------------------------------------------------------------------------------


def parse_balances(balance: Payload, code_of: CodeOf) -> dict[str, Balance]:
    """Every balance the payload states in absolute terms (a WS update may state only some).

    A Binance ``balanceUpdate`` (a delta) states none; the ``outboundAccountPosition`` that
    follows it does.
    """
    info = info_of(balance, "balance")
    if "balances" in info:  # Binance REST /api/v3/account
        rows = _rows(info["balances"], "balances")
        return {
            code_of(str(r["asset"])): _balance(code_of(str(r["asset"])), r, "free", "locked")
            for r in rows
        }
    if "B" in info:  # Binance WS-API outboundAccountPosition
        rows = _rows(info["B"], "B")
        return {code_of(str(r["a"])): _balance(code_of(str(r["a"])), r, "f", "l") for r in rows}
    if info.get("e") in ("balanceUpdate", "externalLockUpdate"):
        return {}
    if "data" in info:  # OKX account balance (REST) or account channel (WS)
        accounts = _rows(info["data"], "data")
        rows = [row for account in accounts for row in _rows(account.get("details", []), "details")]
        return {
            code_of(str(r["ccy"])): _balance(code_of(str(r["ccy"])), r, "availBal", "frozenBal")
            for r in rows
        }
    raise MalformedReply(f"balance: unrecognised payload with keys {sorted(info)[:8]}")


def _rows(value: object, what: str) -> Sequence[Payload]:
    if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
        raise MalformedReply(f"{what}: expected a list of objects")
    return value


def _balance(asset: str, row: Payload, free_key: str, locked_key: str) -> Balance:
    free = raw_decimal(row, free_key, what=f"{asset}.{free_key}")
    locked = optional_decimal(row, locked_key, what=f"{asset}.{locked_key}") or ZERO
    return Balance(asset, free, locked)


# -- quotes -----------------------------------------------------------------------------------


def parse_quote(ticker: Payload) -> Quote | None:
    """The best bid and ask of a ticker; None when either side is missing or the book crossed."""
    info = info_of(ticker, f"ticker {ticker.get('symbol')}")
    bid = _top(info, ("b", "bidPrice", "bidPx"), "bids", "bid")
    ask = _top(info, ("a", "askPrice", "askPx"), "asks", "ask")
    if bid is None or ask is None or bid <= 0 or ask <= 0 or bid > ask:
        return None
    return Quote(bid, ask)


def _top(info: Payload, keys: tuple[str, ...], levels_key: str, what: str) -> Decimal | None:
    found = optional_decimal(info, *keys, what=what)
    if found is not None:
        return found
    levels = info.get(levels_key)
    if isinstance(levels, list) and levels and isinstance(levels[0], list) and levels[0]:
        return to_decimal(str(levels[0][0]), what=what)
    return None


# -- orders -----------------------------------------------------------------------------------


def parse_order(venue: str, order: Payload) -> OrderReport:
    """An order's state, amounts and fee from the raw REST reply or WS event behind it."""
    info = info_of(order, f"order {order.get('id')}")
    symbol = str(order.get("symbol"))
    amount = raw_decimal(info, "origQty", "q", "sz", what=f"{symbol} order amount")
    filled = raw_decimal(info, "executedQty", "z", "accFillSz", what=f"{symbol} order filled")
    fee, fee_asset = _order_fee(info)
    return OrderReport(
        venue=venue,
        client_order_id=raw_text(info, "origClientOrderId", "C", "clientOrderId", "c", "clOrdId"),
        exchange_order_id=str(order.get("id")),
        symbol=symbol,
        side=_enum(OrderSide, order.get("side"), "side"),
        type=_enum(OrderType, order.get("type"), "type"),
        status=_status(order.get("status")),
        amount=amount,
        filled=filled,
        average_price=_average(info, filled),
        fee=fee,
        fee_asset=fee_asset,
        price=_limit_price(info),
        timestamp_ms=_int(order.get("lastUpdateTimestamp")) or _int(order.get("timestamp")),
    )


def _status(value: object) -> OrderStatus:
    status = ORDER_STATUSES.get(str(value))
    if status is None:
        raise MalformedReply(f"order status: unknown value {value!r}")
    return status


def _enum(kind: type[_E], value: object, what: str) -> _E:
    try:
        return kind(str(value))
    except ValueError as error:
        raise MalformedReply(f"order {what}: unknown value {value!r}") from error


def _average(info: Payload, filled: Decimal) -> Decimal | None:
    average = optional_decimal(info, "avgPx", what="avgPx")
    if average:
        return average
    cost = optional_decimal(info, "cummulativeQuoteQty", "Z", what="cumulative quote")
    if cost is None or filled == 0:
        return None
    return cost / filled


def _limit_price(info: Payload) -> Decimal | None:
    price = optional_decimal(info, "price", "p", "px", what="price")
    return price if price else None


def _order_fee(info: Payload) -> tuple[Decimal | None, str | None]:
    if "fee" in info and "feeCcy" in info:  # OKX: cumulative, negative for a charge
        fee = optional_decimal(info, "fee", what="fee")
        return (abs(fee), raw_text(info, "feeCcy")) if fee is not None else (None, None)
    fills = info.get("fills")
    if isinstance(fills, list) and fills:  # Binance FULL response
        rows = _rows(fills, "fills")
        assets = {raw_text(row, "commissionAsset") for row in rows}
        if len(assets) == 1:
            total = sum((raw_decimal(r, "commission", what="commission") for r in rows), ZERO)
            return total, assets.pop()
    return None, None


def trades_fee(trades: Sequence[Payload]) -> tuple[Decimal | None, str | None]:
    """The fee one order paid, summed over its trades (Binance ``myTrades`` rows).

    Binance's order query carries no fee; a looked-up order gets it from its trades. None when
    there are no trades or they paid in more than one asset.
    """
    rows = [info_of(trade, "trade") for trade in trades]
    assets = {raw_text(row, "commissionAsset") for row in rows}
    if len(assets) != 1 or None in assets:
        return None, None
    total = sum((raw_decimal(r, "commission", what="commission") for r in rows), ZERO)
    return total, assets.pop()


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# -- transfers --------------------------------------------------------------------------------


def parse_transfer(venue: str, transaction: Payload, direction: str) -> TransferReport:
    """A deposit or withdrawal from the raw history row behind it."""
    info = info_of(transaction, f"{direction} {transaction.get('id')}")
    asset = str(transaction.get("currency"))
    status = TRANSFER_STATUSES.get(str(transaction.get("status")))
    if status is None:
        raise MalformedReply(f"{direction} status: unknown value {transaction.get('status')!r}")
    return TransferReport(
        venue=venue,
        id=str(transaction.get("id")),
        direction=direction,
        asset=asset,
        network=_text_or_none(transaction.get("network")),
        amount=raw_decimal(info, "amount", "amt", what=f"{direction} amount"),
        fee=optional_decimal(info, "transactionFee", "fee", what=f"{direction} fee"),
        status=status,
        address=_text_or_none(transaction.get("address")),
        txid=_text_or_none(transaction.get("txid")),
        timestamp_ms=_int(transaction.get("timestamp")),
        client_id=_text_or_none(raw_text(info, "withdrawOrderId", "clientId")),
    )


def parse_deposit_address(unified: Payload, asset: str, network: str) -> DepositAddress:
    """Where to send ``asset`` over ``network``; refuses a blank address."""
    address = _text_or_none(unified.get("address"))
    if address is None:
        raise MalformedReply(f"deposit address for {asset} on {network}: missing")
    return DepositAddress(asset, network, address, _text_or_none(unified.get("tag")))


def _text_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
