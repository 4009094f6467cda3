"""When a recurring run is due: the latest date of its calendar rule, not before it was seen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import CalendarEvery, CalendarRule
from rebalancer.domain.requests import ScheduledRun
from rebalancer.services.recurring import due_date, schedule_key

MONTHLY_31 = ScheduledRun(
    RunType.WITHDRAW, CalendarRule(CalendarEvery.MONTHLY, "31"), Decimal(20000), "binance"
)
MONDAYS = ScheduledRun(RunType.INVEST_CASH, CalendarRule(CalendarEvery.WEEKLY, "Monday"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("entry", "first_seen", "now", "due"),
    [
        # seen before the date: due from 00:00 UTC of the date on, until the next date
        (MONTHLY_31, "2024-01-10", "2024-01-31 00:00", date(2024, 1, 31)),
        (MONTHLY_31, "2024-01-10", "2024-02-15 12:00", date(2024, 1, 31)),
        (MONTHLY_31, "2024-01-10", "2024-02-29 09:00", date(2024, 2, 29)),  # the month's last day
        (MONTHLY_31, "2024-01-10", "2024-01-30 23:59", None),
        # seen after the latest date: the next one, not the one that already passed
        (MONTHLY_31, "2024-02-05", "2024-02-20 00:00", None),
        # seen on the date itself: that date counts
        (MONDAYS, "2024-03-04 10:00", "2024-03-04 10:00", date(2024, 3, 4)),
        (MONDAYS, "2024-03-04 10:00", "2024-03-10 23:00", date(2024, 3, 4)),
        (MONDAYS, "2024-03-05", "2024-03-10 23:00", None),
        (MONDAYS, "2024-03-05", "2024-03-11 00:00", date(2024, 3, 11)),
    ],
)
def test_an_entry_is_due_for_its_latest_date_once_seen(
    entry: ScheduledRun, first_seen: str, now: str, due: date | None
) -> None:
    assert due_date(entry, at(first_seen), at(now)) == due


def test_the_key_names_the_portfolio_the_entry_and_the_date() -> None:
    key = schedule_key("core", MONTHLY_31, date(2024, 1, 31))

    assert key == "schedule:core:withdraw:20000:binance:monthly:31::2024-01-31"
    assert key != schedule_key("core", MONTHLY_31, date(2024, 2, 29))
    assert key != schedule_key("core", MONDAYS, date(2024, 1, 31))
