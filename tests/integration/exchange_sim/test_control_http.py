"""The control API over HTTP, seen from ccxt: prices, deposits, withdrawals, reset, state."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from rebalancer.exchange_sim.server import SimulatorServer


async def _post(http: aiohttp.ClientSession, url: str, body: Any = None) -> Any:
    async with http.post(url, json=body) as reply:
        payload = await reply.json()
        assert reply.status == 200, payload
        return payload


async def test_prices_deposits_and_withdrawals_are_driven_over_http(
    exchange: Any, sim: SimulatorServer
) -> None:
    base = sim.control_url
    async with aiohttp.ClientSession() as http:
        await _post(http, f"{base}/prices", {"symbol": "BTC/USDT", "price": "65000"})
        ticker = await exchange.fetch_ticker("BTC/USDT")
        assert ticker["last"] == 65000
        await _post(http, f"{base}/deposits", {"venue": "binance", "asset": "USDT", "amount": "7"})
        assert (await exchange.fetch_balance())["USDT"]["free"] == 100007
        sent = await exchange.withdraw("USDT", 50, "TXexternaladdress000000000000000")
        done = await _post(http, f"{base}/withdrawals/{sent['id']}/complete")
        assert done["state"] == "completed"
        async with http.get(f"{base}/transfers") as reply:
            log = await reply.json()
        assert [w["id"] for w in log["withdrawals"]] == [sent["id"]]
        assert len(log["deposits"]) == 1
        async with http.post(f"{base}/withdrawals/{sent['id']}/fail") as again:
            assert again.status == 400
        await _post(http, f"{base}/reset")
        async with http.get(f"{base}/state") as reply:
            state = await reply.json()
    assert state["venues"]["binance"]["accounts"]["key-a"]["USDT"]["free"] == "100000"
    assert state["venues"]["binance"]["mids"]["BTC/USDT"] == "60000"


async def test_bad_control_input_names_the_field(sim: SimulatorServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{sim.control_url}/prices", json={"symbol": "BTC/USDT", "price": 1.5}
        ) as reply:
            assert reply.status == 400
            assert "price" in (await reply.json())["error"]
        async with http.post(f"{sim.control_url}/deposits", json={"venue": "binance"}) as reply:
            assert reply.status == 400
            assert "asset" in (await reply.json())["error"]


async def test_scripted_prices_move_on_the_background_task(
    exchange: Any, sim: SimulatorServer
) -> None:
    async with aiohttp.ClientSession() as http:
        steps = [
            {"at_s": 0, "prices": {"BTC/USDT": "60000"}},
            {"at_s": 0.1, "prices": {"BTC/USDT": "62000"}},
        ]
        await _post(http, f"{sim.control_url}/prices/script", {"steps": steps})
    for _ in range(100):
        if (await exchange.fetch_ticker("BTC/USDT"))["last"] == 62000:
            break
        await asyncio.sleep(0.05)
    assert (await exchange.fetch_ticker("BTC/USDT"))["last"] == 62000


@pytest.mark.parametrize("path", ["/stream/ws/0", "/ws-api/v3"])
async def test_websocket_endpoints_can_be_faulted_too(
    exchange: Any, sim: SimulatorServer, path: str
) -> None:
    sim.control.inject_fault({"venue": "binance", "path": path, "status": 503})
    _, ws_base = sim.urls("binance")
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(ws_base + path)
