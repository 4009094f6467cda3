"""A running simulator (two Binance-protocol venues) and real ccxt clients pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from rebalancer.exchange_sim.binance import BinanceFrontend
from rebalancer.exchange_sim.config import SimulatorConfig, parse_config
from rebalancer.exchange_sim.server import SimulatorServer

RAW_CONFIG: dict[str, Any] = {
    "simulator": {"price_interval_ms": 50, "stream_interval_ms": 20},
    "prices": {"source": "static", "start": {"BTC/USDT": "60000", "ETH/USDT": "3000"}},
    "venues": {
        "binance": {
            "protocol": "binance",
            "markets": ["BTC/USDT", "ETH/USDT"],
            "book": {
                "spread_bps": "1",
                "levels": 3,
                "level_gap_bps": "10",
                "level_notional": "60000",
            },
            "accounts": [
                {
                    "api_key": "key-a",
                    "secret": "secret-a",
                    "balances": {"USDT": "100000", "BTC": "2", "ETH": "100"},
                },
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
                {"asset": "USDT", "network": "ERC20", "fee": "5", "min_amount": "20"},
            ],
        },
        "other": {
            "protocol": "binance",
            "markets": ["BTC/USDT"],
            "accounts": [{"api_key": "key-b", "secret": "secret-b", "balances": {"USDT": "50"}}],
            "networks": [{"asset": "USDT", "network": "TRC20", "fee": "1", "min_amount": "10"}],
        },
    },
}


def deep_merge(target: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Merge ``overrides`` into ``target`` recursively (how users apply the connection info)."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return parse_config(RAW_CONFIG)


@pytest.fixture
async def sim(sim_config: SimulatorConfig) -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(sim_config) as server:
        yield server


ExchangeFactory = Callable[..., Awaitable[Any]]


@pytest.fixture
async def make_exchange(sim: SimulatorServer) -> AsyncIterator[ExchangeFactory]:
    """Build ccxt.pro.binance clients for a venue, exactly as a user would; close them all."""
    opened: list[Any] = []

    async def make(venue: str = "binance", *, secret: str | None = None, load: bool = True) -> Any:
        info = sim.connection()["venues"][venue]
        exchange = ccxtpro.binance(
            {
                "apiKey": info["apiKey"],
                "secret": secret or info["secret"],
                "timeout": 3000,
                "enableRateLimit": False,  # loopback: no need to pace requests
            }
        )
        deep_merge(exchange.urls, info["urls"])
        deep_merge(exchange.options, info["options"])
        opened.append(exchange)
        if load:
            await exchange.load_markets()
        return exchange

    yield make
    for exchange in opened:
        await exchange.close()


@pytest.fixture
async def exchange(make_exchange: ExchangeFactory) -> Any:
    return await make_exchange()


D = Decimal


async def user_subscriptions(sim: SimulatorServer, venue: str, expected: int) -> None:
    """Wait (at most 5 s) until ``venue`` has ``expected`` user-data subscriptions."""
    frontend = sim.frontends[venue]
    assert isinstance(frontend, BinanceFrontend)
    for _ in range(250):
        sessions = frontend.user_streams.sessions
        if sum(len(s.subscriptions) for s in sessions) == expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{venue}: never reached {expected} user-data subscription(s)")
