"""Withdrawals between venues, signature checks and injected faults, through real ccxt.okx."""

from __future__ import annotations

import asyncio

import ccxt
import pytest
from tests.integration.exchange_sim_okx.conftest import Sim

from rebalancer.exchange_sim.faults import Fault


async def test_deposit_address_is_stable_per_network(sim: Sim) -> None:
    okx2 = sim.exchange("okx2")
    first = await okx2.fetch_deposit_address("USDT", {"network": "TRC20"})
    again = await okx2.fetch_deposit_address("USDT")
    assert first["network"] == "TRC20"
    assert first["address"] == again["address"]
    assert first["address"].startswith("T")  # a TRON address on TRC20
    assert len(first["address"]) == 34


async def test_withdrawal_arrives_as_a_deposit_on_the_other_venue(sim: Sim) -> None:
    okx, okx2 = sim.exchange("okx"), sim.exchange("okx2")
    address = (await okx2.fetch_deposit_address("USDT", {"network": "TRC20"}))["address"]
    sent = await okx.withdraw("USDT", 100, address, params={"network": "TRC20"})
    [pending] = await okx.fetch_withdrawals("USDT")
    assert (pending["id"], pending["status"], pending["amount"]) == (sent["id"], "pending", 100.0)
    assert pending["fee"]["cost"] == 1.0
    assert (await okx.fetch_balance())["USDT"]["free"] == 99900.0
    assert await okx2.fetch_deposits("USDT") == []

    sim.clock.advance(31)  # the network's delay is 30 s
    sim.engine.advance()

    [done] = await okx.fetch_withdrawals("USDT")
    assert done["status"] == "ok"
    [arrived] = await okx2.fetch_deposits("USDT")
    assert (arrived["amount"], arrived["status"], arrived["network"]) == (99.0, "ok", "TRC20")
    assert arrived["txid"] == done["txid"]
    assert (await okx2.fetch_balance())["USDT"]["free"] == 100099.0


async def test_withdrawal_refusals_map_to_ccxt_errors(sim: Sim) -> None:
    okx = sim.exchange()
    address = "0x" + "ab" * 20
    with pytest.raises(ccxt.InsufficientFunds):
        await okx.withdraw("USDT", 1_000_000, address, params={"network": "TRC20"})
    with pytest.raises(ccxt.ExchangeError, match="58206"):
        await okx.withdraw("USDT", 5, address, params={"network": "TRC20"})


async def test_wrong_secret_is_refused_as_invalid_sign(sim: Sim) -> None:
    okx = sim.exchange(secret="not-the-secret")
    with pytest.raises(ccxt.AuthenticationError, match="50113"):
        await okx.fetch_balance()


async def test_wrong_passphrase_is_refused(sim: Sim) -> None:
    okx = sim.exchange(password="nope")
    with pytest.raises(ccxt.AuthenticationError, match="50105"):
        await okx.fetch_balance()


async def test_clock_skew_is_refused_as_expired_timestamp(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    okx.options["timeDifference"] = 120_000  # the client signs two minutes in the past
    with pytest.raises(ccxt.InvalidNonce, match="50102"):
        await okx.fetch_balance()


async def test_injected_maintenance_and_rate_limit_map_to_ccxt_errors(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    sim.faults.add(
        Fault(
            venue="okx",
            path="/api/v5/account/balance",
            status=503,
            body={"code": "50001", "msg": "Service temporarily unavailable", "data": []},
        )
    )
    with pytest.raises(ccxt.OnMaintenance):
        await okx.fetch_balance()
    sim.faults.add(
        Fault(
            venue="okx",
            path="/api/v5/account/balance",
            status=429,
            body={"code": "50011", "msg": "Rate limit reached.", "data": []},
        )
    )
    with pytest.raises(ccxt.RateLimitExceeded):
        await okx.fetch_balance()
    assert (await okx.fetch_balance())["USDT"]["free"] == 100000.0  # faults fire once


async def test_dropped_order_reply_is_settled_by_client_id(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    sim.faults.add(
        Fault(
            venue="okx", path="/api/v5/trade/batch-orders", method="POST", drop=True, execute=True
        )
    )
    with pytest.raises(ccxt.NetworkError):
        await okx.create_order("ETH/USDT", "market", "buy", 1, params={"clientOrderId": "amb1"})
    order = await okx.fetch_order(None, "ETH/USDT", {"clientOrderId": "amb1"})
    assert (order["status"], order["filled"]) == ("closed", 1.0)


async def test_slow_reply_is_a_request_timeout(sim: Sim) -> None:
    okx = sim.exchange(timeout=300)
    await okx.load_markets()
    sim.faults.add(Fault(venue="okx", path="/api/v5/market/ticker", delay_ms=600))
    with pytest.raises(ccxt.RequestTimeout):
        await okx.fetch_ticker("BTC/USDT")


async def test_arriving_deposit_is_pushed_on_the_balance_stream(sim: Sim) -> None:
    okx, okx2 = sim.exchange("okx"), sim.exchange("okx2")
    address = (await okx2.fetch_deposit_address("USDT"))["address"]
    sent = await okx.withdraw("USDT", 50, address, params={"network": "TRC20"})
    await asyncio.wait_for(okx2.watch_balance(), 5)  # logs in; the first push is a snapshot
    arrival = asyncio.create_task(okx2.watch_balance())
    await asyncio.sleep(0.1)
    sim.engine.complete_withdrawal(sent["id"])
    balance = await asyncio.wait_for(arrival, 5)
    assert balance["USDT"]["free"] == 100049.0
