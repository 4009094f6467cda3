"""Transfers through the executor over the in-process simulated venue and a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.integration.execution.harness import (
    World,
    make_engine,
    make_world,
    order,
    plan_of,
    transfer,
)

from rebalancer.core.client_ids import make_transfer_client_id
from rebalancer.domain.errors import AmbiguousOrderOutcome
from rebalancer.domain.market import OrderSide
from rebalancer.domain.orders import OrderType, SubmitOrder
from rebalancer.domain.records import TransferState
from rebalancer.domain.transfers import WithdrawRequest
from rebalancer.services.order_placement import RunBudget
from rebalancer.services.transfers import NEVER_SENT
from rebalancer.venues.simulated.gateway import SimulatedGateway


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    built = await make_world(tmp_path, make_engine())
    yield built
    for gateway in built.gateways.values():
        await gateway.close()
    await built.store.close()


def funding_plan() -> object:
    return plan_of(
        transfer("t1", "binance", "okx", "3000"),
        order("o1", "okx", OrderSide.BUY, "0.04", "t1"),
    )


async def test_an_accepted_withdrawal_whose_reply_was_lost_is_adopted_and_arrives(
    world: World,
) -> None:
    world.fund("binance", "USDT", "5000")
    world.gateways["binance"].faults.withdraw_accept_then_ambiguous = 1

    run_id, report = await world.execute(funding_plan())  # type: ignore[arg-type]

    assert report.transfers["t1"].arrived
    assert report.complete == 2
    assert len(world.engine.withdrawals) == 1
    record = await world.store.get_transfer(make_transfer_client_id(run_id, "t1", 1))
    assert record is not None
    assert record.state is TransferState.ARRIVED
    assert record.withdrawal_id == next(iter(world.engine.withdrawals))
    assert world.balance("binance", "USDT") == Decimal(2000)


async def test_a_withdrawal_the_venue_never_saw_fails_as_never_sent_and_the_next_round_sends_it(
    world: World,
) -> None:
    world.fund("binance", "USDT", "5000")
    world.gateways["binance"].faults.withdraw_lose_before_accept = 1
    run_id, first = await world.execute(funding_plan())  # type: ignore[arg-type]

    assert not first.transfers["t1"].arrived
    assert first.skipped == ("o1",)
    lost = await world.store.get_transfer(make_transfer_client_id(run_id, "t1", 1))
    assert lost is not None
    assert (lost.state, lost.reason) == (TransferState.FAILED, NEVER_SENT)
    assert world.engine.withdrawals == {}
    assert world.balance("binance", "USDT") == Decimal(5000)  # nothing left: plan it again
    assert await world.store.pending_transfers() == []  # and nothing counted in transit

    second = await world.executor().execute(run_id, 2, funding_plan(), world.venues(), RunBudget())  # type: ignore[arg-type]

    assert second.transfers["t1"].arrived
    sent = await world.store.get_transfer(make_transfer_client_id(run_id, "t1", 2))
    assert sent is not None
    assert sent.state is TransferState.ARRIVED
    [withdrawal] = world.engine.withdrawals.values()
    assert withdrawal.client_id == sent.id  # the new round's id, sent exactly once
    assert world.balance("binance", "USDT") == Decimal(2000)


async def test_the_simulated_venue_refuses_a_reused_withdrawal_id_as_ambiguous(
    world: World,
) -> None:
    world.fund("binance", "USDT", "5000")
    gateway = world.gateways["binance"]
    address = await world.gateways["okx"].fetch_deposit_address("USDT", "TRC20")
    request = WithdrawRequest("USDT", "TRC20", Decimal(100), address.address, None, "rb1a2t11")
    first = await gateway.withdraw(request)

    with pytest.raises(AmbiguousOrderOutcome):
        await gateway.withdraw(request)

    found = await gateway.fetch_withdrawal_by_client_id("USDT", "rb1a2t11")
    assert found is not None
    assert (found.id, found.client_id) == (first.id, "rb1a2t11")
    assert len(world.engine.withdrawals) == 1
    assert world.balance("binance", "USDT") == Decimal(4900)
    assert await gateway.fetch_withdrawal_by_client_id("USDT", "rb1a2t21") is None


async def test_quote_and_balance_watches_running_together_each_get_their_events(
    world: World,
) -> None:
    world.fund("binance", "USDT", "5000")
    gateway = SimulatedGateway(world.engine, "binance", "key-binance")
    try:
        quotes = asyncio.create_task(gateway.watch_quotes(["BTC/USDT"]))
        balances = asyncio.create_task(gateway.watch_balances())
        await asyncio.sleep(0)  # both watches subscribe
        # One order moves both streams: the book (quotes) and the account (balances).
        await gateway.create_order(
            SubmitOrder("rb1q2o11", "BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal("0.01"))
        )
        world.engine.set_price("binance", "BTC/USDT", Decimal(61000))
        async with asyncio.timeout(5):
            moved, changed = await asyncio.gather(quotes, balances)
        assert set(moved) == {"BTC/USDT"}
        assert "USDT" in changed or "BTC" in changed
    finally:
        await gateway.close()
