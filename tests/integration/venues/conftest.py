"""A running simulator with a Binance-protocol and an OKX-protocol venue, and our ccxt gateways.

Market rules are Binance's real BTCUSDT/ETHUSDT filters (the recorded 2024-09-08 exchangeInfo).
Each book level holds about 1 BTC (60,000 USDT), three levels deep, so a 5 BTC market order
fills only partly. USDT moves between the venues over TRC20 with a 1 USDT fee.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from rebalancer.exchange_sim.config import SimulatorConfig, parse_config
from rebalancer.exchange_sim.server import SimulatorServer
from rebalancer.venues.ccxt.gateway import CcxtGateway
from rebalancer.venues.ccxt.instance import spec_from_connection

VENUES = ("binance", "okx")
TIMEOUT_MS = 1500


def venue_config(protocol: str, key: str) -> dict[str, Any]:
    return {
        "protocol": protocol,
        "markets": ["BTC/USDT", "ETH/USDT"],
        "book": {"spread_bps": "2", "levels": 3, "level_gap_bps": "5", "level_notional": "60000"},
        "accounts": [
            {
                "api_key": key,
                "secret": f"{key}-secret",
                "passphrase": "pass" if protocol == "okx" else None,
                "balances": {"USDT": "500000", "BTC": "10", "ETH": "50"},
            }
        ],
        "networks": [
            {
                "asset": "USDT",
                "network": "TRC20",
                "fee": "1",
                "min_amount": "10",
                "delay_s": 3600,
                "default": True,
            },
        ],
    }


RAW_CONFIG: dict[str, Any] = {
    "simulator": {"price_interval_ms": 50, "stream_interval_ms": 20},
    "prices": {"source": "static", "start": {"BTC/USDT": "60000", "ETH/USDT": "3000"}},
    "venues": {
        "binance": venue_config("binance", "bin-key"),
        "okx": venue_config("okx", "okx-key"),
    },
}


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return parse_config(RAW_CONFIG)


@pytest.fixture
async def sim(sim_config: SimulatorConfig) -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(sim_config) as server:
        yield server


GatewayFactory = Callable[..., Awaitable[CcxtGateway]]


@pytest.fixture
async def make_gateway(sim: SimulatorServer) -> AsyncIterator[GatewayFactory]:
    """Build loaded gateways to the simulator, as the runtime does; close them all after."""
    opened: list[CcxtGateway] = []

    async def make(
        venue: str, *, read_attempts: int = 1, load: bool = True, **spec_changes: Any
    ) -> CcxtGateway:
        spec = spec_from_connection(venue, sim.connection())
        spec = dataclasses.replace(spec, timeout_ms=TIMEOUT_MS, **spec_changes)
        gateway = CcxtGateway.from_spec(spec, read_attempts=read_attempts, retry_initial_s=0.01)
        gateway.exchange.timeout_on_exit = 0  # plain HTTP on loopback: nothing to drain
        opened.append(gateway)
        if load:
            await gateway.load_markets()
        return gateway

    yield make
    for gateway in opened:
        await gateway.close()


@pytest.fixture(params=VENUES)
async def venue(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def gateway(make_gateway: GatewayFactory, venue: str) -> CcxtGateway:
    return await make_gateway(venue)


async def eventually(check: Callable[[], Awaitable[bool]], what: str, attempts: int = 100) -> None:
    """Poll ``check`` (bounded: ``attempts`` tries, 20 ms apart) until it holds."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")
