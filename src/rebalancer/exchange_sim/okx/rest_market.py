"""Public OKX market-data endpoints: time, instruments, tickers and order books."""

from __future__ import annotations

from aiohttp import web

from rebalancer.exchange_sim.okx import errors, payloads
from rebalancer.exchange_sim.okx.context import OkxContext
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.http import ok
from rebalancer.exchange_sim.okx.payloads import Json
from rebalancer.exchange_sim.okx.wire import ms, symbol_of

DEFAULT_BOOK_DEPTH = 1
MAX_BOOK_DEPTH = 400


class MarketRoutes:
    """Handlers of ``/api/v5/public/*`` and ``/api/v5/market/*``."""

    def __init__(self, ctx: OkxContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of these handlers."""
        return [
            web.get("/api/v5/public/time", self.time),
            web.get("/api/v5/public/instruments", self.instruments),
            web.get("/api/v5/market/ticker", self.ticker),
            web.get("/api/v5/market/tickers", self.tickers),
            web.get("/api/v5/market/books", self.books),
        ]

    async def time(self, request: web.Request) -> web.Response:
        """``GET public/time``: the server clock in milliseconds."""
        del request
        return ok([{"ts": ms(self.ctx.now_ms())}])

    async def instruments(self, request: web.Request) -> web.Response:
        """``GET public/instruments``: the spot markets (no derivatives are listed)."""
        inst_type = _required(request, "instType")
        if inst_type != "SPOT":
            return ok([])
        markets = sorted(self.ctx.venue.markets.values(), key=lambda m: m.symbol)
        return ok([payloads.instrument(m, self.ctx.listed_ms) for m in markets])

    async def ticker(self, request: web.Request) -> web.Response:
        """``GET market/ticker?instId=``: one market's ticker."""
        return ok([self._ticker(symbol_of(_required(request, "instId")))])

    async def tickers(self, request: web.Request) -> web.Response:
        """``GET market/tickers?instType=SPOT``: every market's ticker."""
        if _required(request, "instType") != "SPOT":
            return ok([])
        return ok([self._ticker(symbol) for symbol in sorted(self.ctx.venue.markets)])

    async def books(self, request: web.Request) -> web.Response:
        """``GET market/books?instId=&sz=``: the top ``sz`` levels of each side."""
        symbol = symbol_of(_required(request, "instId"))
        depth_text = request.query.get("sz", str(DEFAULT_BOOK_DEPTH))
        if not depth_text.isdigit() or not 1 <= int(depth_text) <= MAX_BOOK_DEPTH:
            raise OkxRejection(errors.PARAM_ERROR, "sz")
        bids, asks = self.ctx.top(symbol, int(depth_text))
        return ok([payloads.book(bids, asks, self.ctx.now_ms())])

    def _ticker(self, symbol: str) -> Json:
        bids, asks = self.ctx.top(symbol, 1)
        stats = self.ctx.venue.tickers[symbol]
        return payloads.ticker(symbol, stats, bids, asks, self.ctx.now_ms())


def _required(request: web.Request, name: str) -> str:
    value = request.query.get(name, "")
    if not value:
        raise OkxRejection(errors.PARAM_EMPTY, name)
    return value
