"""Market state over the in-process simulator engine, with a clock the test moves."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rebalancer.domain.errors import VenueUnavailable
from rebalancer.domain.market import Market
from rebalancer.domain.snapshot import InTransit, Route
from rebalancer.exchange_sim.engine import Account, BookShape, Engine, ManualClock
from rebalancer.services.market_state import MarketDataSettings, MarketState
from rebalancer.venues.simulated.gateway import SimulatedGateway


@dataclass
class SteppedClock:
    """A UTC clock that moves only when the test says so."""

    current: datetime = field(default_factory=lambda: datetime(2024, 3, 1, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def usdt_market(base: str, step: str) -> Market:
    return Market(
        f"{base}/USDT",
        base,
        "USDT",
        Decimal(step),
        Decimal(step),
        Decimal(5),
        Decimal("0.01"),
        Decimal("0.001"),
    )


def make_engine() -> Engine:
    engine = Engine(ManualClock())
    engine.add_venue(
        "binance", [usdt_market("BTC", "0.0001"), usdt_market("ETH", "0.001")], BookShape()
    )
    engine.add_account("binance", Account("key", "secret"))
    engine.set_price("binance", "BTC/USDT", Decimal(60000))
    engine.set_price("binance", "ETH/USDT", Decimal(3000))
    account = engine.venue("binance").account("key")
    account.credit("USDT", Decimal("1500"))
    account.credit("BTC", Decimal("0.51"))
    return engine


SETTINGS = MarketDataSettings(
    max_age_s=30,
    stream_silent_after_s=10,
    rest_poll_interval_s=0.01,
    reconnect_initial_backoff_s=0.01,
    reconnect_max_backoff_s=0.05,
)


def state_for(engine: Engine, clock: SteppedClock, symbols: list[str]) -> MarketState:
    gateway = SimulatedGateway(engine, "binance", "key")
    return MarketState(
        {"binance": gateway}, {"binance": symbols}, clock, SETTINGS, rng=random.Random(7)
    )


async def until(condition: object, what: str) -> None:
    """Wait (bounded: 200 short steps) for ``condition()`` to hold."""
    for _ in range(200):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_snapshot_holds_free_balances_rules_and_quotes() -> None:
    clock = SteppedClock()
    state = state_for(make_engine(), clock, ["BTC/USDT", "ETH/USDT"])
    await state.start()
    route = Route("USDT", "TRC20", "binance", "okx", Decimal(1), Decimal(10), 300)
    moving = InTransit("USDT", "binance", "okx", Decimal(250))
    snapshot = state.snapshot(routes=[route], in_transit=[moving])
    venue = snapshot.venue("binance")
    assert venue.balances == {"BTC": Decimal("0.51"), "USDT": Decimal("1500")}
    assert set(venue.markets) == {"BTC/USDT", "ETH/USDT"}
    btc = venue.markets["BTC/USDT"]
    assert btc.quote.bid < Decimal(60000) < btc.quote.ask
    assert btc.rules.amount_step == Decimal("0.0001")
    assert snapshot.taken_at == clock.now()
    assert snapshot.routes == (route,)
    assert snapshot.in_transit == (moving,)


async def test_symbols_a_venue_does_not_list_are_left_out_not_waited_for() -> None:
    state = state_for(make_engine(), SteppedClock(), ["BTC/USDT", "DOGE/USDT"])
    await state.start()
    assert state.readiness("binance").ready
    assert set(state.snapshot().venue("binance").markets) == {"BTC/USDT"}


async def test_data_older_than_max_age_makes_the_venue_not_ready() -> None:
    clock = SteppedClock()
    state = state_for(make_engine(), clock, ["BTC/USDT"])
    await state.start()
    clock.advance(30)
    assert state.readiness("binance").ready
    clock.advance(1)
    readiness = state.readiness("binance")
    assert readiness.reasons == ("balances older than 30s", "quote for BTC/USDT older than 30s")
    with pytest.raises(VenueUnavailable, match="balances older than 30s"):
        state.snapshot()


async def test_a_rest_refresh_makes_a_stale_venue_ready_again() -> None:
    clock = SteppedClock()
    state = state_for(make_engine(), clock, ["BTC/USDT"])
    await state.start()
    clock.advance(120)
    await state.refresh("binance")
    assert state.readiness("binance").ready


async def test_a_venue_that_never_answered_is_not_ready() -> None:
    engine = make_engine()
    gateway = SimulatedGateway(engine, "binance", "key")
    gateway.faults.unreachable = True
    state = MarketState({"binance": gateway}, {"binance": ["BTC/USDT"]}, SteppedClock(), SETTINGS)
    await state.start()
    assert state.readiness("binance").reasons[0] == "markets not loaded"


async def test_a_venue_down_at_start_loads_its_markets_once_it_answers() -> None:
    engine = make_engine()
    gateway = SimulatedGateway(engine, "binance", "key")
    gateway.faults.unreachable = True
    clock = SteppedClock()
    async with MarketState(
        {"binance": gateway}, {"binance": ["BTC/USDT"]}, clock, SETTINGS
    ) as state:
        assert not state.venue("binance").markets
        gateway.faults.unreachable = False
        await until(lambda: bool(state.venue("binance").markets), "markets loaded later")
        await until(lambda: state.readiness("binance").ready, "ready after polling")
