"""The two-venue simulator of the gateway tests, and market state over real ccxt gateways."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from tests.integration.venues import conftest as venue_fixtures
from tests.integration.venues.conftest import VENUES, GatewayFactory

from rebalancer.services.market_state import MarketDataSettings, MarketState

# The simulator and gateway fixtures of the venue tests, shared.
sim_config = venue_fixtures.sim_config
sim = venue_fixtures.sim
make_gateway = venue_fixtures.make_gateway

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

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@pytest.fixture
async def market_state(make_gateway: GatewayFactory) -> AsyncIterator[MarketState]:
    gateways = {venue: await make_gateway(venue, load=False) for venue in VENUES}
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
