"""The price-jump check keeps its reference in the database: a restart does not forget it.

Each test builds the gate as the daemon does (the portfolio's latest snapshot in a real SQLite
store is the first reference) and feeds it snapshots one after another.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.codecs.snapshot_json import dump_snapshot, parse_snapshot
from rebalancer.core.breaker import BreakerLimits
from rebalancer.core.pretrade import PretradeLimits
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.market import Market
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import ListedMarket, Snapshot, VenueSnapshot
from rebalancer.persistence import SqlStore, open_store, sqlite_url
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.price_gate import PriceGate

from .harness import WallClock

LIMITS = PretradeLimits(max_price_move=Decimal("0.15"))
BTC = Market(
    "BTC/USDT", "BTC", "USDT", Decimal("0.00001"), Decimal("0.00001"), Decimal(5),
    Decimal("0.01"), Decimal("0.001"),
)  # fmt: skip


def start() -> datetime:
    """Ten minutes ago: the breaker's clock is real, snapshots are placed around it."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)


def at_price(began: datetime, mid: str, minutes: int = 0) -> Snapshot:
    """One venue quoting BTC around ``mid``, taken ``minutes`` after ``began``."""
    quote = Quote(Decimal(mid) - 1, Decimal(mid) + 1)
    venue = VenueSnapshot({"USDT": Decimal(100)}, {"BTC/USDT": ListedMarket(BTC, quote)})
    return Snapshot(began + timedelta(minutes=minutes), {"binance": venue})


@dataclass
class Daemon:
    """What one process of the daemon would hold: its store, breaker and gate."""

    store: SqlStore
    breaker: BreakerKeeper

    def gate(self) -> PriceGate:
        return PriceGate(self.store, self.breaker, LIMITS, portfolio="core", parse=parse_snapshot)

    async def keep(self, snapshot: Snapshot) -> None:
        """What every check does after checking: keep the snapshot as the latest."""
        await self.store.save_latest_snapshot("core", dump_snapshot(snapshot), at=snapshot.taken_at)


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    store = await open_store(sqlite_url(tmp_path))
    breaker = BreakerKeeper(store, WallClock(), BreakerLimits())
    yield Daemon(store, breaker)
    await store.close()


async def test_the_first_price_after_a_restart_is_checked_against_the_last_before_it(
    daemon: Daemon,
) -> None:
    began = start()
    before = daemon.gate()
    assert await before.check(at_price(began, "60000")) is None
    await daemon.keep(at_price(began, "60000"))

    restarted = daemon.gate()  # a new process: nothing in memory
    problem = await restarted.check(at_price(began, "72000", minutes=5))

    assert problem is not None
    assert "moved 20.00%" in problem
    assert f"last good prices seen {began.isoformat()}" in problem
    assert daemon.breaker.state is BreakerState.HALTED


async def test_steps_within_the_limit_move_the_reference_along(daemon: Daemon) -> None:
    gate, began = daemon.gate(), start()
    for minutes, mid in enumerate(["60000", "66000", "72600", "79860"]):  # +10 % each
        assert await gate.check(at_price(began, mid, minutes)) is None
    assert daemon.breaker.state is BreakerState.ACTIVE


async def test_a_person_resuming_accepts_the_prices_as_they_are(daemon: Daemon) -> None:
    gate, began = daemon.gate(), start()
    assert await gate.check(at_price(began, "60000")) is None
    assert await gate.check(at_price(began, "72000", 1)) is not None  # halted
    await daemon.breaker.resume("ops")

    assert await gate.check(at_price(began, "72000", 20)) is None  # after the resume
    assert await gate.check(at_price(began, "90000", 21)) is not None  # 72,000 is the reference
