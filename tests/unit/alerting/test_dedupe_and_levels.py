"""Levels per sink and de-duplication with a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rebalancer.alerting.dedupe import Deduper
from rebalancer.alerting.levels import CHAT_DEFAULTS, Level, LevelTable
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    EVENT_TYPES,
    BreakerTransition,
    OrderFilled,
    Published,
    VenueRecovered,
    VenueStale,
)

T0 = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def stale(at: datetime, event_id: int) -> Published:
    return Published(event_id, VenueStale(at=at, venue="okx", reasons=("quotes 31 s old",)))


def recovered(at: datetime, event_id: int) -> Published:
    return Published(event_id, VenueRecovered(at=at, venue="okx"))


def halt(event_id: int) -> Published:
    event = BreakerTransition(
        at=T0, previous=BreakerState.ACTIVE, state=BreakerState.HALTED, reason="r", detail="d"
    )
    return Published(event_id, event)


def test_every_event_has_a_chat_default() -> None:
    assert set(CHAT_DEFAULTS) == set(EVENT_TYPES) - {"DomainEvent"}


def test_the_sinks_table_overrides_the_shared_one_and_a_halt_is_always_on() -> None:
    table = LevelTable.for_chat(
        {"BreakerTransition": Level.OFF, "OrderFilled": Level.SILENT}, {"OrderFilled": Level.ON}
    )
    assert table.level(halt(1).event) is Level.ON  # critical, whatever the table says
    active = BreakerTransition(
        at=T0, previous=BreakerState.HALTED, state=BreakerState.ACTIVE, reason="r", detail=""
    )
    assert table.level(active) is Level.OFF
    assert OrderFilled.__name__ in table.levels
    assert table.levels["OrderFilled"] is Level.ON
    assert LevelTable.for_machine().levels["OrderFilled"] is Level.ON


def test_the_same_stale_venue_is_reported_once_per_window() -> None:
    deduper = Deduper(300)
    assert deduper.admit(stale(T0, 1), T0)
    assert deduper.admit(recovered(T0, 2), T0 + timedelta(seconds=10))
    assert not deduper.admit(stale(T0, 3), T0 + timedelta(seconds=20))  # flapping: held back
    assert not deduper.admit(recovered(T0, 4), T0 + timedelta(seconds=30))  # and its recovery
    assert deduper.due(T0 + timedelta(seconds=400)) == []
    assert deduper.admit(stale(T0, 5), T0 + timedelta(seconds=400))  # a new window


def test_a_held_back_stale_venue_that_stays_stale_is_reported_when_the_window_passes() -> None:
    deduper = Deduper(300)
    deduper.admit(stale(T0, 1), T0)
    deduper.admit(recovered(T0, 2), T0 + timedelta(seconds=10))
    held = stale(T0, 3)
    assert not deduper.admit(held, T0 + timedelta(seconds=20))
    assert deduper.due(T0 + timedelta(seconds=200)) == []
    assert deduper.due(T0 + timedelta(seconds=301)) == [held]
    assert deduper.due(T0 + timedelta(seconds=302)) == []


def test_a_second_halt_after_a_resume_is_never_held_back() -> None:
    deduper = Deduper(300)
    assert deduper.admit(halt(1), T0)
    assert deduper.admit(halt(7), T0 + timedelta(seconds=5))
    assert not deduper.admit(halt(7), T0 + timedelta(seconds=6))  # the same logged event again
