"""The event hub: log first, then every subscriber's own bounded queue; nobody waits on a sink."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    BreakerTransition,
    DomainEvent,
    Published,
    RoundPlanned,
    VenueRecovered,
)
from rebalancer.services.event_hub import EventHub, Mailbox

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)


def recovered(venue: str = "binance") -> VenueRecovered:
    return VenueRecovered(at=AT, venue=venue)


def halted() -> BreakerTransition:
    return BreakerTransition(
        at=AT,
        previous=BreakerState.ACTIVE,
        state=BreakerState.HALTED,
        reason="slippage",
        detail="too much",
    )


class Recording:
    """A subscriber that keeps what it gets; ``gate`` (when set) makes it wait first."""

    def __init__(self, name: str = "recording", gate: asyncio.Event | None = None) -> None:
        self.name = name
        self.gate = gate
        self.got: list[Published] = []
        self.arrived = asyncio.Event()

    async def deliver(self, published: Published) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.got.append(published)
        self.arrived.set()


class Failing:
    """A subscriber whose every delivery raises."""

    name = "failing"

    def __init__(self) -> None:
        self.calls = 0

    async def deliver(self, published: Published) -> None:
        self.calls += 1
        raise ConnectionError("the sink is down")


async def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Let the subscribers' tasks run until ``condition`` holds (fail after ``timeout_s``)."""
    for _ in range(int(timeout_s / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met in time")


async def test_every_subscriber_gets_every_event_in_order() -> None:
    hub = EventHub()
    first, second = Recording("first"), Recording("second")
    hub.subscribe(first)
    hub.subscribe(second)

    sent = [await hub.publish(recovered(f"v{i}")) for i in range(5)]
    await until(lambda: len(first.got) == 5 and len(second.got) == 5)

    assert first.got == sent
    assert second.got == sent
    assert [p.id for p in sent] == [1, 2, 3, 4, 5]
    await hub.aclose()


async def test_a_hanging_subscriber_does_not_delay_publishing_or_the_others() -> None:
    hub = EventHub()
    hanging = Recording("hanging", gate=asyncio.Event())  # never opened
    healthy = Recording("healthy")
    hub.subscribe(hanging)
    hub.subscribe(healthy)

    for i in range(50):
        await asyncio.wait_for(hub.publish(recovered(f"v{i}")), timeout=1.0)
    await until(lambda: len(healthy.got) == 50)

    assert hanging.got == []
    assert hub.stats()["hanging"].queued >= 49
    await hub.aclose(timeout_s=0.1)


async def test_a_failing_subscriber_is_counted_and_keeps_getting_the_next_events(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = EventHub()
    failing = Failing()
    hub.subscribe(failing)

    for _ in range(3):
        await hub.publish(recovered())
    await until(lambda: hub.stats()["failing"].failed == 3)

    assert failing.calls == 3
    assert hub.stats()["failing"].last_error == "ConnectionError: the sink is down"
    assert "event subscriber failing failed on VenueRecovered" in caplog.text
    await hub.aclose()


async def test_a_full_queue_drops_the_oldest_ordinary_event_and_counts_it() -> None:
    hub = EventHub()
    gate = asyncio.Event()
    slow = Recording("slow", gate=gate)
    hub.subscribe(slow, queue_size=3)
    await hub.publish(recovered("taken"))  # the subscriber's task holds this one at the gate
    await asyncio.sleep(0.01)

    for name in ("a", "b", "c", "d"):
        await hub.publish(recovered(name))
    gate.set()
    await until(lambda: len(slow.got) == 4)

    venues = [p.event.venue for p in slow.got]  # type: ignore[attr-defined]
    assert venues == ["taken", "b", "c", "d"]
    assert hub.stats()["slow"].dropped == 1
    await hub.aclose()


def test_a_critical_event_pushes_out_an_ordinary_one_never_the_reverse() -> None:
    box = Mailbox(2)
    ordinary, critical = Published(1, recovered()), Published(2, halted())
    assert box.offer(ordinary) is None
    assert box.offer(critical) is None
    another_critical = Published(3, halted())

    assert box.offer(another_critical) is ordinary
    late_ordinary = Published(4, recovered())
    assert box.offer(late_ordinary) is late_ordinary  # only critical ones queued: it gives way
    assert [item.id for item in box._items] == [2, 3]


async def test_the_log_gets_the_typed_name_and_payload_and_gives_the_id() -> None:
    class Journal:
        def __init__(self) -> None:
            self.rows: list[tuple[str, dict[str, object], str | None]] = []

        async def append_event(
            self, kind: str, payload: dict[str, object], run_id: str | None, at: datetime
        ) -> object:
            self.rows.append((kind, payload, run_id))

            class Row:
                id = 41 + len(self.rows)

            return Row()

    journal = Journal()
    hub = EventHub(journal)  # type: ignore[arg-type]
    event = RoundPlanned(
        at=AT, portfolio="core", run_id="r1", round=2, orders=3, transfers=1, notional=Decimal("5")
    )

    published = await hub.publish(event)

    assert published.id == 42
    assert journal.rows == [
        (
            "RoundPlanned",
            {
                "portfolio": "core",
                "round": 2,
                "orders": 3,
                "transfers": 1,
                "notional": "5",
                "estimated_cost": None,
            },
            "r1",
        )
    ]


async def test_a_scoped_sink_stamps_its_portfolio_on_events_without_one() -> None:
    hub = EventHub()
    sink = hub.scoped("core")

    stamped = await sink.publish(recovered())
    kept = await sink.publish(
        RoundPlanned(at=AT, portfolio="other", round=1, orders=0, transfers=0)
    )

    assert stamped.event.portfolio == "core"
    assert kept.event.portfolio == "other"


async def test_a_stream_reads_events_published_while_it_is_open() -> None:
    hub = EventHub()
    seen: list[DomainEvent] = []

    async def read() -> None:
        async with hub.stream("api") as subscription:
            ready.set()
            async for published in subscription:
                seen.append(published.event)
                if len(seen) == 2:
                    return

    ready = asyncio.Event()
    reader = asyncio.create_task(read())
    await ready.wait()
    await hub.publish(recovered("a"))
    await hub.publish(recovered("b"))
    await asyncio.wait_for(reader, 5.0)

    assert [e.venue for e in seen] == ["a", "b"]  # type: ignore[attr-defined]
    assert hub.stats()["api"].delivered == 2
    await hub.publish(recovered("after"))  # nobody listens any more: nothing queues
    assert hub.stats()["api"].queued == 0


async def test_closing_lets_subscribers_drain_what_was_queued() -> None:
    hub = EventHub()
    late = Recording("late")
    hub.subscribe(late)
    for i in range(10):
        await hub.publish(recovered(f"v{i}"))

    await hub.aclose(timeout_s=5.0)

    assert len(late.got) == 10
