"""How protocol front-ends plug into the simulator server.

A protocol (``binance``, ``okx``) is a module ``rebalancer.exchange_sim.<protocol>`` exposing

    def create_frontend(context: VenueContext) -> Frontend

The server builds one ``VenueContext`` per configured venue (the shared engine, the venue's
name, the fault book, the stream switches), calls the factory, serves ``frontend.build_app()``
on the venue's own 127.0.0.1 port, and asks ``frontend.connection(...)`` for the ccxt URL and
option overrides it prints with ``--print-connection``. The control plane calls
``close_websockets`` and ``end_user_streams``; front-ends read ``context.silent`` before every
push ("market" silences market-data streams, "user" silences private streams).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from rebalancer.exchange_sim.engine import Engine
from rebalancer.exchange_sim.faults import FaultBook

PROTOCOLS: dict[str, str] = {
    "binance": "rebalancer.exchange_sim.binance",
    "okx": "rebalancer.exchange_sim.okx",
}


@dataclass(slots=True)
class VenueContext:
    """What a front-end needs to serve one venue."""

    engine: Engine
    venue: str
    faults: FaultBook
    stream_interval_ms: int = 100
    silent: set[str] = field(default_factory=set)


class Frontend(Protocol):
    """One venue's wire protocol: an aiohttp app plus the hooks the control plane uses."""

    exchange_id: str
    """The ccxt exchange id that speaks this protocol ("binance", "okx")."""

    def build_app(self) -> web.Application:
        """The app serving REST and websockets for the venue (faults middleware installed)."""
        ...

    def connection(self, http_base: str, ws_base: str) -> dict[str, Any]:
        """``{"urls": {...}, "options": {...}}`` to deep-merge into a ccxt instance."""
        ...

    async def close_websockets(self) -> int:
        """Close every websocket of this venue (code 1001); return how many were closed."""
        ...

    async def end_user_streams(self) -> int:
        """Tell every private-stream subscriber its stream ended; return how many."""
        ...


FrontendFactory = Callable[[VenueContext], Frontend]


def frontend_factory(protocol: str) -> FrontendFactory:
    """The ``create_frontend`` of a protocol, or ``ValueError`` naming the known ones."""
    module_name = PROTOCOLS.get(protocol)
    if module_name is None:
        raise ValueError(f"protocol {protocol!r}: expected one of {sorted(PROTOCOLS)}")
    module = importlib.import_module(module_name)
    factory: FrontendFactory = module.create_frontend
    return factory
