"""Events another process logs reach this daemon's subscribers once; its own never twice."""

from __future__ import annotations

from datetime import UTC, datetime

from rebalancer.domain.events import Published, RunApproved, VenueRecovered
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import Trigger
from rebalancer.persistence import SqlStore
from rebalancer.services.event_hub import FOLLOW_BATCH, EventHub

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)


class Keeping:
    name = "keeping"

    def __init__(self) -> None:
        self.got: list[Published] = []

    async def deliver(self, published: Published) -> None:
        self.got.append(published)


async def test_an_approval_from_another_process_reaches_the_daemons_subscribers(
    store: SqlStore,
) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    daemon, shell = EventHub(store), EventHub(store)  # one log, two processes' hubs
    await shell.publish(VenueRecovered(at=AT, venue="before"))  # history: not replayed
    await daemon.follow_log_from_now()
    keeping = Keeping()
    subscription = daemon.subscribe(keeping)

    mine = await daemon.publish(VenueRecovered(at=AT, venue="binance"))
    theirs = await shell.publish(RunApproved(at=AT, portfolio="core", run_id=run.id, by="bob"))
    assert await daemon.catch_up() == 1
    assert await daemon.catch_up() == 0  # nothing new: nothing again
    await daemon.aclose()

    assert [p.id for p in keeping.got] == [mine.id, theirs.id]
    assert keeping.got[1].event == theirs.event
    assert subscription.stats.delivered == 2


async def test_a_burst_longer_than_one_page_reaches_the_subscribers_whole_and_in_order(
    store: SqlStore,
) -> None:
    daemon, shell = EventHub(store), EventHub(store)
    await daemon.follow_log_from_now()
    keeping = Keeping()
    daemon.subscribe(keeping)
    burst = FOLLOW_BATCH * 2 + 7  # written by another process between two looks
    theirs = [await shell.publish(VenueRecovered(at=AT, venue=f"v{i}")) for i in range(burst)]

    assert await daemon.catch_up() == burst
    assert await daemon.catch_up() == 0
    await daemon.aclose()

    assert [p.id for p in keeping.got] == [p.id for p in theirs]
