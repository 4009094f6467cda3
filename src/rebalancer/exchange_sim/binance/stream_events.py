"""Binance market-stream event bodies: tickers, trades, klines and depth diffs."""

from __future__ import annotations

from typing import Any

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.binance.codes import BinanceError
from rebalancer.exchange_sim.binance.depth import Diff
from rebalancer.exchange_sim.binance.payloads import fmt, symbol_id
from rebalancer.exchange_sim.binance.rest_history import kline_timeframe
from rebalancer.exchange_sim.engine import Bar, Timeframe, Trade, taker_side


def ticker_event(t: dict[str, Any], now: int, *, mini: bool) -> dict[str, Any]:
    """A ``24hrTicker`` / ``24hrMiniTicker`` event from a ``ticker/24hr`` body."""
    event = {
        "e": "24hrMiniTicker" if mini else "24hrTicker",
        "E": now,
        "s": t["symbol"],
        "c": t["lastPrice"],
        "o": t["openPrice"],
        "h": t["highPrice"],
        "l": t["lowPrice"],
        "v": t["volume"],
        "q": t["quoteVolume"],
    }
    if not mini:
        event.update(
            {
                "p": t["priceChange"],
                "P": t["priceChangePercent"],
                "w": t["weightedAvgPrice"],
                "x": t["prevClosePrice"],
                "Q": t["lastQty"],
                "b": t["bidPrice"],
                "B": t["bidQty"],
                "a": t["askPrice"],
                "A": t["askQty"],
                "O": t["openTime"],
                "C": t["closeTime"],
                "F": t["firstId"],
                "L": t["lastId"],
                "n": t["count"],
            }
        )
    return event


def trade_event(trade: Trade, now: int, *, aggregate: bool) -> dict[str, Any]:
    """A ``trade`` (or ``aggTrade``) event: ``m`` is true when the buyer was the maker."""
    event: dict[str, Any] = {
        "e": "aggTrade" if aggregate else "trade",
        "E": now,
        "s": symbol_id(trade.symbol),
        "a" if aggregate else "t": trade.id,
        "p": fmt(trade.price),
        "q": fmt(trade.amount),
    }
    if aggregate:
        event.update({"f": trade.id, "l": trade.id})
    event.update({"T": trade.time_ms, "m": taker_side(trade) is OrderSide.SELL, "M": True})
    return event


def kline_stream(channel: str) -> tuple[str, Timeframe] | None:
    """``kline_1m`` or ``kline_1m@+08:00`` -> (interval, timeframe); None if not a kline."""
    name, _, zone = channel.partition("@")
    if not name.startswith("kline_"):
        return None
    interval = name.removeprefix("kline_")
    tz_ms = 8 * 3_600_000 if zone == "+08:00" else 0
    try:
        return interval, kline_timeframe(interval, tz_ms)
    except BinanceError:
        return None  # an unknown interval is a stream nobody publishes


def kline_event(
    symbol: str, interval: str, timeframe: Timeframe, bar: Bar, now: int
) -> dict[str, Any]:
    """A ``kline`` event for the bar in progress (``x`` false) or just closed."""
    closes = timeframe.after(bar.open_ms) - 1
    return {
        "e": "kline",
        "E": now,
        "s": symbol_id(symbol),
        "k": {
            "t": bar.open_ms,
            "T": closes,
            "s": symbol_id(symbol),
            "i": interval,
            "f": -1,
            "L": -1,
            "o": fmt(bar.open),
            "c": fmt(bar.close),
            "h": fmt(bar.high),
            "l": fmt(bar.low),
            "v": fmt(bar.volume),
            "n": bar.trades,
            "x": now > closes,
            "q": fmt(bar.quote_volume),
            "V": fmt(bar.taker_buy_volume),
            "Q": fmt(bar.taker_buy_quote_volume),
            "B": "0",
        },
    }


def depth_event(symbol: str, diff: Diff, now: int) -> dict[str, Any]:
    """A ``depthUpdate`` event; its ``U``/``u`` continue the REST snapshot's ids."""
    return {
        "e": "depthUpdate",
        "E": now,
        "s": symbol_id(symbol),
        "U": diff.update_id,
        "u": diff.update_id,
        "b": [[fmt(p), fmt(q)] for p, q in diff.bids],
        "a": [[fmt(p), fmt(q)] for p, q in diff.asks],
    }
