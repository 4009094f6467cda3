"""Injected faults and authentication failures, as ccxt reports them."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import ccxt.pro as ccxtpro
import pytest
from tests.integration.exchange_sim.conftest import ExchangeFactory

from rebalancer.exchange_sim.server import SimulatorServer


async def test_a_fault_answers_its_endpoint_count_times_then_clears(
    exchange: Any, sim: SimulatorServer
) -> None:
    sim.control.inject_fault(
        {
            "venue": "binance",
            "path": "/api/v3/account",
            "status": 503,
            "count": 2,
            "body": {"code": -1001, "msg": "Internal error; unable to process your request."},
        }
    )
    for _ in range(2):
        with pytest.raises(ccxtpro.OperationFailed):
            await exchange.fetch_balance()
    assert (await exchange.fetch_balance())["USDT"]["free"] == 100000
    await exchange.fetch_ticker("BTC/USDT")  # other endpoints were never affected


async def test_rate_limit_status_is_reported_as_ddos_protection(
    exchange: Any, sim: SimulatorServer
) -> None:
    sim.control.inject_fault(
        {
            "venue": "binance",
            "path": "/api/v3/ticker",
            "status": 429,
            "body": {"code": -1003, "msg": "Too many requests."},
        }
    )
    with pytest.raises(ccxtpro.DDoSProtection):
        await exchange.fetch_ticker("BTC/USDT")


async def test_an_order_accepted_then_timed_out_exists_under_its_client_id(
    exchange: Any, sim: SimulatorServer
) -> None:
    exchange.timeout = 500
    sim.control.inject_fault(
        {
            "venue": "binance",
            "path": "/api/v3/order",
            "method": "POST",
            "delay_ms": 1500,
            "execute": True,
        }
    )
    with pytest.raises(ccxtpro.RequestTimeout):
        await exchange.create_order(
            "BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "ambiguous-1"}
        )
    found = await exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "ambiguous-1"})
    assert found["status"] == "closed"
    assert [o["client_order_id"] for o in sim.control.order_log("binance")] == ["ambiguous-1"]


async def test_a_dropped_order_reply_is_a_network_error_and_the_order_stands(
    exchange: Any, sim: SimulatorServer
) -> None:
    sim.control.inject_fault(
        {
            "venue": "binance",
            "path": "/api/v3/order",
            "method": "POST",
            "drop": True,
            "execute": True,
        }
    )
    with pytest.raises(ccxtpro.NetworkError):
        await exchange.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "dropped-1"}
        )
    [still_open] = await exchange.fetch_open_orders("BTC/USDT")
    assert still_open["clientOrderId"] == "dropped-1"


async def test_a_wrong_secret_is_refused_as_a_bad_signature(
    make_exchange: ExchangeFactory,
) -> None:
    exchange = await make_exchange(secret="not-the-secret", load=False)
    with pytest.raises(ccxtpro.AuthenticationError, match="-1022"):
        await exchange.load_markets()  # fetch_currencies is a signed call


async def test_a_stale_timestamp_is_refused_as_outside_the_recv_window(exchange: Any) -> None:
    exchange.options["timeDifference"] = 120_000  # our clock runs two minutes behind
    with pytest.raises(ccxtpro.InvalidNonce):
        await exchange.fetch_balance()


async def test_the_control_api_arms_faults_over_http(exchange: Any, sim: SimulatorServer) -> None:
    async with aiohttp.ClientSession() as http:
        fault = {"venue": "binance", "path": "/api/v3/depth", "status": 504}
        async with http.post(f"{sim.control_url}/faults", json=fault) as reply:
            assert reply.status == 200
        async with http.post(f"{sim.control_url}/faults", json={"venue": "binance", "x": 1}) as bad:
            assert bad.status == 400
            assert "x" in (await bad.json())["error"]
    with pytest.raises(ccxtpro.RequestTimeout):
        await exchange.fetch_order_book("BTC/USDT")
    await asyncio.sleep(0)


async def test_an_unknown_api_key_is_refused(make_exchange: ExchangeFactory) -> None:
    exchange = await make_exchange(load=False)
    exchange.apiKey = "nobody"
    with pytest.raises(ccxtpro.AuthenticationError, match="-2015"):
        await exchange.fetch_balance()
