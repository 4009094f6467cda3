"""Binance public market history: klines, aggregate and recent trades, and the system status.

Klines come from the engine's candles (every mid the venue quoted and every fill); trades are
the venue's fills, each reported with its taker's side. Limits follow Binance: klines default
500 and at most 1000, trades default 500 and at most 1000 (a bigger ``limit`` is capped, not
refused). The ``1s`` interval is not served: bars are kept per minute.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.binance.codes import BinanceError
from rebalancer.exchange_sim.binance.payloads import fmt
from rebalancer.exchange_sim.binance.site import BinanceSite, illegal, json_reply
from rebalancer.exchange_sim.engine import Bar, Timeframe, Trade, taker_side

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
HOUR_MS = 3_600_000
INVALID_INTERVAL = BinanceError((400, -1120, "Invalid interval."))
AGG_TRADES_SPAN = BinanceError((400, -1127, "More than 1 hours between startTime and endTime."))
_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}


def kline_timeframe(interval: str, tz_ms: int = 0) -> Timeframe:
    """The timeframe of a Binance interval (``1m`` ... ``1w``, ``1M``); -1120 for others."""
    count, unit = interval[:-1], interval[-1:]
    allowed = {
        "m": ("1", "3", "5", "15", "30"),
        "h": ("1", "2", "4", "6", "8", "12"),
        "d": ("1", "3"),
        "w": ("1",),
        "M": ("1",),
    }
    if count not in allowed.get(unit, ()):
        raise INVALID_INTERVAL
    if unit == "M":
        return Timeframe.of_months(int(count), tz_ms=tz_ms)
    return Timeframe.of_minutes(int(count) * _MINUTES[unit], tz_ms=tz_ms)


def kline_row(bar: Bar, timeframe: Timeframe) -> list[Any]:
    """One kline as Binance writes it: times as numbers, amounts as strings."""
    return [
        bar.open_ms,
        fmt(bar.open),
        fmt(bar.high),
        fmt(bar.low),
        fmt(bar.close),
        fmt(bar.volume),
        timeframe.after(bar.open_ms) - 1,
        fmt(bar.quote_volume),
        bar.trades,
        fmt(bar.taker_buy_volume),
        fmt(bar.taker_buy_quote_volume),
        "0",
    ]


class HistoryRoutes:
    """Handlers of ``/api/v3/klines``, ``aggTrades``, ``trades`` and ``/sapi/v1/system/status``."""

    def __init__(self, site: BinanceSite) -> None:
        self.site = site

    def routes(self) -> list[web.RouteDef]:
        """The routes this class serves."""
        return [
            web.get("/api/v3/klines", self.klines),
            web.get("/api/v3/uiKlines", self.klines),
            web.get("/api/v3/aggTrades", self.agg_trades),
            web.get("/api/v3/trades", self.trades),
            web.get("/sapi/v1/system/status", self.status),
        ]

    async def klines(self, request: web.Request) -> web.Response:
        """Bars of one symbol: from ``startTime`` on, else the latest up to ``endTime``/now."""
        params = dict(request.query)
        symbol = self.site.symbol(params)
        assert symbol is not None  # required=True
        interval = params.get("interval")
        if not interval:
            raise BinanceError(
                (
                    400,
                    -1102,
                    "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.",
                )
            )
        timeframe = kline_timeframe(interval, _time_zone_ms(params.get("timeZone", "0")))
        bars = self.site.venue.candles[symbol].bars(
            timeframe,
            now_ms=self.site.now_ms(),
            start_ms=self.site.integer(params, "startTime"),
            end_ms=self.site.integer(params, "endTime"),
            limit=self._limit(params),
        )
        return json_reply([kline_row(bar, timeframe) for bar in bars])

    async def agg_trades(self, request: web.Request) -> web.Response:
        """Aggregate trades (one per fill here), oldest first, by id or time window."""
        params = dict(request.query)
        symbol = self.site.symbol(params)
        assert symbol is not None
        start = self.site.integer(params, "startTime")
        end = self.site.integer(params, "endTime")
        from_id = self.site.integer(params, "fromId")
        if start is not None and end is not None and end - start > HOUR_MS:
            raise AGG_TRADES_SPAN
        trades = [
            t
            for t in self.site.venue.market_trades(symbol)
            if (start is None or t.time_ms >= start)
            and (end is None or t.time_ms <= end)
            and (from_id is None or t.id >= from_id)
        ]
        limit = self._limit(params)
        chosen = trades[:limit] if from_id is not None or start is not None else trades[-limit:]
        return json_reply([_agg_trade(t) for t in chosen])

    async def trades(self, request: web.Request) -> web.Response:
        """The most recent trades of one symbol, oldest first."""
        params = dict(request.query)
        symbol = self.site.symbol(params)
        assert symbol is not None
        chosen = self.site.venue.market_trades(symbol)[-self._limit(params) :]
        return json_reply([_recent_trade(t) for t in chosen])

    async def status(self, request: web.Request) -> web.Response:
        """``{"status": 0, "msg": "normal"}``: the simulator is never in maintenance."""
        del request
        return json_reply({"status": 0, "msg": "normal"})

    def _limit(self, params: dict[str, str]) -> int:
        limit = self.site.integer(params, "limit")
        if limit is None:
            return DEFAULT_LIMIT
        if limit < 1:
            raise illegal("limit")
        return min(limit, MAX_LIMIT)


def _time_zone_ms(text: str) -> int:
    """Binance's ``timeZone``: hours (``8``, ``-1``) or ``hours:minutes`` (``5:30``)."""
    hours, _, minutes = text.partition(":")
    try:
        sign = -1 if hours.strip().startswith("-") else 1
        total = abs(int(hours)) * 60 + (int(minutes) if minutes else 0)
    except ValueError:
        raise illegal("timeZone") from None
    if not -12 * 60 <= sign * total <= 14 * 60:
        raise illegal("timeZone")
    return sign * total * 60_000


def _buyer_is_maker(trade: Trade) -> bool:
    return taker_side(trade) is OrderSide.SELL


def _agg_trade(trade: Trade) -> dict[str, Any]:
    return {
        "a": trade.id,
        "p": fmt(trade.price),
        "q": fmt(trade.amount),
        "f": trade.id,
        "l": trade.id,
        "T": trade.time_ms,
        "m": _buyer_is_maker(trade),
        "M": True,
    }


def _recent_trade(trade: Trade) -> dict[str, Any]:
    return {
        "id": trade.id,
        "price": fmt(trade.price),
        "qty": fmt(trade.amount),
        "quoteQty": fmt(trade.cost),
        "time": trade.time_ms,
        "isBuyerMaker": _buyer_is_maker(trade),
        "isBestMatch": True,
    }
