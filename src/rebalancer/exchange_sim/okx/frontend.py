"""The OKX front-end the simulator server hosts: routes, middlewares, streams and hooks.

``create_frontend(context)`` is the protocol's factory (see ``exchange_sim.frontend``). The app
checks injected faults first, then answers OKX errors in OKX's envelope. Market-data channels
are pushed whenever the engine moves prices, and re-sent at least once a second
(``max(stream_interval_ms, 1 s)``) so a quiet market still looks alive, as OKX's periodic
pushes do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from rebalancer.exchange_sim.frontend import VenueContext
from rebalancer.exchange_sim.okx.context import OkxContext
from rebalancer.exchange_sim.okx.http import not_found, okx_errors
from rebalancer.exchange_sim.okx.rest_account import AccountRoutes
from rebalancer.exchange_sim.okx.rest_funding import FundingRoutes
from rebalancer.exchange_sim.okx.rest_history import HistoryRoutes
from rebalancer.exchange_sim.okx.rest_market import MarketRoutes
from rebalancer.exchange_sim.okx.rest_trade import TradeRoutes
from rebalancer.exchange_sim.okx.rest_wallet import WalletRoutes
from rebalancer.exchange_sim.okx.ws_server import OkxStreams

QUIET_REPEAT_S = 1.0


class OkxFrontend:
    """One venue spoken in OKX v5 (ccxt id ``okx``)."""

    exchange_id = "okx"

    def __init__(self, context: VenueContext) -> None:
        self.context = context
        self.ctx = OkxContext(context.engine, context.venue)
        self.streams = OkxStreams(self.ctx, silent=context.silent)

    def build_app(self) -> web.Application:
        """The aiohttp app serving OKX REST and websockets for the venue."""
        faults = self.context.faults.middleware(self.context.venue)
        app = web.Application(middlewares=[faults, okx_errors])
        groups = (
            MarketRoutes,
            HistoryRoutes,
            TradeRoutes,
            FundingRoutes,
            WalletRoutes,
            AccountRoutes,
        )
        for group in groups:
            app.add_routes(group(self.ctx).routes())
        app.add_routes(self.streams.routes())
        app.router.add_route("*", "/{tail:.*}", not_found)
        app.cleanup_ctx.append(self._lifetime)
        return app

    def connection(self, http_base: str, ws_base: str) -> dict[str, Any]:
        """The ccxt ``urls``/``options`` overrides pointing ``ccxt.okx`` at this venue."""
        return {
            "urls": {"api": {"rest": http_base.rstrip("/"), "ws": ws_base.rstrip("/") + "/ws/v5"}},
            "options": {"fetchMarkets": {"types": ["spot"]}},
        }

    async def close_websockets(self) -> int:
        """Close every websocket of this venue (code 1001)."""
        return await self.streams.kick()

    async def end_user_streams(self) -> int:
        """Warn private subscribers the service is going away, then close their sockets."""
        return await self.streams.end_private()

    async def _lifetime(self, app: web.Application) -> AsyncIterator[None]:
        del app
        unsubscribe: Callable[[], None] = self.context.engine.subscribe(self.streams.on_event)
        pump = asyncio.create_task(self._pump(), name=f"okx-pump-{self.context.venue}")
        try:
            yield
        finally:
            unsubscribe()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
            await self.streams.close()

    async def _pump(self) -> None:
        interval_s = max(self.context.stream_interval_ms / 1000, QUIET_REPEAT_S)
        while True:
            await asyncio.sleep(interval_s)
            self.streams.repeat_market()


def create_frontend(context: VenueContext) -> OkxFrontend:
    """The OKX protocol's front-end factory."""
    return OkxFrontend(context)
