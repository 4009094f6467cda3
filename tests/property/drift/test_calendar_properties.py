import calendar as stdlib_calendar
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.core.calendar import WEEKDAYS, is_scheduled, latest_on_or_before, next_after
from rebalancer.core.triggers import calendar_due, scheduled_instant
from rebalancer.domain.policy import CalendarEvery, CalendarRule

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))
month_lists = st.lists(st.integers(1, 12), min_size=1, max_size=12, unique=True)


@st.composite
def rules(draw: st.DrawFn) -> CalendarRule:
    every = draw(st.sampled_from(list(CalendarEvery)))
    if every is CalendarEvery.WEEKLY:
        return CalendarRule(every, draw(st.sampled_from(WEEKDAYS)).title())
    if every is CalendarEvery.ANNUALLY:
        month, day = draw(st.integers(1, 12)), draw(st.integers(1, 31))
        return CalendarRule(every, f"{month:02d}-{day:02d}")
    months = tuple(draw(month_lists))
    return CalendarRule(every, str(draw(st.integers(1, 31))), months)


@given(rule=rules(), day=days)
def test_no_scheduled_date_lies_between_the_latest_and_the_next(
    rule: CalendarRule, day: date
) -> None:
    latest, upcoming = latest_on_or_before(rule, day), next_after(rule, day)
    assert latest <= day < upcoming
    assert is_scheduled(rule, latest)
    assert is_scheduled(rule, upcoming)
    assert upcoming - latest <= timedelta(days=366)
    assert latest_on_or_before(rule, upcoming - timedelta(days=1)) == latest


@given(day=st.integers(1, 31), year=st.integers(1990, 2200), month=st.integers(1, 12))
def test_monthly_date_is_the_day_or_the_last_day_of_a_short_month(
    day: int, year: int, month: int
) -> None:
    rule = CalendarRule(CalendarEvery.MONTHLY, str(day))
    scheduled = next_after(rule, date(year, month, 1) - timedelta(days=1))
    length = stdlib_calendar.monthrange(year, month)[1]
    assert scheduled == date(year, month, min(day, length))


@given(year=st.integers(1990, 2200))
def test_annual_feb_29_is_the_last_day_of_february(year: int) -> None:
    rule = CalendarRule(CalendarEvery.ANNUALLY, "02-29")
    scheduled = next_after(rule, date(year, 1, 31))
    assert scheduled == date(year, 3, 1) - timedelta(days=1)


@given(rule=rules(), day=days, hours=st.integers(0, 24 * 400))
def test_calendar_is_due_iff_a_scheduled_instant_passed_since_the_last_rebalance(
    rule: CalendarRule, day: date, hours: int
) -> None:
    last = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=7)
    now = last + timedelta(hours=hours)
    due = calendar_due(rule, last, now)
    first_after_last = scheduled_instant(next_after(rule, last.date()))
    assert (due is not None) == (first_after_last <= now)
