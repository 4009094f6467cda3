"""Public OKX market history: candles, trades and the system status.

Candles come from the engine's candles (every mid the venue quoted and every fill); trades are
the venue's fills with their taker's side. Both lists are newest first, as OKX sends them;
``after`` asks for records older than a timestamp (or trade id), ``before`` for newer ones.
``market/candles`` returns at most 300 bars, ``history-candles`` and ``history-trades`` 100,
``market/trades`` 500; a larger ``limit`` is capped. Bars of 6 hours and more are aligned to
Hong Kong time (UTC+8) unless the bar name ends in ``utc`` (``1Dutc``), as on OKX.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from rebalancer.exchange_sim.engine import Bar, Timeframe, Trade, taker_side
from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.context import OkxContext
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.http import ok
from rebalancer.exchange_sim.okx.payloads import Json
from rebalancer.exchange_sim.okx.wire import inst_id, ms, num, symbol_of

HONG_KONG_MS = 8 * 3_600_000
DEFAULT_LIMIT = 100
MAX_CANDLES = 300
MAX_HISTORY = 100
MAX_TRADES = 500
_UNITS = {"m": 1, "H": 60, "D": 24 * 60, "W": 7 * 24 * 60}
_BARS = {
    "m": ("1", "3", "5", "15", "30"),
    "H": ("1", "2", "4", "6", "12"),
    "D": ("1", "2", "3"),
    "W": ("1",),
    "M": ("1", "3"),
}


def bar_timeframe(bar: str) -> Timeframe:
    """The timeframe of an OKX ``bar`` (``1m`` ... ``3M``, ``6Hutc`` ...); 51000 for others."""
    name = bar.removesuffix("utc")
    count, unit = name[:-1], name[-1:]
    if count not in _BARS.get(unit, ()):
        raise OkxRejection(errors.PARAM_ERROR, "bar")
    minutes = int(count) * _UNITS.get(unit, 0)
    if name != bar and (unit == "m" or (unit == "H" and minutes < 360)):
        raise OkxRejection(errors.PARAM_ERROR, "bar")  # only 6H and longer have a utc variant
    hong_kong = name == bar and (unit in ("D", "W", "M") or minutes >= 360)
    tz_ms = HONG_KONG_MS if hong_kong else 0
    if unit == "M":
        return Timeframe.of_months(int(count), tz_ms=tz_ms)
    return Timeframe.of_minutes(minutes, tz_ms=tz_ms)


def candle_row(bar: Bar, closed: bool) -> list[str]:
    """``[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]``: volumes in base and quote."""
    return [
        ms(bar.open_ms),
        num(bar.open),
        num(bar.high),
        num(bar.low),
        num(bar.close),
        num(bar.volume),
        num(bar.quote_volume),
        num(bar.quote_volume),
        "1" if closed else "0",
    ]


def public_trade(trade: Trade) -> Json:
    """One ``market/trades`` entry (also a ``trades`` channel push)."""
    return {
        "instId": inst_id(trade.symbol),
        "tradeId": str(trade.id),
        "px": num(trade.price),
        "sz": num(trade.amount),
        "side": taker_side(trade).value,
        "ts": ms(trade.time_ms),
        "count": "1",
    }


class HistoryRoutes:
    """Handlers of ``market/candles``, ``history-candles``, ``trades``, ``history-trades``."""

    def __init__(self, ctx: OkxContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of these handlers."""
        return [
            web.get("/api/v5/market/candles", self.candles),
            web.get("/api/v5/market/history-candles", self.history_candles),
            web.get("/api/v5/market/trades", self.trades),
            web.get("/api/v5/market/history-trades", self.history_trades),
            web.get("/api/v5/system/status", self.status),
        ]

    async def candles(self, request: web.Request) -> web.Response:
        """``GET market/candles?instId=&bar=&after=&before=&limit=``: recent bars."""
        return self._candles(request.query, MAX_CANDLES)

    async def history_candles(self, request: web.Request) -> web.Response:
        """``GET market/history-candles``: the same bars, 100 at most per request."""
        return self._candles(request.query, MAX_HISTORY)

    async def trades(self, request: web.Request) -> web.Response:
        """``GET market/trades?instId=&limit=``: the latest trades, newest first."""
        symbol = self._symbol(request.query)
        limit = _limit(request.query, MAX_TRADES)
        newest = list(reversed(self.ctx.venue.market_trades(symbol)[-limit:]))
        return ok([public_trade(t) for t in newest])

    async def history_trades(self, request: web.Request) -> web.Response:
        """``GET market/history-trades``: trades paged by trade id (type 1) or time (type 2)."""
        query = request.query
        symbol = self._symbol(query)
        by_time = query.get("type", "1") == "2"
        after, before = _number(query, "after"), _number(query, "before")

        def key(trade: Trade) -> int:
            return trade.time_ms if by_time else trade.id

        chosen = [
            t
            for t in reversed(self.ctx.venue.market_trades(symbol))
            if (after is None or key(t) < after) and (before is None or key(t) > before)
        ]
        return ok([public_trade(t) for t in chosen[: _limit(query, MAX_HISTORY)]])

    async def status(self, request: web.Request) -> web.Response:
        """``GET system/status``: no maintenance is ever scheduled, so no entries."""
        del request
        return ok([])

    def _symbol(self, query: Mapping[str, str]) -> str:
        """The market of ``instId`` (50014 if missing, 51001 if the venue does not list it)."""
        instrument = query.get("instId", "")
        if not instrument:
            raise OkxRejection(errors.PARAM_EMPTY, "instId")
        symbol = symbol_of(instrument)
        if symbol not in self.ctx.venue.markets:
            raise OkxRejection(errors.INSTRUMENT_UNKNOWN)
        return symbol

    def _candles(self, query: Mapping[str, str], max_limit: int) -> web.Response:
        symbol = self._symbol(query)
        timeframe = bar_timeframe(query.get("bar", "1m") or "1m")
        after, before = _number(query, "after"), _number(query, "before")
        limit = _limit(query, max_limit)
        now = self.ctx.now_ms()
        bars = self.ctx.venue.candles[symbol].bars(
            timeframe,
            now_ms=now,
            end_ms=after - 1 if after is not None else None,
            limit=limit,
        )
        if before is not None:
            bars = [b for b in bars if b.open_ms > before]
        current = timeframe.start_of(now)
        return ok([candle_row(b, closed=b.open_ms < current) for b in reversed(bars)])


def _number(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name, "")
    if not text:
        return None
    if not text.isdigit():
        raise OkxRejection(errors.PARAM_ERROR, name)
    return int(text)


def _limit(query: Mapping[str, str], max_limit: int) -> int:
    text = query.get("limit", "")
    if not text:
        return DEFAULT_LIMIT
    if not text.isdigit() or int(text) < 1:
        raise OkxRejection(errors.PARAM_ERROR, "limit")
    return min(int(text), max_limit)
