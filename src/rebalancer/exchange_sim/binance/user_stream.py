"""Binance WebSocket API (``/ws-api/v3``) with the user data stream ccxt subscribes to.

``userDataStream.subscribe.signature`` (params ``apiKey``, ``timestamp``, ``recvWindow``,
``signature`` over the key-sorted params) starts a subscription; the account's events then
arrive as ``{"subscriptionId": N, "event": {...}}``: ``executionReport`` for every order
update, ``outboundAccountPosition`` after every balance change and ``balanceUpdate`` for
deposits and withdrawals. ``end_all`` sends ``eventStreamTerminated`` and drops the
subscriptions, as Binance does when it ends a stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from rebalancer.exchange_sim.binance.auth import check_timestamp, ws_signature_ok
from rebalancer.exchange_sim.binance.codes import BinanceError
from rebalancer.exchange_sim.binance.payloads import execution_report, fmt
from rebalancer.exchange_sim.binance.site import BinanceSite
from rebalancer.exchange_sim.engine import (
    BalanceAdjusted,
    BalancesChanged,
    Event,
    OrderUpdated,
    PricesMoved,
)


@dataclass(slots=True)
class Session:
    """One WebSocket-API connection: its outbox and its user-data subscriptions."""

    ws: web.WebSocketResponse
    outbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    subscriptions: dict[int, str] = field(default_factory=dict)  # id -> api key
    next_id: int = 0


class UserStreams:
    """WebSocket-API sessions of one venue; ``on_event`` is the engine listener."""

    def __init__(self, site: BinanceSite) -> None:
        self.site = site
        self.sessions: list[Session] = []

    def on_event(self, event: Event) -> None:
        """Queue the Binance form of an engine event for every subscription of its account."""
        if isinstance(event, PricesMoved) or event.venue != self.site.venue.name:
            return
        if "user" in self.site.context.silent:
            return
        payload = _payload(event)
        if payload is None:
            return
        for session in self.sessions:
            for sub_id, key in session.subscriptions.items():
                if key == event.account:
                    session.outbox.put_nowait({"subscriptionId": sub_id, "event": payload})

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one WebSocket-API connection."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        session = Session(ws)
        self.sessions.append(session)
        writer = asyncio.create_task(self._write(session), name="binance-ws-api-writer")
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    session.outbox.put_nowait(self._answer(session, message.data))
        finally:
            self.sessions.remove(session)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _write(self, session: Session) -> None:
        while True:
            item = await session.outbox.get()
            if session.ws.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.ws.send_json(item)

    def _answer(self, session: Session, text: str) -> dict[str, Any]:
        try:
            request = json.loads(text)
            rid, method = request.get("id"), request.get("method")
            params = request.get("params") or {}
        except (json.JSONDecodeError, AttributeError):
            return _error(None, 400, -1100, "Malformed request.")
        if method == "userDataStream.subscribe.signature":
            return self._subscribe(session, rid, params)
        if method == "userDataStream.unsubscribe":
            sub_id = params.get("subscriptionId")
            if sub_id is None:
                session.subscriptions.clear()
            else:
                session.subscriptions.pop(int(sub_id), None)
            return {"id": rid, "status": 200, "result": {}}
        if method == "ping":
            return {"id": rid, "status": 200, "result": {}}
        if method == "time":
            return {"id": rid, "status": 200, "result": {"serverTime": self.site.now_ms()}}
        return _error(rid, 400, -1100, f"Unknown method '{method}'.")

    def _subscribe(self, session: Session, rid: Any, params: dict[str, Any]) -> dict[str, Any]:
        account = self.site.venue.accounts.get(str(params.get("apiKey", "")))
        if account is None:
            return _error(rid, 401, -2015, "Invalid API-key, IP, or permissions for action.")
        if not ws_signature_ok(account.secret, params):
            return _error(rid, 401, -1022, "Signature for this request is not valid.")
        try:
            check_timestamp(params)
        except BinanceError as refused:
            return _error(rid, 400, refused.error[1], refused.error[2])
        sub_id = session.next_id
        session.next_id += 1
        session.subscriptions[sub_id] = account.api_key
        return {"id": rid, "status": 200, "result": {"subscriptionId": sub_id}}

    async def end_all(self) -> int:
        """Send ``eventStreamTerminated`` on every subscription and drop them all."""
        ended = 0
        for session in self.sessions:
            for sub_id in list(session.subscriptions):
                event = {"e": "eventStreamTerminated", "E": self.site.now_ms()}
                session.outbox.put_nowait({"subscriptionId": sub_id, "event": event})
                ended += 1
            session.subscriptions.clear()
        await asyncio.sleep(0)
        return ended

    async def close_all(self) -> int:
        """Close every WebSocket-API connection with code 1001."""
        sockets = [s.ws for s in self.sessions]
        for ws in sockets:
            await ws.close(code=1001, message=b"closed by the simulator")
        return len(sockets)


def _payload(event: Event) -> dict[str, Any] | None:
    if isinstance(event, OrderUpdated):
        return execution_report(event.order, event.execution, event.trade, event.time_ms)
    if isinstance(event, BalancesChanged):
        return {
            "e": "outboundAccountPosition",
            "E": event.time_ms,
            "u": event.time_ms,
            "B": [
                {"a": asset, "f": fmt(free), "l": fmt(locked)}
                for asset, (free, locked) in sorted(event.balances.items())
            ],
        }
    if isinstance(event, BalanceAdjusted):
        return {
            "e": "balanceUpdate",
            "E": event.time_ms,
            "a": event.asset,
            "d": fmt(event.delta),
            "T": event.time_ms,
        }
    return None


def _error(rid: Any, status: int, code: int, message: str) -> dict[str, Any]:
    return {"id": rid, "status": status, "error": {"code": code, "msg": message}}
