"""The Binance spot front-end: one aiohttp app per venue, plus its control hooks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from rebalancer.exchange_sim.binance.codes import (
    ORDER_ERRORS,
    WALLET_ERRORS,
    BinanceError,
    error_response,
)
from rebalancer.exchange_sim.binance.market_streams import MarketStreams
from rebalancer.exchange_sim.binance.rest_history import HistoryRoutes
from rebalancer.exchange_sim.binance.rest_market import MarketRoutes
from rebalancer.exchange_sim.binance.rest_trading import TradingRoutes
from rebalancer.exchange_sim.binance.rest_wallet import WalletRoutes
from rebalancer.exchange_sim.binance.site import BinanceSite
from rebalancer.exchange_sim.binance.user_stream import UserStreams
from rebalancer.exchange_sim.engine import Rejected
from rebalancer.exchange_sim.frontend import VenueContext
from rebalancer.exchange_sim.routing import Handler

log = logging.getLogger(__name__)

# ccxt REST keys the simulator does not serve (futures, options, portfolio margin): point them
# at a closed port so an accidental call fails at once instead of reaching the internet
UNSERVED_REST_KEYS = (
    "dapiPublic",
    "dapiPrivate",
    "dapiPrivateV2",
    "dapiData",
    "eapiPublic",
    "eapiPrivate",
    "fapiPublic",
    "fapiPublicV2",
    "fapiPublicV3",
    "fapiPrivate",
    "fapiPrivateV2",
    "fapiPrivateV3",
    "fapiData",
    "papi",
    "papiV2",
)
UNSERVED_WS_KEYS = ("linear", "inverse", "stock", "option", "optionMarket", "optionPrivate", "papi")
DEAD = "http://127.0.0.1:9"


class BinanceFrontend:
    """Binance spot REST, market streams and the WebSocket API for one venue."""

    exchange_id = "binance"

    def __init__(self, context: VenueContext) -> None:
        self.context = context
        self.site = BinanceSite(context)
        self.market_streams = MarketStreams(self.site)
        self.user_streams = UserStreams(self.site)

    def build_app(self) -> web.Application:
        """The venue's app: fault injection outside, Binance error mapping inside."""
        app = web.Application(
            middlewares=[self.context.faults.middleware(self.context.venue), _binance_errors]
        )
        app.add_routes(MarketRoutes(self.site).routes())
        app.add_routes(HistoryRoutes(self.site).routes())
        app.add_routes(TradingRoutes(self.site).routes())
        app.add_routes(WalletRoutes(self.site).routes())
        app.add_routes(
            [
                web.get("/stream/ws/{index}", self.market_streams.handle),
                web.get("/stream/ws", self.market_streams.handle),
                web.get("/ws", self.market_streams.handle),
                web.get("/stream", self.market_streams.handle),
                web.get("/ws-api/v3", self.user_streams.handle),
            ]
        )
        app.cleanup_ctx.append(self._background)
        return app

    async def _background(self, app: web.Application) -> AsyncIterator[None]:
        unsubscribe_user = self.context.engine.subscribe(self.user_streams.on_event)
        unsubscribe_market = self.context.engine.subscribe(self.market_streams.on_event)
        pump = asyncio.create_task(self.market_streams.pump(), name=f"{self.context.venue}-pump")
        yield
        unsubscribe_user()
        unsubscribe_market()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
        await self.close_websockets()

    def connection(self, http_base: str, ws_base: str) -> dict[str, Any]:
        """ccxt ``urls`` and ``options`` overrides that point ``ccxt.binance`` here."""
        api: dict[str, Any] = {
            "public": f"{http_base}/api/v3",
            "private": f"{http_base}/api/v3",
            "v1": f"{http_base}/api/v1",
            "sapi": f"{http_base}/sapi/v1",
            "sapiV2": f"{http_base}/sapi/v2",
            "sapiV3": f"{http_base}/sapi/v3",
            "sapiV4": f"{http_base}/sapi/v4",
            **{key: f"{DEAD}/{key}" for key in UNSERVED_REST_KEYS},
            "ws": {
                "spot": f"{ws_base}/stream/ws",
                "margin": f"{ws_base}/stream/ws",
                **{key: f"ws://127.0.0.1:9/{key}" for key in UNSERVED_WS_KEYS},
                "ws-api": {"spot": f"{ws_base}/ws-api/v3"},
            },
        }
        options = {
            "fetchMarkets": {"types": ["spot"]},
            "fetchMargins": False,
            "fetchCurrencies": True,
            "adjustForTimeDifference": False,
            "fetchOpenOrders": {"warnWithoutSymbol": False},
            "defaultType": "spot",
        }
        return {"urls": {"api": api}, "options": options}

    async def close_websockets(self) -> int:
        """Close every market and WebSocket-API connection."""
        return await self.market_streams.close_all() + await self.user_streams.close_all()

    async def end_user_streams(self) -> int:
        """End every user data subscription with ``eventStreamTerminated``."""
        return await self.user_streams.end_all()


@web.middleware
async def _binance_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn refusals into Binance error replies (wallet endpoints use their own codes)."""
    try:
        return await handler(request)
    except BinanceError as refused:
        return error_response(refused.error)
    except Rejected as refused:
        table = WALLET_ERRORS if request.path.startswith("/sapi/") else ORDER_ERRORS
        return error_response(table[refused.reason])
