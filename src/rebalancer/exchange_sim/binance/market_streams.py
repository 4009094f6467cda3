"""Binance market-data websockets: ``/stream/ws/<n>`` (raw events, as ccxt connects) and
``/stream?streams=a/b`` (combined: each event wrapped as ``{"stream", "data"}``).

Clients send ``{"method": "SUBSCRIBE", "params": [...], "id": N}`` and get
``{"result": null, "id": N}``. Streams: ``<s>@bookTicker``, ``<s>@ticker``, ``<s>@miniTicker``,
``!ticker@arr``, ``!miniTicker@arr``, ``<s>@trade``, ``<s>@aggTrade``, ``<s>@kline_<i>[@+08:00]``,
``<s>@depth[@100ms]`` (diffs whose ``U``/``u`` continue the REST snapshot's ``lastUpdateId``)
and ``<s>@depth<N>[@100ms]`` (partial books).

A background pump pushes book streams and the trades since the last beat every interval,
tickers every 10th interval and klines every 20th (Binance: every 2 s). A new ticker or
book-ticker subscription gets one event at once so a watch resolves without waiting; a new
diff subscription makes the market publish a diff at once (see ``binance.depth``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType, web

from rebalancer.exchange_sim.binance.payloads import fmt, symbol_id, ticker_24hr
from rebalancer.exchange_sim.binance.site import BinanceSite
from rebalancer.exchange_sim.binance.stream_events import (
    depth_event,
    kline_event,
    kline_stream,
    ticker_event,
    trade_event,
)
from rebalancer.exchange_sim.engine import Event, OrderUpdated, Trade

TICKER_EVERY = 10
KLINE_EVERY = 20


def _is_diff(stream: str) -> bool:
    name = stream.lower()
    return name.endswith("@depth") or "@depth@" in name


def _is_partial_book(stream: str) -> bool:
    name = stream.lower()
    return "@depth" in name and not _is_diff(stream)


class MarketStreams:
    """Market-data websocket connections of one venue and the pump that feeds them."""

    def __init__(self, site: BinanceSite) -> None:
        self.site = site
        self.connections: dict[web.WebSocketResponse, tuple[set[str], bool]] = {}
        self._trades: list[Trade] = []
        site.depth.streamed = self._streams_diffs

    def on_event(self, event: Event) -> None:
        """Engine listener: keep this venue's fills for the next push of the trade streams."""
        if (
            isinstance(event, OrderUpdated)
            and event.trade is not None
            and event.venue == self.site.venue.name
        ):
            self._trades.append(event.trade)

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
            diffs = {self._symbol_of(s) for s in new if _is_diff(s)}
            await self._publish_depth({s for s in diffs if s is not None})
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
            trades, self._trades = self._trades, []
            if "market" in self.site.context.silent:
                continue
            await self._publish_depth(self._watched_diffs())
            for ws, (streams, combined) in list(self.connections.items()):
                for stream in sorted(streams):
                    await self._beat(ws, combined, stream, beat, trades)

    async def _beat(
        self, ws: web.WebSocketResponse, combined: bool, stream: str, beat: int, trades: list[Trade]
    ) -> None:
        name, _, channel = stream.partition("@")
        channel = channel.lower()
        if _is_diff(stream):
            return  # published to every subscriber by _publish_depth
        if channel in ("trade", "aggtrade"):
            symbol = self.site.symbols.get(name.upper())
            now = self.site.now_ms()
            for trade in (t for t in trades if t.symbol == symbol):
                event = trade_event(trade, now, aggregate=channel == "aggtrade")
                await _send(ws, combined, stream, event)
        elif channel.startswith("kline_"):
            if beat % KLINE_EVERY == 0:
                await self._push(ws, combined, stream)
        elif _is_partial_book(stream) or "bookticker" in channel or beat % TICKER_EVERY == 0:
            await self._push(ws, combined, stream)

    def _symbol_of(self, stream: str) -> str | None:
        return self.site.symbols.get(stream.split("@", maxsplit=1)[0].upper())

    def _watched_diffs(self) -> set[str]:
        return {
            symbol
            for streams, _ in self.connections.values()
            for stream in streams
            if _is_diff(stream) and (symbol := self._symbol_of(stream)) is not None
        }

    def _streams_diffs(self, symbol: str) -> bool:
        return symbol in self._watched_diffs()

    async def _publish_depth(self, symbols: set[str]) -> None:
        """Publish one diff per market and send it to every connection streaming its diffs."""
        if not symbols:
            return
        now = self.site.now_ms()
        events = {s: depth_event(s, self.site.depth.publish(s), now) for s in sorted(symbols)}
        for ws, (streams, combined) in list(self.connections.items()):
            for stream in sorted(streams):
                symbol = self._symbol_of(stream)
                if _is_diff(stream) and symbol in events:
                    await _send(ws, combined, stream, events[symbol])

    async def _push(self, ws: web.WebSocketResponse, combined: bool, stream: str) -> None:
        payload = self._payload(stream)
        if payload is not None:
            await _send(ws, combined, stream, payload)

    def _payload(self, stream: str) -> Any:
        name, _, channel = stream.partition("@")
        venue = self.site.venue
        now = self.site.now_ms()
        if name.startswith("!"):
            mini = name.lower() == "!miniticker"
            return [ticker_event(ticker_24hr(venue, s, now), now, mini=mini) for s in venue.markets]
        symbol = self.site.symbols.get(name.upper())
        if symbol is None:
            return None
        lowered = channel.lower()
        if lowered in ("ticker", "miniticker"):
            return ticker_event(ticker_24hr(venue, symbol, now), now, mini=lowered == "miniticker")
        kline = kline_stream(channel)
        if kline is not None:
            interval, timeframe = kline
            bars = venue.candles[symbol].bars(timeframe, now_ms=now, limit=1)
            return kline_event(symbol, interval, timeframe, bars[0], now) if bars else None
        return self._book_payload(symbol, lowered)

    def _book_payload(self, symbol: str, channel: str) -> Any:
        """A ``bookTicker`` or partial-book (``depth<N>``) event, or None for other streams."""
        book = self.site.venue.books[symbol]
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
        if channel.startswith("depth"):
            levels = int(channel.removeprefix("depth").split("@")[0] or 20)
            bids, asks = book.depth(levels)
            return {
                "lastUpdateId": self.site.depth.latest_id(symbol),
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


async def _send(ws: web.WebSocketResponse, combined: bool, stream: str, payload: Any) -> None:
    if ws.closed:
        return
    body = {"stream": stream, "data": payload} if combined else payload
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_json(body)
