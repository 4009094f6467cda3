"""An OKX-protocol simulator on 127.0.0.1 and real ccxt clients pointed at it.

Two venues speak OKX: ``okx`` (the one under test) and ``okx2`` (the other side of transfers).
Market rules are OKX's own BTC-USDT / ETH-USDT instruments (``tickSz``, ``lotSz``, ``minSz``;
OKX has no minimum notional), as the simulator has them built in.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ccxt.pro
import pytest
from aiohttp import web

from rebalancer.exchange_sim.default_rules import OKX_BUILT_IN_INSTRUMENTS
from rebalancer.exchange_sim.engine import Account, BookShape, Engine, ManualClock, Network
from rebalancer.exchange_sim.engine.rules import markets_from_okx_instruments
from rebalancer.exchange_sim.faults import FaultBook
from rebalancer.exchange_sim.frontend import VenueContext
from rebalancer.exchange_sim.okx import OkxFrontend, create_frontend

KEY, SECRET, PASSPHRASE = "okx-key", "okx-secret", "okx-pass"
MARKETS = markets_from_okx_instruments(
    OKX_BUILT_IN_INSTRUMENTS,
    ["BTC/USDT", "ETH/USDT"],
    maker_fee=Decimal("0.001"),
    taker_fee=Decimal("0.001"),
)
# Five levels of 60,000 USDT each, 1 bp apart, 2 bp spread: one BTC level holds 1 BTC at 60,000.
SHAPE = BookShape(
    spread_bps=Decimal("2"), levels=5, level_gap_bps=Decimal("1"), level_notional=Decimal("60000")
)
USDT_TRC20 = Network(
    "USDT", "TRC20", fee=Decimal("1"), min_amount=Decimal("10"), delay_s=30, is_default=True
)


@dataclass
class Sim:
    """The running simulator: engine, clock, faults, front-ends and their base URLs."""

    engine: Engine
    clock: ManualClock
    faults: FaultBook
    frontends: dict[str, OkxFrontend]
    urls: dict[str, tuple[str, str]]
    clients: list[Any] = field(default_factory=list)

    def exchange(self, venue: str = "okx", **config: Any) -> Any:
        """A ``ccxt.pro.okx`` pointed at ``venue`` (closed by the fixture)."""
        http, ws = self.urls[venue]
        overrides = self.frontends[venue].connection(http, ws)
        client = ccxt.pro.okx(
            {
                "apiKey": KEY,
                "secret": SECRET,
                "password": PASSPHRASE,
                "enableRateLimit": False,
                "timeout_on_exit": 0,  # plain HTTP on loopback: no TLS shutdown to wait for
                "timeout": 5000,
                "options": overrides["options"],
                **config,
            }
        )
        client.urls["api"]["rest"] = overrides["urls"]["api"]["rest"]
        client.urls["api"]["ws"] = overrides["urls"]["api"]["ws"]
        self.clients.append(client)
        return client

    def price(self, symbol: str, mid: str, venue: str = "okx") -> None:
        """Pin a market's mid price."""
        self.engine.set_price(venue, symbol, Decimal(mid))


def build_engine(clock: ManualClock) -> Engine:
    engine = Engine(clock)
    for name in ("okx", "okx2"):
        engine.add_venue(name, MARKETS, SHAPE)
        engine.add_network(name, USDT_TRC20)
        account = Account(KEY, SECRET, passphrase=PASSPHRASE)
        account.credit("USDT", Decimal("100000"))
        account.credit("BTC", Decimal("2"))
        engine.add_account(name, account)
        engine.set_price(name, "BTC/USDT", Decimal("60000"))
        engine.set_price(name, "ETH/USDT", Decimal("3000"))
    return engine


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    clock = ManualClock(now=time.time())
    engine = build_engine(clock)
    faults = FaultBook()
    frontends: dict[str, OkxFrontend] = {}
    urls: dict[str, tuple[str, str]] = {}
    runners: list[web.AppRunner] = []
    for name in ("okx", "okx2"):
        frontend = create_frontend(VenueContext(engine, name, faults, stream_interval_ms=50))
        runner = web.AppRunner(frontend.build_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        frontends[name] = frontend
        urls[name] = (f"http://{host}:{port}", f"ws://{host}:{port}")
        runners.append(runner)
    state = Sim(engine, clock, faults, frontends, urls)
    try:
        yield state
    finally:
        for client in state.clients:
            await client.close()
        for runner in runners:
            await runner.cleanup()
