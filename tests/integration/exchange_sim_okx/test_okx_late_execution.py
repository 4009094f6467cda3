"""The "late" fault on the OKX protocol: a request the venue received is carried out after the
client hung up, and found by its client id afterwards (never before it was carried out)."""

from __future__ import annotations

import asyncio

import ccxt.pro as ccxt
import pytest

from rebalancer.exchange_sim.faults import Fault

from .conftest import Sim

BATCH_ORDERS = "/api/v5/trade/batch-orders"


async def test_a_dropped_order_is_carried_out_late_and_found_by_client_id(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    late = Fault(venue="okx", path=BATCH_ORDERS, method="POST", drop=True, late=True, delay_ms=500)
    sim.faults.add(late)
    with pytest.raises(ccxt.NetworkError):
        await okx.create_order("ETH/USDT", "market", "buy", 1, params={"clientOrderId": "late1"})
    with pytest.raises(ccxt.OrderNotFound):  # the venue still holds it
        await okx.fetch_order(None, "ETH/USDT", {"clientOrderId": "late1"})

    for _ in range(200):  # at most 10 s
        if late.carried_out:
            break
        await asyncio.sleep(0.05)

    order = await okx.fetch_order(None, "ETH/USDT", {"clientOrderId": "late1"})
    assert (order["status"], order["filled"]) == ("closed", 1.0)
