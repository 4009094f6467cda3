"""The dates a calendar rule schedules a rebalance on (docs/config.md).

* weekly: every given weekday ("Monday" .. "Sunday", any case);
* monthly: day 1..31 of every month, where a day past the month's end means its last day;
* quarterly: the same day in the rule's months (January, April, July, October by default);
* annually: "MM-DD" once a year; "02-29" in a non-leap year means 28 February.

A scheduled date stands for the instant 00:00 UTC of that date. The functions here work on dates
only; ``rebalancer.core.triggers`` turns them into instants.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.policy import CalendarEvery, CalendarRule

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS_PER_YEAR = 12


def weekday_of(rule: CalendarRule) -> int:
    """The weekday a weekly rule names (Monday is 0)."""
    name = rule.day.strip().lower()
    if name not in WEEKDAYS:
        raise InvalidValue(
            f"calendar.day: expected a weekday name (Monday..Sunday), got {rule.day!r}"
        )
    return WEEKDAYS.index(name)


def day_of_month(rule: CalendarRule) -> int:
    """The day 1..31 a monthly or quarterly rule names."""
    text = rule.day.strip()
    if not text.isdigit() or not 1 <= int(text) <= 31:
        raise InvalidValue(f"calendar.day: expected a day of the month 1..31, got {rule.day!r}")
    return int(text)


def month_and_day(rule: CalendarRule) -> tuple[int, int]:
    """The (month, day) an annual rule names as "MM-DD"."""
    month_text, sep, day_text = rule.day.strip().partition("-")
    if sep and month_text.isdigit() and day_text.isdigit():
        month, day = int(month_text), int(day_text)
        if 1 <= month <= 12 and 1 <= day <= 31:
            return month, day
    raise InvalidValue(f"calendar.day: expected a date as MM-DD (e.g. 01-15), got {rule.day!r}")


def rule_months(rule: CalendarRule) -> tuple[int, ...]:
    """The months a monthly-kind rule fires in, sorted."""
    if rule.every is CalendarEvery.MONTHLY:
        return tuple(range(1, 13))
    if rule.every is CalendarEvery.ANNUALLY:
        return (month_and_day(rule)[0],)
    months = tuple(sorted(set(rule.months)))
    if not months or any(not 1 <= month <= 12 for month in months):
        raise InvalidValue(f"calendar.months: expected months 1..12, got {list(rule.months)!r}")
    return months


def clamped_date(year: int, month: int, day: int) -> date:
    """``day`` of the month, or the month's last day when the month is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def validate(rule: CalendarRule) -> None:
    """Raise InvalidValue naming the field when ``rule`` cannot schedule anything."""
    if rule.every is CalendarEvery.WEEKLY:
        weekday_of(rule)
    else:
        _nominal_day(rule)
        rule_months(rule)


def latest_on_or_before(rule: CalendarRule, day: date) -> date:
    """The last scheduled date that is ``day`` or earlier."""
    if rule.every is CalendarEvery.WEEKLY:
        return day - timedelta(days=(day.weekday() - weekday_of(rule)) % 7)
    return next(d for d in _month_dates(rule, day.year, day.month, step=-1) if d <= day)


def next_after(rule: CalendarRule, day: date) -> date:
    """The first scheduled date strictly after ``day``."""
    if rule.every is CalendarEvery.WEEKLY:
        return day + timedelta(days=(weekday_of(rule) - day.weekday() - 1) % 7 + 1)
    return next(d for d in _month_dates(rule, day.year, day.month, step=1) if d > day)


def is_scheduled(rule: CalendarRule, day: date) -> bool:
    """True when ``day`` is one of the rule's dates."""
    return latest_on_or_before(rule, day) == day


def _nominal_day(rule: CalendarRule) -> int:
    if rule.every is CalendarEvery.ANNUALLY:
        return month_and_day(rule)[1]
    return day_of_month(rule)


def _month_dates(rule: CalendarRule, year: int, month: int, step: int) -> Iterator[date]:
    """The rule's dates from (year, month) onwards in the direction of ``step`` (+1 or -1).

    Every rule fires at least once a year, so callers find their date within 13 months.
    """
    months = rule_months(rule)
    day = _nominal_day(rule)
    index = year * _MONTHS_PER_YEAR + month - 1
    for _ in range(2 * _MONTHS_PER_YEAR + 1):
        current_year, current_month = divmod(index, _MONTHS_PER_YEAR)
        if current_month + 1 in months:
            yield clamped_date(current_year, current_month + 1, day)
        index += step
