"""The set-aside keeper on a real SQLite store: recorded after a withdraw, kept out of every
snapshot, paid down and released as the venue's balance falls with no run or transfer of ours,
kept when a run of ours explains the fall, warned of and released at expiry.

The venues are hand-made snapshots handed out by a plain function (the keeper's snapshot
source is a callable); the store, the event hub and the keeper are the daemon's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.planner.builders import market, policy, snapshot, venue

from rebalancer.domain.plan import RunType
from rebalancer.domain.records import RunRecord, TransferRecord, TransferState
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.set_asides import ReleaseCause
from rebalancer.domain.snapshot import Snapshot
from rebalancer.persistence import SqlStore, open_store, sqlite_url
from rebalancer.services.event_hub import EventHub
from rebalancer.services.set_asides import SetAsideKeeper

D = Decimal
START = datetime(2026, 12, 1, tzinfo=UTC)
RULES = policy({"BTC": "80", "USDT": "20"}, venues=("x", "y"), cash_reserve={"x": D("100")})


@dataclass
class Clock:
    """Time moves only when the test says so."""

    current: datetime = START

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@dataclass
class Venues:
    """What the venues hold now: USDT per venue (and 1 BTC on each)."""

    cash: dict[str, str] = field(default_factory=lambda: {"x": "7000", "y": "1000"})

    async def read(self) -> Snapshot:
        btc = market("BTC", "39990", "40010", step="0.00001")
        return snapshot(
            {name: venue({"BTC": "1", "USDT": c}, btc) for name, c in self.cash.items()}
        )


@dataclass
class World:
    store: SqlStore
    clock: Clock
    venues: Venues
    keeper: SetAsideKeeper

    async def kinds(self) -> list[str]:
        return [e.kind for e in await self.store.events(limit=100) if e.kind.startswith("SetAside")]

    async def run(
        self,
        run_type: RunType,
        status: RunStatus,
        amount: str | None = None,
        venue: str | None = None,
    ) -> RunRecord:
        """A run of ours that ends now (the clock steps a second first)."""
        self.clock.current += timedelta(seconds=1)
        made = await self.store.create_run(
            "core",
            run_type,
            Trigger.MANUAL,
            amount=None if amount is None else D(amount),
            venue=venue,
            at=self.clock.now(),
        )
        return await self.store.set_run_status(made.id, status, at=self.clock.now())

    async def withdrawn(self, amount: str, venue: str | None = "x") -> None:
        """A withdraw run ended FILLED on what the venues hold now; the keeper records it."""
        run = await self.run(RunType.WITHDRAW, RunStatus.FILLED, amount, venue)
        last = await self.keeper.take_snapshot()
        self.clock.current += timedelta(seconds=1)
        await self.keeper.after_run(run, RULES, last)

    async def cash(self, venue: str) -> Decimal:
        """The venue's USDT as the keeper hands it on (one check, a second later)."""
        self.clock.current += timedelta(seconds=1)
        return (await self.keeper.take_snapshot()).venue(venue).balance("USDT")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = Clock()
    store = await open_store(sqlite_url(tmp_path), clock=clock)
    venues = Venues()
    keeper = SetAsideKeeper(RULES, store, clock, EventHub(store), venues.read, days=30)
    try:
        yield World(store, clock, venues, keeper)
    finally:
        await store.close()


async def test_a_withdraw_sets_its_cash_aside_and_every_snapshot_keeps_it_out(world: World) -> None:
    await world.withdrawn("5000")

    (held,) = await world.store.set_asides("core")
    assert (held.venue, held.amount, held.seen_balance) == ("x", D("5000"), D("7000"))
    assert held.expires_at == held.created_at + timedelta(days=30)
    assert await world.cash("x") == D("2000")
    assert await world.cash("y") == D("1000")
    assert await world.kinds() == ["SetAsideRecorded"]


async def test_a_withdraw_that_raised_less_sets_aside_what_is_free(world: World) -> None:
    await world.withdrawn("9000")  # x holds 6,900 above its reserve

    (held,) = await world.store.set_asides("core")
    assert held.amount == D("6900")


async def test_a_withdraw_anywhere_is_set_aside_where_the_most_cash_is_first(
    world: World,
) -> None:
    await world.withdrawn("7500", venue=None)

    held = {s.venue: s.amount for s in await world.store.set_asides("core")}
    assert held == {"x": D("6900"), "y": D("600")}


async def test_the_cash_leaving_releases_it_and_changes_nothing_the_daemon_sees(
    world: World,
) -> None:
    await world.withdrawn("5000")
    before = await world.cash("x")

    world.venues.cash["x"] = "2000"  # a person took the 5,000 off the venue
    after = await world.cash("x")

    assert before == after == D("2000")
    assert await world.store.set_asides("core") == []
    (gone,) = await world.store.set_asides("core", active_only=False)
    assert (gone.release_cause, gone.released_by) == ("withdrawn", "daemon")
    assert await world.kinds() == ["SetAsideRecorded", "SetAsideReleased"]


