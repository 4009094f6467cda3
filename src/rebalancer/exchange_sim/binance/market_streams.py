"""Binance market-data websockets: ``/stream/ws/<n>`` (raw events, as ccxt connects) and
``/stream?streams=a/b`` (combined: each event wrapped as ``{"stream", "data"}``).

Clients send ``{"method": "SUBSCRIBE", "params": [...], "id": N}`` and get
``{"result": null, "id": N}``. Streams: ``<s>@bookTicker``, ``<s>@ticker``, ``<s>@miniTicker``,
``!ticker@arr``, ``!miniTicker@arr``, ``<s>@depth[@100ms]`` (diffs whose ``U``/``u`` continue
the REST snapshot's ``lastUpdateId``) and ``<s>@depth<N>[@100ms]`` (partial books).
A background pump pushes book streams every interval and tickers every ten intervals; a new
ticker or book-ticker subscription gets one event at once so a watch resolves without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from rebalancer.exchange_sim.binance.payloads import fmt, symbol_id, ticker_24hr
from rebalancer.exchange_sim.binance.site import BinanceSite

TICKER_EVERY = 10


class MarketStreams:
    """Market-data websocket connections of one venue and the pump that feeds them."""

    def __init__(self, site: BinanceSite) -> None:
        self.site = site
        self.connections: dict[web.WebSocketResponse, tuple[set[str], bool]] = {}

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one websocket until the client or the control plane closes it."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        combined = request.path.rstrip("/") == "/stream"
        streams: set[str] = set()
        if combined and request.query.get("streams"):
            streams.update(s for s in request.query["streams"].split("/") if s)
        self.connections[ws] = (streams, combined)
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._on_request(ws, streams, combined, message.data)
        finally:
            self.connections.pop(ws, None)
        return ws

    async def _on_request(
        self, ws: web.WebSocketResponse, streams: set[str], combined: bool, text: str
    ) -> None:
        try:
            request = json.loads(text)
            method, params, rid = (
                request.get("method"),
                request.get("params", []),
                request.get("id"),
            )
        except (json.JSONDecodeError, AttributeError):
            await ws.send_json({"error": {"code": 3, "msg": "Invalid JSON"}, "id": None})
            return
        if method == "SUBSCRIBE" and isinstance(params, list):
            new = {str(p) for p in params}
            streams.update(new)
            await ws.send_json({"result": None, "id": rid})
            for stream in sorted(new):
                if "ticker" in stream.lower():
                    await self._push(ws, combined, stream)
        elif method == "UNSUBSCRIBE" and isinstance(params, list):
            streams.difference_update(str(p) for p in params)
            await ws.send_json({"result": None, "id": rid})
        elif method == "LIST_SUBSCRIPTIONS":
            await ws.send_json({"result": sorted(streams), "id": rid})
        else:
            await ws.send_json({"error": {"code": 2, "msg": "Invalid request"}, "id": rid})

    async def pump(self) -> None:
        """Push every subscribed stream forever (cancel to stop)."""
        beat = 0
        while True:
            await asyncio.sleep(self.site.context.stream_interval_ms / 1000)
            beat += 1
            if "market" in self.site.context.silent:
                continue
            diffs = self._depth_diffs()
            for ws, (streams, combined) in list(self.connections.items()):
                for stream in sorted(streams):
                    name = stream.lower()
                    if "@depth" in name and "@depth@" not in name and not name.endswith("@depth"):
                        await self._push(ws, combined, stream)
                    elif "@depth" in name:
                        await self._push_diff(ws, combined, stream, diffs)
                    elif "bookticker" in name or beat % TICKER_EVERY == 0:
                        await self._push(ws, combined, stream)

    def _depth_diffs(self) -> dict[str, dict[str, Any]]:
        """One diff event per symbol someone watches, advancing its update id."""
        wanted = {
            s.split("@")[0].upper()
            for streams, _ in self.connections.values()
            for s in streams
            if s.lower().endswith("@depth") or "@depth@" in s.lower()
        }
        diffs = {}
        for sid in wanted:
            symbol = self.site.symbols.get(sid)
            if symbol is not None:
                diffs[symbol] = self._diff(symbol)
        return diffs

    def _diff(self, symbol: str) -> dict[str, Any]:
        old_bids, old_asks = self.site.published_book(symbol)
        now_bids, now_asks = self.site.live_book(symbol)
        self.site.depth_books[symbol] = (now_bids, now_asks)
        update = self.site.depth_ids[symbol] + 1
        self.site.depth_ids[symbol] = update
        return {
            "e": "depthUpdate",
            "E": self.site.now_ms(),
            "s": symbol_id(symbol),
            "U": update,
            "u": update,
            "b": _changes(old_bids, now_bids),
            "a": _changes(old_asks, now_asks),
        }

    async def _push_diff(
        self, ws: web.WebSocketResponse, combined: bool, stream: str, diffs: dict[str, Any]
    ) -> None:
        symbol = self.site.symbols.get(stream.split("@", maxsplit=1)[0].upper())
        if symbol in diffs:
            await _send(ws, combined, stream, diffs[symbol])

    async def _push(self, ws: web.WebSocketResponse, combined: bool, stream: str) -> None:
        payload = self._payload(stream)
        if payload is not None:
            await _send(ws, combined, stream, payload)

    def _payload(self, stream: str) -> Any:
        name, _, channel = stream.partition("@")
        channel = channel.lower()
        venue = self.site.venue
        now = self.site.now_ms()
        if name.startswith("!"):
            mini = name.lower() == "!miniticker"
            return [
                _ticker_event(ticker_24hr(venue, s, now), now, mini=mini) for s in venue.markets
            ]
        symbol = self.site.symbols.get(name.upper())
        if symbol is None:
            return None
        book = venue.books[symbol]
        if channel == "bookticker":
            bid, ask = book.best_bid, book.best_ask
            return {
                "u": book.version,
                "s": symbol_id(symbol),
                "b": fmt(bid.price) if bid else "0.00000000",
                "B": fmt(bid.quantity) if bid else "0.00000000",
                "a": fmt(ask.price) if ask else "0.00000000",
                "A": fmt(ask.quantity) if ask else "0.00000000",
            }
        if channel in ("ticker", "miniticker"):
            return _ticker_event(ticker_24hr(venue, symbol, now), now, mini=channel == "miniticker")
        if channel.startswith("depth"):
            levels = int(channel.removeprefix("depth").split("@")[0] or 20)
            bids, asks = book.depth(levels)
            return {
                "lastUpdateId": self.site.depth_ids[symbol],
                "bids": [[fmt(lv.price), fmt(lv.quantity)] for lv in bids],
                "asks": [[fmt(lv.price), fmt(lv.quantity)] for lv in asks],
            }
        return None

    async def close_all(self) -> int:
        """Close every market websocket with code 1001 ("going away")."""
        sockets = list(self.connections)
        for ws in sockets:
            await ws.close(code=1001, message=b"closed by the simulator")
        return len(sockets)


def _changes(old: dict[Decimal, Decimal], new: dict[Decimal, Decimal]) -> list[list[str]]:
    gone = [[fmt(price), "0.00000000"] for price in old if price not in new]
    changed = [[fmt(p), fmt(q)] for p, q in new.items() if old.get(p) != q]
    return changed + gone


def _ticker_event(t: dict[str, Any], now: int, *, mini: bool) -> dict[str, Any]:
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


async def _send(ws: web.WebSocketResponse, combined: bool, stream: str, payload: Any) -> None:
    if ws.closed:
        return
    body = {"stream": stream, "data": payload} if combined else payload
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_json(body)
