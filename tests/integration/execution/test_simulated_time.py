"""Services wait on the Clock port: on a simulated clock, long waits cost no real time.

The engine and the services share one ``SimulatedClock``, with the daemon's real timings (a
five-minute transfer polled every 75 s, limit orders given 30 s), so each test would take
minutes if any wait slept on the event loop; under the suite's timeout they can only pass if
every wait went through the clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.backtest.clock import SimulatedClock
from rebalancer.core.breaker import BreakerLimits
from rebalancer.domain.market import OrderSide
from rebalancer.domain.records import OrderIntentState
from rebalancer.exchange_sim.engine import Account, BookShape, Engine, Network
from rebalancer.persistence import open_store, sqlite_url
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.execution_settings import (
    ExecutionSettings,
    OrderSettings,
    OrderStyle,
    TransferSettings,
)
from rebalancer.venues.simulated.gateway import SimulatedGateway

from .harness import MARKETS, USDT_ROUTE_FEE, VENUES, World, order, plan_of, transfer

START = datetime(2024, 3, 1, tzinfo=UTC)
ETA_S = 300.0


def daemon_timings(style: OrderStyle = OrderStyle.MARKET) -> ExecutionSettings:
    return ExecutionSettings(
        orders=OrderSettings(style=style, limit_timeout_s=30.0, poll_interval_s=1.0),
        transfers=TransferSettings(arrival_timeout_s=3600.0, poll_interval_s=75.0),
    )


def sim_engine(clock: SimulatedClock) -> Engine:
    engine = Engine(clock.epoch_s)
    for name in VENUES:
        engine.add_venue(name, MARKETS, BookShape())
        engine.add_network(
            name,
            Network("USDT", "TRC20", fee=USDT_ROUTE_FEE, min_amount=Decimal(10), delay_s=ETA_S),
        )
        engine.add_account(name, Account(f"key-{name}", "secret"))
        engine.set_price(name, "BTC/USDT", Decimal(60000))
        engine.set_price(name, "ETH/USDT", Decimal(3000))
    return engine


@pytest.fixture
async def clock() -> SimulatedClock:
    return SimulatedClock(START)


async def simulated_world(
    tmp_path: Path, clock: SimulatedClock, settings: ExecutionSettings
) -> AsyncIterator[World]:
    engine = sim_engine(clock)
    store = await open_store(sqlite_url(tmp_path), clock=clock)
    breaker = BreakerKeeper(store, clock, BreakerLimits(max_consecutive_failures=3))
    gateways = {name: SimulatedGateway(engine, name, f"key-{name}") for name in VENUES}
    world = World(engine, gateways, store, clock, breaker, settings)  # type: ignore[arg-type]
    yield world
    await store.close()


@pytest.fixture
async def world(tmp_path: Path, clock: SimulatedClock) -> AsyncIterator[World]:
    async for built in simulated_world(tmp_path, clock, daemon_timings()):
        yield built


@pytest.fixture
async def limit_world(tmp_path: Path, clock: SimulatedClock) -> AsyncIterator[World]:
    async for built in simulated_world(tmp_path, clock, daemon_timings(OrderStyle.LIMIT)):
        yield built


async def test_a_five_minute_transfer_arrives_in_simulated_time(
    world: World, clock: SimulatedClock
) -> None:
    world.fund("binance", "USDT", "5000")
    plan = plan_of(
        transfer("t1", "binance", "okx", "3000"),
        order("o1", "okx", OrderSide.BUY, "0.04", "t1"),
    )

    _run_id, report = await world.execute(plan)

    assert report.complete == 2
    assert world.balance("okx", "USDT") < Decimal(3000 - 1)  # arrived, less the fee, then spent
    waited = clock.now() - START
    assert timedelta(seconds=ETA_S) <= waited <= timedelta(seconds=ETA_S + 2 * 75)
    assert clock.slept_s >= ETA_S


async def test_a_limit_order_times_out_on_the_clock_and_falls_back_to_market(
    limit_world: World, clock: SimulatedClock
) -> None:
    limit_world.fund("binance", "USDT", "10000")

    run_id, report = await limit_world.execute(
        plan_of(order("o1", "binance", OrderSide.BUY, "0.1"))
    )

    assert report.orders["o1"].complete  # the resting limit never filled; the market order did
    states = [o.state for o in await limit_world.store.orders_for_run(run_id)]
    assert states == [OrderIntentState.CANCELED, OrderIntentState.FILLED]
    assert clock.now() - START >= timedelta(seconds=30)


async def test_sleeping_moves_the_clock_and_tells_listeners(clock: SimulatedClock) -> None:
    heard: list[datetime] = []
    clock.on_advance(heard.append)

    await clock.sleep(90)
    clock.advance_to(START)  # never backwards
    clock.advance_to(START + timedelta(hours=1))

    assert clock.now() == START + timedelta(hours=1)
    assert heard == [START + timedelta(seconds=90), START + timedelta(hours=1)]
    assert clock.slept_s == 90
