"""OKX websocket endpoints ``/ws/v5/public``, ``/ws/v5/private`` and ``/ws/v5/business``.

Protocol as ccxt.pro speaks it: text ``"ping"`` is answered ``"pong"``; requests are JSON
``{"op": "login" | "subscribe" | "unsubscribe", "args": [...]}``; every subscription is
acknowledged with ``{"event": "subscribe", "arg": ...}`` and followed by the channel's current
state; private channels need a successful ``login`` first (60011 otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Mapping

from aiohttp import WSCloseCode, WSMsgType, web

from rebalancer.exchange_sim.engine.events import Event
from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.auth import verify_ws_login
from rebalancer.exchange_sim.okx.context import OkxContext
from rebalancer.exchange_sim.okx.errors import OkxCode, OkxRejection
from rebalancer.exchange_sim.okx.payloads import Json
from rebalancer.exchange_sim.okx.wire import symbol_of
from rebalancer.exchange_sim.okx.ws_render import (
    PRIVATE_CHANNELS,
    PUBLIC_CHANNELS,
    is_candle,
    render,
    repeats,
)
from rebalancer.exchange_sim.okx.ws_session import InitialPush, Session, Subscription

HEARTBEAT_S = 30.0
log = logging.getLogger(__name__)


class OkxStreams:
    """Every websocket session of one OKX venue, fed by the engine's events."""

    def __init__(self, ctx: OkxContext, *, silent: set[str] | None = None) -> None:
        self.ctx = ctx
        self.silent = silent if silent is not None else set()
        self.sessions: set[Session] = set()
        self._ids = itertools.count(1)
        self._writers: dict[Session, asyncio.Task[None]] = {}

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of the three websocket endpoints."""
        return [
            web.get("/ws/v5/public", self.public),
            web.get("/ws/v5/private", self.private),
            web.get("/ws/v5/business", self.business),
        ]

    def on_event(self, event: Event) -> None:
        """Engine listener: queue this venue's events for every session (rendered later)."""
        if event.venue != self.ctx.venue_name:
            return
        for session in list(self.sessions):
            session.send(event)

    async def kick(self, code: int = WSCloseCode.GOING_AWAY) -> int:
        """Close every websocket (clients see the connection drop); return how many closed."""
        sessions = list(self.sessions)
        for session in sessions:
            await session.ws.close(code=code, message=b"kicked by the simulator")
        return len(sessions)

    async def end_private(self) -> int:
        """Send logged-in private sessions OKX's service notice, then close them."""
        ended = [s for s in self.sessions if s.private and s.account is not None]
        for session in ended:
            notice = {
                "event": "notice",
                "code": "64008",
                "connId": session.conn_id,
                "msg": "The connection will soon be closed for a service upgrade.",
            }
            with contextlib.suppress(ConnectionResetError):
                await session.ws.send_str(json.dumps(notice))
            await session.ws.close(code=WSCloseCode.GOING_AWAY, message=b"service upgrade")
        return len(ended)

    def repeat_market(self) -> None:
        """Queue a fresh push of every subscription OKX re-sends periodically (a heartbeat)."""
        for session in list(self.sessions):
            for sub in list(session.subscriptions):
                if repeats(sub.channel):
                    session.send(InitialPush(sub))

    async def close(self) -> None:
        """Close every session and stop its writer (server shutdown)."""
        await self.kick(WSCloseCode.GOING_AWAY)
        for task in list(self._writers.values()):
            task.cancel()
        await asyncio.gather(*self._writers.values(), return_exceptions=True)

    async def public(self, request: web.Request) -> web.WebSocketResponse:
        """``/ws/v5/public``: market data channels."""
        return await self._serve(request, private=False)

    async def private(self, request: web.Request) -> web.WebSocketResponse:
        """``/ws/v5/private``: account and order channels after login."""
        return await self._serve(request, private=True)

    async def business(self, request: web.Request) -> web.WebSocketResponse:
        """``/ws/v5/business``: candle channels."""
        return await self._serve(request, private=False, business=True)

    async def _serve(
        self, request: web.Request, *, private: bool, business: bool = False
    ) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
        await ws.prepare(request)
        session = Session(ws, private, conn_id=f"sim{next(self._ids)}", business=business)
        self.sessions.add(session)
        writer = asyncio.create_task(self._write(session), name=f"okx-ws-writer-{session.conn_id}")
        self._writers[session] = writer
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                self._receive(session, message.data)
        finally:
            self.sessions.discard(session)
            self._writers.pop(session, None)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _write(self, session: Session) -> None:
        while not session.ws.closed:
            item = await session.queue.get()
            if session.overflowed:
                await session.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow")
                return
            if self._silenced(session, item):
                continue  # before rendering, so a books feed resumes from what was sent
            try:
                frames = render(self.ctx, session, item)
            except OkxRejection as rejection:
                frames = [_error(rejection.error, rejection.msg, session)]
            except Exception:
                log.exception("okx simulator: cannot render %r for %s", item, session.conn_id)
                continue
            for frame in frames:
                text = frame if isinstance(frame, str) else json.dumps(frame)
                try:
                    await session.ws.send_str(text)
                except ConnectionResetError:
                    return

    def _silenced(self, session: Session, item: object) -> bool:
        """True when the control plane silenced this kind of stream (acks still go out)."""
        if isinstance(item, (dict, str)):
            return False
        return ("user" if session.private else "market") in self.silent

    def _receive(self, session: Session, text: str) -> None:
        if text == "ping":
            session.send("pong")
            return
        try:
            request = json.loads(text)
        except json.JSONDecodeError:
            session.send(_error(errors.WS_ILLEGAL_REQUEST, f"Illegal request: {text}", session))
            return
        op = request.get("op") if isinstance(request, Mapping) else None
        args = request.get("args") if isinstance(request, Mapping) else None
        if op not in ("login", "subscribe", "unsubscribe") or not isinstance(args, list):
            session.send(_error(errors.WS_ILLEGAL_REQUEST, f"Illegal request: {text}", session))
            return
        if op == "login":
            self._login(session, args)
        else:
            for arg in args:
                self._subscription(session, op, arg)

    def _login(self, session: Session, args: list[object]) -> None:
        arg = args[0] if args and isinstance(args[0], Mapping) else {}
        try:
            credentials = verify_ws_login(arg, self.ctx.lookup, self.ctx.clock())
        except OkxRejection as rejection:
            session.send(_error(rejection.error, rejection.msg, session))
            return
        session.account = credentials.account
        session.send({"event": "login", "code": "0", "msg": "", "connId": session.conn_id})

    def _subscription(self, session: Session, op: str, arg: object) -> None:
        if not isinstance(arg, Mapping):
            session.send(_error(errors.WS_ILLEGAL_REQUEST, "Illegal request: args", session))
            return
        sub = Subscription.from_arg(dict(arg))
        if op == "unsubscribe":
            session.subscriptions.discard(sub)
            session.books.pop(sub.inst_id, None)
            session.send({"event": "unsubscribe", "arg": sub.as_arg(), "connId": session.conn_id})
            return
        problem = self._check(session, sub)
        if problem is not None:
            session.send(problem)
            return
        session.subscriptions.add(sub)
        if sub.channel == "books":
            session.books.pop(sub.inst_id, None)  # a new subscription starts with a snapshot
        session.send({"event": "subscribe", "arg": sub.as_arg(), "connId": session.conn_id})
        session.send(InitialPush(sub))

    def _check(self, session: Session, sub: Subscription) -> Json | None:
        if session.private:
            served = sub.channel in PRIVATE_CHANNELS
        elif session.business:
            served = is_candle(sub.channel)
        else:
            served = sub.channel in PUBLIC_CHANNELS
        if not served:
            msg = f"Wrong URL or channel:{sub.channel},instId:{sub.inst_id} doesn't exist."
            return _error(errors.WS_CHANNEL_UNKNOWN, msg, session)
        if session.private and session.account is None:
            return _error(errors.WS_NOT_LOGGED_IN, errors.WS_NOT_LOGGED_IN.msg, session)
        if not session.private:
            try:
                known = symbol_of(sub.inst_id) in self.ctx.venue.markets
            except OkxRejection:
                known = False
            if not known:
                msg = f"Wrong URL or channel:{sub.channel},instId:{sub.inst_id} doesn't exist."
                return _error(errors.WS_CHANNEL_UNKNOWN, msg, session)
        return None


def _error(error: OkxCode, msg: str, session: Session) -> Json:
    return {"event": "error", "code": error.code, "msg": msg, "connId": session.conn_id}