async def test_a_smaller_fall_pays_that_part_and_keeps_the_rest(world: World) -> None:
    await world.withdrawn("5000")

    world.venues.cash["x"] = "4000"  # 3,000 of the 5,000 paid out
    assert await world.cash("x") == D("2000")  # what the daemon sees does not move

    (held,) = await world.store.set_asides("core")
    assert (held.amount, held.seen_balance) == (D("2000"), D("4000"))
    world.venues.cash["x"] = "2000"  # the rest
    assert await world.cash("x") == D("2000")
    assert await world.store.set_asides("core") == []
    assert await world.kinds() == ["SetAsideRecorded", "SetAsideReduced", "SetAsideReleased"]


async def test_a_fall_counts_from_the_high_point_since(world: World) -> None:
    await world.withdrawn("5000")
    world.venues.cash["x"] = "8000"  # 1,000 from somewhere (not ours)
    assert await world.cash("x") == D("3000")

    world.venues.cash["x"] = "3000"

    assert await world.cash("x") == D("3000")
    assert await world.store.set_asides("core") == []


async def test_a_fall_a_run_of_ours_explains_releases_nothing(world: World) -> None:
    await world.withdrawn("5000")
    world.venues.cash["x"] = "1000"  # our full run bought with 6,000 (it ends below)
    await world.run(RunType.FULL, RunStatus.FILLED)

    assert await world.cash("x") == D("0")
    (held,) = await world.store.set_asides("core")
    assert held.seen_balance == D("1000")  # watched from what the run left
    world.venues.cash["x"] = "0"  # 1,000 of it paid out now
    await world.cash("x")
    (held,) = await world.store.set_asides("core")
    assert held.amount == D("4000")


async def test_nothing_is_released_while_a_run_or_a_transfer_of_ours_is_going(
    world: World,
) -> None:
    await world.withdrawn("5000")
    going = await world.store.create_run("core", RunType.FULL, Trigger.DRIFT, at=world.clock.now())
    world.venues.cash["x"] = "2000"

    await world.cash("x")

    assert len(await world.store.set_asides("core")) == 1
    ended = await world.store.set_run_status(going.id, RunStatus.FAILED, at=world.clock.now())
    await world.store.record_transfer(
        TransferRecord(
            id="t-1",
            run_id=ended.id,
            node_id="t1",
            asset="USDT",
            network="TRC20",
            source="x",
            destination="y",
            amount=D("10"),
            state=TransferState.SUBMITTED,
            created_at=world.clock.now(),
            updated_at=world.clock.now(),
        )
    )
    await world.cash("x")
    assert len(await world.store.set_asides("core")) == 1


async def test_an_expiry_is_warned_of_once_and_then_releases_the_cash(world: World) -> None:
    await world.withdrawn("5000")

    world.clock.current += timedelta(days=29, hours=1)
    await world.cash("x")
    await world.cash("x")
    assert await world.kinds() == ["SetAsideRecorded", "SetAsideExpiring"]

    world.clock.current += timedelta(days=1)
    assert await world.cash("x") == D("7000")
    (gone,) = await world.store.set_asides("core", active_only=False)
    assert gone.release_cause == "expired"
    assert await world.kinds() == ["SetAsideRecorded", "SetAsideExpiring", "SetAsideReleased"]


async def test_other_runs_set_nothing_aside(world: World) -> None:
    for kind, status in (
        (RunType.FULL, RunStatus.FILLED),
        (RunType.LIQUIDATE, RunStatus.FILLED),
        (RunType.WITHDRAW, RunStatus.FAILED),
    ):
        run = await world.run(kind, status, "5000" if kind is RunType.WITHDRAW else None)
        await world.keeper.after_run(run, RULES, await world.keeper.take_snapshot())

    assert await world.store.set_asides("core", active_only=False) == []


async def test_a_release_in_the_middle_of_a_run_takes_effect_after_it(world: World) -> None:
    await world.withdrawn("5000")
    assert await world.cash("x") == D("2000")  # the check a drift run starts from
    going = await world.store.create_run("core", RunType.FULL, Trigger.DRIFT, at=world.clock.now())

    (held,) = await world.store.set_asides("core")
    await world.store.release_set_aside(held.id, ReleaseCause.RELEASED, by="alice")

    assert await world.cash("x") == D("2000")  # its rounds see what it started from
    await world.store.set_run_status(going.id, RunStatus.FILLED, at=world.clock.now())
    assert await world.cash("x") == D("7000")  # the next check: counted again


async def test_a_run_started_after_a_restart_reads_what_is_held_at_its_first_snapshot(
    world: World,
) -> None:
    await world.withdrawn("5000")
    fresh = SetAsideKeeper(
        RULES, world.store, world.clock, EventHub(world.store), world.venues.read
    )
    await world.store.create_run("core", RunType.FULL, Trigger.MANUAL, at=world.clock.now())

    assert (await fresh.take_snapshot()).venue("x").balance("USDT") == D("2000")
