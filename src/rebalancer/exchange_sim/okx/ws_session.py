"""One websocket connection's state: its subscriptions, its login and its outbound queue.

Engine events arrive synchronously from inside engine calls; they are queued here and turned
into OKX pushes by the connection's writer task, after the request that caused them has
finished, so an order push already knows the order's OKX request details.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from rebalancer.exchange_sim.engine.events import Event
from rebalancer.exchange_sim.okx.payloads import Json
from rebalancer.exchange_sim.okx.ws_books import BookFeed

MAX_QUEUED = 10_000


@dataclass(frozen=True, slots=True)
class Subscription:
    """One subscribed channel: ``inst_id`` for market channels, ``ccy``/``inst_type`` filters."""

    channel: str
    inst_id: str = ""
    inst_type: str = ""
    ccy: str = ""

    @classmethod
    def from_arg(cls, arg: dict[str, object]) -> Subscription:
        """Read a subscription from a ``subscribe`` argument (unknown fields ignored)."""

        def text(name: str) -> str:
            value = arg.get(name, "")
            return value if isinstance(value, str) else ""

        return cls(text("channel"), text("instId"), text("instType"), text("ccy"))

    def as_arg(self) -> Json:
        """The argument as OKX echoes it in acknowledgements and pushes."""
        arg: Json = {"channel": self.channel}
        for key, value in (
            ("instType", self.inst_type),
            ("instId", self.inst_id),
            ("ccy", self.ccy),
        ):
            if value:
                arg[key] = value
        return arg


@dataclass(frozen=True, slots=True)
class InitialPush:
    """Send a subscription's current state right after acknowledging it."""

    subscription: Subscription


Outbound = Json | str | Event | InitialPush


@dataclass(slots=True, eq=False)
class Session:
    """A connected websocket client (public, business or private endpoint)."""

    ws: web.WebSocketResponse
    private: bool
    conn_id: str
    business: bool = False
    account: str | None = None
    subscriptions: set[Subscription] = field(default_factory=set)
    books: dict[str, BookFeed] = field(default_factory=dict)
    queue: asyncio.Queue[Outbound] = field(default_factory=lambda: asyncio.Queue(MAX_QUEUED))
    overflowed: bool = False

    def send(self, item: Outbound) -> None:
        """Queue an item for the writer; a client too slow to keep up gets disconnected."""
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True

    def subscribed(self, channel: str) -> list[Subscription]:
        """This session's subscriptions to ``channel``."""
        return [s for s in self.subscriptions if s.channel == channel]
