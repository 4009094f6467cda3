"""Stopping at a safe point, and a breaker that survives restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rebalancer.core.breaker import TripReason
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.market import OrderSide
from rebalancer.domain.records import OrderIntentState
from rebalancer.exchange_sim.engine import OrderState
from rebalancer.persistence import open_store, sqlite_url
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.execution_settings import OrderStyle
from rebalancer.services.order_placement import RunBudget

from .harness import World, fast_settings, make_engine, make_world, order, plan_of


async def wait_for_state(world: World, run_id: str, state: OrderIntentState) -> None:
    for _ in range(500):
        orders = await world.store.orders_for_run(run_id)
        if any(o.state is state for o in orders):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no order reached {state}")


async def test_stop_while_a_limit_order_rests_cancels_and_settles_it(tmp_path: Path) -> None:
    settings = fast_settings(style=OrderStyle.LIMIT, limit_timeout_s=30.0)
    world = await make_world(tmp_path, make_engine(), settings)
    try:
        world.fund("binance", "USDT", "10000")
        executor = world.executor()
        plan = plan_of(
            order("o1", "binance", OrderSide.BUY, "0.1"),
            order("o2", "binance", OrderSide.BUY, "0.01", "o1", symbol="ETH/USDT"),
        )
        run_id = await world.new_run()
        task = asyncio.create_task(executor.execute(run_id, 1, plan, world.venues(), RunBudget()))
        await wait_for_state(world, run_id, OrderIntentState.OPEN)
        executor.stop.set()
        report = await asyncio.wait_for(task, timeout=10)

        [placed] = world.engine.order_log()
        assert placed.state is OrderState.CANCELED  # not left resting, not abandoned
        [record] = await world.store.orders_for_run(run_id)
        assert record.state is OrderIntentState.CANCELED
        assert report.skipped == ("o2",)  # its dependency never filled
    finally:
        await world.store.close()


async def test_stop_before_a_round_starts_nothing(world: World) -> None:
    world.fund("binance", "BTC", "1")
    executor = world.executor()
    executor.stop.set()

    run_id = await world.new_run()
    report = await executor.execute(
        run_id,
        1,
        plan_of(order("o1", "binance", OrderSide.SELL, "0.1")),
        world.venues(),
        RunBudget(),
    )
    assert report.not_started == ("o1",)
    assert world.engine.order_log() == []


async def test_halt_is_persisted_logged_and_survives_a_restart(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await world.breaker.trip(TripReason.PRICE_CHECK, "BTC/USDT moved 12% in one tick")
    assert any(r.levelname == "ERROR" and "HALTED" in r.message for r in caplog.records)

    store = await open_store(sqlite_url(tmp_path))
    try:
        reloaded = BreakerKeeper(store, world.clock)
        breaker = await reloaded.load()
        assert breaker.state is BreakerState.HALTED
        assert breaker.causes[0].reason is TripReason.PRICE_CHECK
        assert not reloaded.allows(OrderSide.SELL)

        await reloaded.resume("alice")
        assert reloaded.state is BreakerState.ACTIVE
        history = await store.breaker_history()
        assert [h.state for h in history] == [BreakerState.ACTIVE, BreakerState.HALTED]
    finally:
        await store.close()


async def test_repeated_rejections_halt_trading(world: World) -> None:
    plans = [plan_of(order(f"o{i}", "binance", OrderSide.SELL, "5")) for i in range(3)]
    for plan in plans:
        await world.execute(plan)  # nothing to sell: every order is rejected
    assert world.breaker.state is BreakerState.HALTED
    assert world.breaker.breaker.causes[-1].reason is TripReason.REPEATED_FAILURES
