"""The "late" fault: the venue received the request and carries it out after the client left.

Before it, a request held past the client's patience and then let through died reading its
body from a closed socket, so "the venue executed what the client judged never received"
could not be rehearsed. A late request is checked when it is carried out, as a matching
engine does: within Binance's ``recvWindow`` it executes, past it it is refused (-1021).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from rebalancer.exchange_sim.server import SimulatorServer

ORDER = "/api/v3/order"


async def logged(sim: SimulatorServer, client_id: str, within_s: float) -> dict[str, Any] | None:
    """The order with ``client_id`` once it shows in the venue's log (None by ``within_s``)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        found = [o for o in sim.control.order_log("binance") if o["client_order_id"] == client_id]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    return None


async def test_a_dropped_request_is_carried_out_after_the_client_gave_up(
    exchange: Any, sim: SimulatorServer
) -> None:
    sim.control.inject_fault(
        {"venue": "binance", "path": ORDER, "method": "POST", "delay_ms": 1000, "drop": True,
         "late": True}
    )  # fmt: skip
    with pytest.raises(ccxtpro.NetworkError):
        await exchange.create_order(
            "BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "late-1"}
        )
    with pytest.raises(ccxtpro.OrderNotFound):  # not yet: the venue still holds it
        await exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "late-1"})

    executed = await logged(sim, "late-1", within_s=10)

    assert executed is not None
    assert executed["state"] == "filled"
    found = await exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "late-1"})
    assert found["status"] == "closed"


async def test_a_request_that_outlived_the_clients_timeout_still_executes(
    exchange: Any, sim: SimulatorServer
) -> None:
    exchange.timeout = 300
    sim.control.inject_fault(
        {"venue": "binance", "path": ORDER, "method": "POST", "delay_ms": 1000, "late": True}
    )
    with pytest.raises(ccxtpro.RequestTimeout):
        await exchange.create_order(
            "BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "late-2"}
        )

    assert await logged(sim, "late-2", within_s=10) is not None


async def test_a_request_carried_out_past_its_recv_window_is_refused(
    exchange: Any, sim: SimulatorServer
) -> None:
    exchange.options["recvWindow"] = 500
    sim.control.inject_fault(
        {"venue": "binance", "path": ORDER, "method": "POST", "delay_ms": 1500, "drop": True,
         "late": True}
    )  # fmt: skip
    with pytest.raises(ccxtpro.NetworkError):
        await exchange.create_order(
            "BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "late-3"}
        )
    for _ in range(200):  # at most 10 s
        if sim.control.faults.faults[0].carried_out:
            break
        await asyncio.sleep(0.05)

    assert sim.control.faults.faults[0].carried_out == 1
    assert await logged(sim, "late-3", within_s=0) is None
    with pytest.raises(ccxtpro.OrderNotFound):
        await exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "late-3"})
