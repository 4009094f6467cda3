"""The two-venue simulator of the gateway tests, and market state over real ccxt gateways."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from tests.integration.venues.conftest import (  # noqa: F401 - fixtures shared with venues
    VENUES,
    GatewayFactory,
    make_gateway,
    sim,
    sim_config,
)

from rebalancer.services.market_state import MarketDataSettings, MarketState

SYMBOLS = ["BTC/USDT", "ETH/USDT"]
FAST = MarketDataSettings(
    max_age_s=30,
    stream_silent_after_s=0.5,
    rest_poll_interval_s=0.05,
    reconnect_initial_backoff_s=0.05,
    reconnect_max_backoff_s=0.2,
)


class WallClock:
    """Real UTC time (stream stamps must follow real arrivals)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
async def market_state(request: pytest.FixtureRequest) -> AsyncIterator[MarketState]:
    factory: GatewayFactory = request.getfixturevalue("make_gateway")
    gateways = {venue: await factory(venue, load=False) for venue in VENUES}
    state = MarketState(
        gateways, dict.fromkeys(VENUES, SYMBOLS), WallClock(), FAST, rng=random.Random(3)
    )
    async with state:
        await until(lambda: all(state.readiness(v).ready for v in VENUES), "venues ready")
        yield state


async def until(condition: Callable[[], bool], what: str, attempts: int = 250) -> None:
    """Wait (bounded: ``attempts`` × 20 ms) for ``condition()`` to hold."""
    for _ in range(attempts):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")
