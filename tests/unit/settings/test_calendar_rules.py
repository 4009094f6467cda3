"""Calendar days must fit ``every`` (contracts.md §1) and come out in one canonical form."""

from __future__ import annotations

import pytest
from tests.unit.settings.conftest import Load, Problems

from rebalancer.domain.policy import CalendarEvery

CALENDAR = 'every = "monthly"\nday = "1"'


def calendar(every: str, day: str, months: str = "") -> dict[str, str]:
    """Replace the base calendar with ``every``, ``day`` and optional ``months``."""
    lines = f'every = "{every}"\nday = {day}'
    return {CALENDAR: lines + (f"\nmonths = {months}" if months else "")}


@pytest.mark.parametrize(
    ("every", "day", "canonical"),
    [
        ("weekly", '"Monday"', "Monday"),
        ("weekly", '"sunday"', "Sunday"),
        ("monthly", '"1"', "1"),
        ("monthly", '"31"', "31"),
        ("monthly", "15", "15"),
        ("monthly", '"05"', "5"),
        ("quarterly", '"28"', "28"),
        ("annually", '"03-01"', "03-01"),
        ("annually", '"02-29"', "02-29"),
        ("annually", '"12-31"', "12-31"),
    ],
)
def test_valid_days_load_in_canonical_form(
    load: Load, every: str, day: str, canonical: str
) -> None:
    rule = load(calendar(every, day)).policy("core").calendar
    assert rule is not None
    assert rule.every is CalendarEvery(every)
    assert rule.day == canonical


@pytest.mark.parametrize(
    ("every", "day", "expected"),
    [
        ("weekly", '"Funday"', "a weekday Monday..Sunday"),
        ("weekly", '"1"', "a weekday Monday..Sunday"),
        ("monthly", '"0"', "a day of the month 1..31"),
        ("monthly", '"32"', "a day of the month 1..31"),
        ("monthly", '"Monday"', "a day of the month 1..31"),
        ("quarterly", '"-1"', "a day of the month 1..31"),
        ("annually", '"02-30"', 'a date MM-DD such as "03-01" (02-29 is allowed)'),
        ("annually", '"04-31"', 'a date MM-DD such as "03-01" (02-29 is allowed)'),
        ("annually", '"13-01"', 'a date MM-DD such as "03-01" (02-29 is allowed)'),
        ("annually", '"3-1"', 'a date MM-DD such as "03-01" (02-29 is allowed)'),
        ("annually", '"1"', 'a date MM-DD such as "03-01" (02-29 is allowed)'),
    ],
)
def test_a_day_that_does_not_fit_every_is_refused(
    problems: Problems, every: str, day: str, expected: str
) -> None:
    found = problems(calendar(every, day))
    shown = day.strip('"')
    assert found == [
        f'FILE: portfolios.core.calendar.day: expected {expected} for every = "{every}", '
        f'got "{shown}"'
    ]


def test_unknown_every_is_refused(problems: Problems) -> None:
    found = problems(calendar("daily", '"1"'))
    assert found == [
        "FILE: portfolios.core.calendar.every: expected 'weekly', 'monthly', 'quarterly' or "
        "'annually', got \"daily\""
    ]


def test_quarterly_defaults_to_january_april_july_october(load: Load) -> None:
    rule = load(calendar("quarterly", '"1"')).policy("core").calendar
    assert rule is not None
    assert rule.months == (1, 4, 7, 10)


def test_quarterly_months_may_be_any_list(load: Load) -> None:
    rule = load(calendar("quarterly", '"1"', "[12, 3, 6]")).policy("core").calendar
    assert rule is not None
    assert rule.months == (3, 6, 12)


def test_months_only_apply_to_quarterly(problems: Problems) -> None:
    found = problems(calendar("monthly", '"1"', "[1, 7]"))
    assert found == [
        'FILE: portfolios.core.calendar.months: only applies to every = "quarterly", not "monthly"'
    ]


@pytest.mark.parametrize(
    ("months", "message"),
    [
        ("[]", "needs at least one month"),
        ("[1, 1]", "lists a month more than once"),
    ],
)
def test_quarterly_months_must_be_distinct_and_present(
    problems: Problems, months: str, message: str
) -> None:
    found = problems(calendar("quarterly", '"1"', months))
    assert found == [f"FILE: portfolios.core.calendar.months: {message}"]


def test_a_month_outside_1_to_12_is_refused(problems: Problems) -> None:
    found = problems(calendar("quarterly", '"1"', "[1, 13]"))
    assert found == [
        "FILE: portfolios.core.calendar.months[1]: expected less than or equal to 12, got 13"
    ]
