"""Faults injected per endpoint: a status and body, a delay, a dropped connection.

A ``Fault`` matches requests by venue, path prefix and method, and fires ``count`` times. By
default it replaces the reply (the request never reaches the engine; a ``delay_ms`` alone holds
it in the network, and if the client hangs up meanwhile it never arrives). With ``execute`` the
request is carried out first and only the reply is delayed, dropped or replaced: "the exchange
accepted the order, then the connection timed out", the case the daemon must settle by looking
the order up by client id.

With ``late`` the venue has received the whole request but carries it out only ``delay_ms``
later, whether or not the client is still there (``drop`` hangs up on the client at once; else
it waits and times out if the delay is longer than its patience): "the venue executed what the
client judged never received". It is checked when it is carried out, as the venue's matching
engine does, so a request older than its validity window by then is refused (Binance
``recvWindow``, OKX's 30 s timestamp limit) and one within it is executed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from rebalancer.exchange_sim.routing import Handler


@dataclass(slots=True)
class Fault:
    """One injected fault. ``count`` is how many matching requests it still affects."""

    venue: str
    path: str = ""
    method: str | None = None
    status: int | None = None
    body: Any = None
    delay_ms: int = 0
    drop: bool = False
    count: int = 1
    execute: bool = False
    late: bool = False
    fired: int = 0
    carried_out: int = 0  # late requests the venue has carried out (executed or refused)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Fault:
        """Build a fault from control-plane JSON, naming any unknown or mistyped field."""
        allowed = {
            "venue",
            "path",
            "method",
            "status",
            "body",
            "delay_ms",
            "drop",
            "count",
            "execute",
            "late",
        }
        unknown = set(raw) - allowed
        if unknown:
            raise ValueError(f"fault: unknown field(s) {sorted(unknown)}")
        if not isinstance(raw.get("venue"), str):
            raise ValueError("fault.venue: expected a venue name")
        for name in ("status", "delay_ms", "count"):
            value = raw.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"fault.{name}: expected an integer, got {value!r}")
        method = raw.get("method")
        return cls(
            venue=raw["venue"],
            path=str(raw.get("path", "")),
            method=method.upper() if isinstance(method, str) else None,
            status=raw.get("status"),
            body=raw.get("body"),
            delay_ms=raw.get("delay_ms") or 0,
            drop=bool(raw.get("drop", False)),
            count=raw.get("count") or 1,
            execute=bool(raw.get("execute", False)),
            late=bool(raw.get("late", False)),
        )

    def matches(self, request: web.Request) -> bool:
        """True when this fault applies to ``request`` and has firings left."""
        return (
            self.count > 0
            and request.path.startswith(self.path)
            and (self.method is None or self.method == request.method)
        )

    def as_dict(self) -> dict[str, Any]:
        """The fault as control-plane JSON."""
        return {
            "venue": self.venue,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "body": self.body,
            "delay_ms": self.delay_ms,
            "drop": self.drop,
            "count": self.count,
            "execute": self.execute,
            "late": self.late,
            "fired": self.fired,
            "carried_out": self.carried_out,
        }


@dataclass(slots=True)
class FaultBook:
    """The faults armed for every venue; front-ends install ``middleware(venue)``."""

    faults: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        """Arm a fault."""
        self.faults.append(fault)

    def clear(self, venue: str | None = None) -> None:
        """Disarm every fault (of one venue, or all)."""
        self.faults = [f for f in self.faults if venue is not None and f.venue != venue]

    def take(self, venue: str, request: web.Request) -> Fault | None:
        """The first armed fault for this request, with one firing used up."""
        for fault in self.faults:
            if fault.venue == venue and fault.matches(request):
                fault.count -= 1
                fault.fired += 1
                return fault
        return None

    def middleware(self, venue: str) -> Middleware:
        """An aiohttp middleware applying this book's faults to ``venue``'s requests."""

        @web.middleware
        async def apply_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
            fault = self.take(venue, request)
            if fault is None:
                return await handler(request)
            if fault.late:
                return await _late(fault, request, handler)
            response = await handler(request) if fault.execute else None
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault.drop:
                if request.transport is not None:
                    request.transport.close()
                raise web.HTTPServiceUnavailable(text="dropped by fault injection")
            if fault.status is not None:
                return _reply(fault.status, fault.body)
            if response is None:
                response = await handler(request)
            return response

        return apply_faults


async def _late(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Receive the request now, carry it out after the delay whatever the client does."""
    await request.read()  # the venue has it all: the handler reads it from here, not the socket
    if fault.drop and request.transport is not None:
        request.transport.close()

    async def carry_out() -> web.StreamResponse:
        await asyncio.sleep(fault.delay_ms / 1000)
        try:
            return await handler(request)
        finally:
            fault.carried_out += 1

    # shielded: a client hanging up (or aiohttp cancelling its handler) does not stop the venue
    task = asyncio.ensure_future(carry_out())
    task.add_done_callback(_consume)
    response = await asyncio.shield(task)
    if request.transport is None or request.transport.is_closing():
        raise web.HTTPServiceUnavailable(text="carried out after the client had gone")
    return response


def _consume(task: asyncio.Future[web.StreamResponse]) -> None:
    """Retrieve a late request's outcome when nobody waits for it any more."""
    if not task.cancelled():
        task.exception()


def _reply(status: int, body: Any) -> web.Response:
    if body is None:
        return web.Response(status=status)
    if isinstance(body, str):
        return web.Response(status=status, text=body, content_type="text/plain")
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")
