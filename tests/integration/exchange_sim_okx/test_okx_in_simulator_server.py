"""The OKX front-end hosted by the real SimulatorServer next to a Binance venue.

Clients are configured only from ``server.connection()``, as a user of ``--print-connection``
would; the control plane moves prices, completes withdrawals, injects faults and kicks sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import ccxt
import ccxt.pro
import pytest
from tests.integration.exchange_sim_okx.waiting import eventually

from rebalancer.exchange_sim.config import parse_config
from rebalancer.exchange_sim.server import SimulatorServer

NETWORK = {
    "asset": "USDT",
    "network": "TRC20",
    "fee": "1",
    "min_amount": "10",
    "delay_s": 3600,
    "default": True,
}
CONFIG: dict[str, Any] = {
    "simulator": {"price_interval_ms": 50, "stream_interval_ms": 20},
    "prices": {"source": "static", "start": {"BTC/USDT": "60000", "ETH/USDT": "3000"}},
    "venues": {
        "okx": {
            "protocol": "okx",
            "markets": ["BTC/USDT", "ETH/USDT"],
            "accounts": [
                {
                    "api_key": "ok-key",
                    "secret": "ok-secret",
                    "passphrase": "ok-pass",
                    "balances": {"USDT": "50000", "BTC": "1"},
                }
            ],
            "networks": [NETWORK],
        },
        "binance": {
            "protocol": "binance",
            "markets": ["BTC/USDT"],
            "accounts": [{"api_key": "bn-key", "secret": "bn-secret", "balances": {"USDT": "10"}}],
            "networks": [NETWORK],
        },
    },
}


def merge(target: dict[str, Any], overrides: dict[str, Any]) -> None:
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value


@pytest.fixture
async def server() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(parse_config(CONFIG)) as running:
        yield running


@pytest.fixture
async def clients(server: SimulatorServer) -> AsyncIterator[dict[str, Any]]:
    opened: dict[str, Any] = {}
    for name, info in server.connection()["venues"].items():
        exchange_class = getattr(ccxt.pro, info["exchange"])
        client = exchange_class(
            {
                "apiKey": info["apiKey"],
                "secret": info["secret"],
                "password": info["password"],
                "enableRateLimit": False,
                "timeout": 3000,
                "timeout_on_exit": 0,
            }
        )
        merge(client.urls, info["urls"])
        merge(client.options, info["options"])
        opened[name] = client
    try:
        yield opened
    finally:
        for client in opened.values():
            await client.close()


async def test_connection_info_is_enough_for_ccxt_okx(
    server: SimulatorServer, clients: dict[str, Any]
) -> None:
    okx = clients["okx"]
    assert server.connection()["venues"]["okx"]["exchange"] == "okx"
    markets = await okx.load_markets()
    assert sorted(markets) == ["BTC/USDT", "ETH/USDT"]
    server.control.set_price("BTC/USDT", Decimal("65000"), venue="okx")
    ticker = await okx.fetch_ticker("BTC/USDT")
    assert ticker["last"] == 65000.0
    streamed = await eventually(
        lambda: okx.watch_ticker("ETH/USDT"), lambda t: t["bid"] is not None
    )
    assert streamed["bid"] < 3000 < streamed["ask"]


async def test_withdrawal_from_okx_arrives_on_the_binance_venue(
    server: SimulatorServer, clients: dict[str, Any]
) -> None:
    okx, binance = clients["okx"], clients["binance"]
    await binance.load_markets()
    address = (await binance.fetch_deposit_address("USDT", {"network": "TRC20"}))["address"]
    sent = await okx.withdraw("USDT", 500, address, params={"network": "TRC20"})
    server.control.complete_withdrawal(sent["id"])
    [withdrawal] = await okx.fetch_withdrawals("USDT")
    assert (withdrawal["status"], withdrawal["amount"]) == ("ok", 500.0)
    [deposit] = await binance.fetch_deposits("USDT")
    assert (deposit["amount"], deposit["status"]) == (499.0, "ok")
    assert (await binance.fetch_balance())["USDT"]["free"] == 509.0


async def test_control_plane_faults_and_kicks_reach_okx_clients(
    server: SimulatorServer, clients: dict[str, Any]
) -> None:
    okx = clients["okx"]
    await okx.load_markets()
    server.control.inject_fault(
        {
            "venue": "okx",
            "path": "/api/v5/trade/batch-orders",
            "status": 200,
            "body": {"code": "50013", "msg": "busy", "data": []},
        }
    )
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await okx.create_order("BTC/USDT", "market", "buy", 0.01)
    await asyncio.wait_for(okx.watch_balance(), 5)
    pending = asyncio.create_task(okx.watch_balance())
    await asyncio.sleep(0.01)
    assert await server.control.close_websockets("okx") == 1
    with pytest.raises(ccxt.NetworkError):
        await asyncio.wait_for(pending, 5)
