"""Binance public REST: ping, time, exchangeInfo, tickers, order book."""

from __future__ import annotations

import json

from aiohttp import web

from rebalancer.exchange_sim.binance.payloads import fmt, symbol_entry, symbol_id, ticker_24hr
from rebalancer.exchange_sim.binance.site import INVALID_SYMBOL, BinanceSite, illegal, json_reply

MAX_DEPTH = 5000


class MarketRoutes:
    """Handlers of ``/api/v3`` public endpoints."""

    def __init__(self, site: BinanceSite) -> None:
        self.site = site

    def routes(self) -> list[web.RouteDef]:
        """The routes this class serves."""
        return [
            web.get("/api/v3/ping", self.ping),
            web.get("/api/v3/time", self.time),
            web.get("/api/v3/exchangeInfo", self.exchange_info),
            web.get("/api/v3/ticker/24hr", self.ticker_24hr),
            web.get("/api/v3/ticker/bookTicker", self.book_ticker),
            web.get("/api/v3/ticker/price", self.price),
            web.get("/api/v3/depth", self.depth),
        ]

    async def ping(self, request: web.Request) -> web.Response:
        """``{}``: the server is up."""
        return json_reply({})

    async def time(self, request: web.Request) -> web.Response:
        """The server's time (what ``adjustForTimeDifference`` compares with)."""
        return json_reply({"serverTime": self.site.now_ms()})

    async def exchange_info(self, request: web.Request) -> web.Response:
        """Every market's rules, in Binance's filter format."""
        markets = self.site.venue.markets.values()
        return json_reply(
            {
                "timezone": "UTC",
                "serverTime": self.site.now_ms(),
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": [symbol_entry(m) for m in markets],
            }
        )

    def _symbols(self, request: web.Request) -> list[str]:
        params = dict(request.query)
        one = self.site.symbol(params, required=False)
        if one is not None:
            return [one]
        if "symbols" in params:
            try:
                ids = json.loads(params["symbols"])
            except json.JSONDecodeError:
                raise illegal("symbols") from None
            if not isinstance(ids, list):
                raise illegal("symbols")
            unknown = [i for i in ids if i not in self.site.symbols]
            if unknown:
                raise INVALID_SYMBOL
            return [self.site.symbols[i] for i in ids]
        return list(self.site.venue.markets)

    async def ticker_24hr(self, request: web.Request) -> web.Response:
        """24h statistics of one symbol (an object) or several (a list)."""
        symbols = self._symbols(request)
        now = self.site.now_ms()
        tickers = [ticker_24hr(self.site.venue, s, now) for s in symbols]
        single = "symbol" in request.query
        return json_reply(tickers[0] if single else tickers)

    async def book_ticker(self, request: web.Request) -> web.Response:
        """Best bid and ask of one symbol (an object) or several (a list)."""
        rows = []
        for symbol in self._symbols(request):
            book = self.site.venue.books[symbol]
            bid, ask = book.best_bid, book.best_ask
            rows.append(
                {
                    "symbol": symbol_id(symbol),
                    "bidPrice": fmt(bid.price) if bid else "0.00000000",
                    "bidQty": fmt(bid.quantity) if bid else "0.00000000",
                    "askPrice": fmt(ask.price) if ask else "0.00000000",
                    "askQty": fmt(ask.quantity) if ask else "0.00000000",
                }
            )
        return json_reply(rows[0] if "symbol" in request.query else rows)

    async def price(self, request: web.Request) -> web.Response:
        """Last price of one symbol (an object) or several (a list)."""
        rows = [
            {"symbol": symbol_id(s), "price": fmt(self.site.venue.tickers[s].last)}
            for s in self._symbols(request)
        ]
        return json_reply(rows[0] if "symbol" in request.query else rows)

    async def depth(self, request: web.Request) -> web.Response:
        """The order book; ``lastUpdateId`` lines up with the ``@depth`` stream's ids.

        For a market whose diffs are streamed the snapshot is one diff behind, as a real
        snapshot is by the time it arrives (see ``binance.depth``).
        """
        params = dict(request.query)
        symbol = self.site.symbol(params)
        assert symbol is not None  # required=True
        limit = min(self.site.integer(params, "limit") or 100, MAX_DEPTH)
        book = self.site.depth.snapshot(symbol)
        bids = sorted(book.bids.items(), reverse=True)[:limit]
        asks = sorted(book.asks.items())[:limit]
        return json_reply(
            {
                "lastUpdateId": book.update_id,
                "bids": [[fmt(p), fmt(q)] for p, q in bids],
                "asks": [[fmt(p), fmt(q)] for p, q in asks],
            }
        )
