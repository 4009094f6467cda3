"""One process hosting several simulated venues, each on its own 127.0.0.1 port.

    async with SimulatorServer(config) as sim:
        info = sim.connection()            # what --print-connection prints
        sim.control.set_price("BTC/USDT", Decimal("61000"))

Each venue's front-end comes from the protocol registry (``exchange_sim.frontend``); the
control plane listens on its own port; a background task moves prices along the configured
path and completes withdrawals that are due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from rebalancer.exchange_sim.build import build_engine
from rebalancer.exchange_sim.config import SimulatorConfig
from rebalancer.exchange_sim.control import SimulatorControl
from rebalancer.exchange_sim.control_http import build_control_app
from rebalancer.exchange_sim.engine import Clock, Engine
from rebalancer.exchange_sim.faults import FaultBook
from rebalancer.exchange_sim.frontend import Frontend, VenueContext, frontend_factory

log = logging.getLogger(__name__)


class SimulatorServer:
    """Start with ``async with`` (or ``start``/``stop``); ``connection()`` says where it is."""

    def __init__(self, config: SimulatorConfig, *, clock: Clock = time.time) -> None:
        self.config = config
        self.engine: Engine = build_engine(config, clock)
        self.faults = FaultBook()
        self.contexts: dict[str, VenueContext] = {}
        self.frontends: dict[str, Frontend] = {}
        for name, venue in config.venues.items():
            context = VenueContext(
                self.engine, name, self.faults, config.simulator.stream_interval_ms
            )
            self.contexts[name] = context
            self.frontends[name] = frontend_factory(venue.protocol)(context)
        self.control = SimulatorControl(
            self.engine, config, self.contexts, self.frontends, self.faults
        )
        self.ports: dict[str, int] = {}
        self.control_port = 0
        self._runners: list[web.AppRunner] = []
        self._ticker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bind every venue and the control plane, and start moving prices."""
        host = self.config.simulator.host
        try:
            for name, frontend in self.frontends.items():
                port = self.config.venues[name].port
                self.ports[name] = await self._serve(frontend.build_app(), host, port)
            control_app = build_control_app(self.control)
            self.control_port = await self._serve(
                control_app, host, self.config.simulator.control_port
            )
        except BaseException:
            await self.stop()
            raise
        self._ticker = asyncio.create_task(self._move_prices(), name="exchange-sim-prices")

    async def _serve(self, app: web.Application, host: str, port: int) -> int:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.25)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[-1]
        return int(bound[1])

    async def _move_prices(self) -> None:
        interval = self.config.simulator.price_interval_ms / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                self.engine.advance()
            except Exception:
                log.exception("exchange simulator: advancing prices failed")

    async def stop(self) -> None:
        """Stop moving prices and close every port (websockets get code 1001)."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        for frontend in self.frontends.values():
            await frontend.close_websockets()
        runners, self._runners = self._runners, []
        for runner in reversed(runners):
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def urls(self, venue: str) -> tuple[str, str]:
        """The HTTP and websocket base URLs of a venue."""
        host = self.config.simulator.host
        shown = f"[{host}]" if ":" in host else host
        port = self.ports[venue]
        return f"http://{shown}:{port}", f"ws://{shown}:{port}"

    @property
    def control_url(self) -> str:
        """The control plane's base URL."""
        host = self.config.simulator.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.control_port}"

    def connection(self) -> dict[str, Any]:
        """Everything a ccxt program needs: per venue the ccxt id, URL and option overrides
        and the first account's credentials; plus the control URL."""
        venues = {}
        for name, frontend in self.frontends.items():
            http_base, ws_base = self.urls(name)
            overrides = frontend.connection(http_base, ws_base)
            account = self.config.venues[name].accounts[0]
            venues[name] = {
                "exchange": frontend.exchange_id,
                "urls": overrides.get("urls", {}),
                "options": overrides.get("options", {}),
                "apiKey": account.api_key,
                "secret": account.secret,
                "password": account.passphrase,
            }
        return {"venues": venues, "control_url": self.control_url}
