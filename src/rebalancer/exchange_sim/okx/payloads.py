"""OKX v5 JSON objects built from engine values.

Field names and shapes follow OKX's documentation and what ccxt's ``okx`` parsers read
(``parse_market``, ``parse_ticker``, ``parse_order``, ``parse_trading_balance``). Every number
is a string; a missing one is ``""``. Fees are negative when charged, as OKX reports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.market import Market, OrderSide
from rebalancer.domain.money import ZERO
from rebalancer.exchange_sim.engine.book import Level
from rebalancer.exchange_sim.engine.orders import Order, OrderKind, OrderState, Trade
from rebalancer.exchange_sim.engine.tickers import TickerStats
from rebalancer.exchange_sim.okx.wire import inst_id, ms, num

MAX_SIZE = Decimal("9999999999")
_STATES = {
    OrderState.NEW: "live",
    OrderState.PARTIALLY_FILLED: "partially_filled",
    OrderState.FILLED: "filled",
    OrderState.CANCELED: "canceled",
    OrderState.EXPIRED: "canceled",  # OKX has no "expired": an IOC remainder is cancelled
}

Json = dict[str, object]


@dataclass(frozen=True, slots=True)
class OrderMeta:
    """What OKX echoes about an order that the engine does not keep (its request's words)."""

    ord_type: str = ""
    tgt_ccy: str = "base_ccy"
    tag: str = ""
    size: str = ""


def order_state(order: Order) -> str:
    """OKX's name of an order's state (``live``, ``partially_filled``, ``filled``, ``canceled``)."""
    return _STATES[order.state]


def instrument(market: Market, listed_ms: int) -> Json:
    """One ``public/instruments`` entry for a spot market."""
    max_size = num(market.max_amount or MAX_SIZE)
    return {
        "instType": "SPOT",
        "instId": inst_id(market.symbol),
        "uly": "",
        "instFamily": "",
        "baseCcy": market.base,
        "quoteCcy": market.quote,
        "settleCcy": "",
        "ctVal": "",
        "ctMult": "",
        "ctValCcy": "",
        "optType": "",
        "stk": "",
        "listTime": ms(listed_ms),
        "expTime": "",
        "lever": "",
        "tickSz": num(market.price_tick),
        "lotSz": num(market.amount_step),
        "minSz": num(market.min_amount),
        "ctType": "",
        "alias": "",
        "state": "live",
        "ruleType": "normal",
        "maxLmtSz": max_size,
        "maxMktSz": max_size,
        "maxLmtAmt": "",
        "maxMktAmt": "",
        "maxTwapSz": "",
        "maxIcebergSz": "",
        "maxTriggerSz": "",
        "maxStopSz": "",
    }


def ticker(
    symbol: str, stats: TickerStats, bids: list[Level], asks: list[Level], now_ms: int
) -> Json:
    """A ``market/ticker`` entry (also the ``tickers`` websocket push) from stats and the top."""
    bid = bids[0] if bids else None
    ask = asks[0] if asks else None
    return {
        "instType": "SPOT",
        "instId": inst_id(symbol),
        "last": num(stats.last),
        "lastSz": "0",
        "askPx": num(ask.price) if ask else "",
        "askSz": num(ask.quantity) if ask else "",
        "bidPx": num(bid.price) if bid else "",
        "bidSz": num(bid.quantity) if bid else "",
        "open24h": num(stats.open),
        "high24h": num(stats.high),
        "low24h": num(stats.low),
        "volCcy24h": num(stats.quote_volume),
        "vol24h": num(stats.volume),
        "sodUtc0": num(stats.open),
        "sodUtc8": num(stats.open),
        "ts": ms(now_ms),
    }


def levels(side: list[Level]) -> list[list[str]]:
    """Book levels as OKX writes them: ``[price, size, "0", orders]``."""
    return [[num(lv.price), num(lv.quantity), "0", "1"] for lv in side]


def book(bids: list[Level], asks: list[Level], now_ms: int) -> Json:
    """A ``market/books`` entry (also a ``books5`` / ``bbo-tbt`` push)."""
    return {"asks": levels(asks), "bids": levels(bids), "ts": ms(now_ms)}


def balance_detail(asset: str, free: Decimal, locked: Decimal, now_ms: int) -> Json:
    """One ``details[]`` entry of ``account/balance`` and of the ``account`` channel."""
    total = num(free + locked)
    return {
        "ccy": asset,
        "availBal": num(free),
        "frozenBal": num(locked),
        "ordFrozen": num(locked),
        "cashBal": total,
        "eq": total,
        "disEq": total,
        "uTime": ms(now_ms),
    }


def balance(balances: Mapping[str, tuple[Decimal, Decimal]], now_ms: int) -> Json:
    """The single ``data[0]`` object of ``account/balance`` (and of an ``account`` push)."""
    return {
        "uTime": ms(now_ms),
        "totalEq": "",
        "adjEq": "",
        "details": [
            balance_detail(asset, free, locked, now_ms)
            for asset, (free, locked) in sorted(balances.items())
        ],
    }


def order(
    order: Order, meta: OrderMeta, fill: Trade | None = None, *, last_fill: bool = True
) -> Json:
    """An OKX order object (``trade/order``, ``orders-pending``, the ``orders`` channel).

    ``fill`` is the trade this report is about (a push for one fill); on REST the order's last
    trade fills the ``fill*`` fields, as OKX does, unless ``last_fill`` is False.
    """
    if fill is None and last_fill and order.trades:
        fill = order.trades[-1]
    fee_asset = _fee_asset(order)
    fees = sum((t.fee for t in order.trades), ZERO)
    return {
        "instType": "SPOT",
        "instId": inst_id(order.symbol),
        "ccy": "",
        "ordId": str(order.id),
        "clOrdId": order.client_order_id,
        "tag": meta.tag,
        "px": num(order.price) if order.kind is OrderKind.LIMIT else "",
        "sz": meta.size or num(order.amount),
        "notionalUsd": "",
        "ordType": meta.ord_type or order.kind.value,
        "side": order.side.value,
        "posSide": "net",
        "tdMode": "cash",
        "tgtCcy": meta.tgt_ccy,
        "accFillSz": num(order.filled),
        "avgPx": num(order.average_price) if order.filled else "",
        "state": order_state(order),
        "fee": num(-fees) if fees else "0",
        "feeCcy": fee_asset,
        "rebate": "0",
        "rebateCcy": fee_asset,
        "pnl": "0",
        "lever": "",
        "category": "normal",
        "reduceOnly": "false",
        "cancelSource": "",
        "source": "",
        "tradeId": str(fill.id) if fill else "",
        "fillPx": num(fill.price) if fill else "",
        "fillSz": num(fill.amount) if fill else "0",
        "fillTime": ms(fill.time_ms) if fill else "",
        "fillFee": num(-fill.fee) if fill else "0",
        "fillFeeCcy": fill.fee_asset if fill else "",
        "execType": ("M" if fill.maker else "T") if fill else "",
        "cTime": ms(order.created_ms),
        "uTime": ms(order.updated_ms or order.created_ms),
    }


def fill(trade: Trade, client_order_id: str) -> Json:
    """One ``trade/fills`` / ``fills-history`` entry."""
    return {
        "instType": "SPOT",
        "instId": inst_id(trade.symbol),
        "tradeId": str(trade.id),
        "ordId": str(trade.order_id),
        "clOrdId": client_order_id,
        "billId": str(trade.id),
        "tag": "",
        "fillPx": num(trade.price),
        "fillSz": num(trade.amount),
        "side": trade.side.value,
        "posSide": "net",
        "execType": "M" if trade.maker else "T",
        "feeCcy": trade.fee_asset,
        "fee": num(-trade.fee),
        "ts": ms(trade.time_ms),
        "fillTime": ms(trade.time_ms),
    }


def _fee_asset(order: Order) -> str:
    if order.trades:
        return order.trades[-1].fee_asset
    base, _, quote = order.symbol.partition("/")
    return base if order.side is OrderSide.BUY else quote
