from datetime import date

import pytest

from rebalancer.core.calendar import is_scheduled, latest_on_or_before, next_after, validate
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.policy import CalendarEvery, CalendarRule


def rule(every: str, day: str, months: tuple[int, ...] = (1, 4, 7, 10)) -> CalendarRule:
    return CalendarRule(CalendarEvery(every), day, months)


def test_weekly_rule_fires_on_the_named_weekday_in_any_case() -> None:
    # 2024-03-04 is a Monday.
    assert next_after(rule("weekly", "monday"), date(2024, 3, 1)) == date(2024, 3, 4)
    assert next_after(rule("weekly", "Monday"), date(2024, 3, 4)) == date(2024, 3, 11)
    assert latest_on_or_before(rule("weekly", "MONDAY"), date(2024, 3, 4)) == date(2024, 3, 4)
    assert latest_on_or_before(rule("weekly", "Sunday"), date(2024, 3, 4)) == date(2024, 3, 3)


def test_monthly_day_past_month_end_means_the_last_day() -> None:
    r = rule("monthly", "31")
    assert next_after(r, date(2024, 3, 31)) == date(2024, 4, 30)
    assert next_after(r, date(2024, 4, 30)) == date(2024, 5, 31)
    assert next_after(r, date(2024, 1, 31)) == date(2024, 2, 29)
    assert next_after(r, date(2023, 1, 31)) == date(2023, 2, 28)
    assert latest_on_or_before(r, date(2023, 3, 15)) == date(2023, 2, 28)


def test_monthly_rule_crosses_the_year_end() -> None:
    assert next_after(rule("monthly", "1"), date(2024, 12, 2)) == date(2025, 1, 1)
    assert latest_on_or_before(rule("monthly", "15"), date(2025, 1, 14)) == date(2024, 12, 15)


def test_quarterly_defaults_to_january_april_july_october() -> None:
    r = rule("quarterly", "1")
    assert next_after(r, date(2024, 1, 1)) == date(2024, 4, 1)
    assert next_after(r, date(2024, 10, 1)) == date(2025, 1, 1)
    assert latest_on_or_before(r, date(2024, 6, 30)) == date(2024, 4, 1)


def test_quarterly_months_list_overrides_the_default() -> None:
    r = rule("quarterly", "30", (12, 3, 6, 1))
    assert next_after(r, date(2024, 1, 30)) == date(2024, 3, 30)
    assert next_after(r, date(2024, 12, 30)) == date(2025, 1, 30)
    assert latest_on_or_before(r, date(2024, 2, 29)) == date(2024, 1, 30)


def test_annual_feb_29_falls_on_feb_28_in_non_leap_years() -> None:
    r = rule("annually", "02-29")
    assert next_after(r, date(2023, 1, 1)) == date(2023, 2, 28)
    assert next_after(r, date(2023, 2, 28)) == date(2024, 2, 29)
    assert is_scheduled(r, date(2024, 2, 29))
    assert not is_scheduled(r, date(2024, 2, 28))
    assert latest_on_or_before(r, date(2026, 2, 27)) == date(2025, 2, 28)


def test_annual_rule_fires_once_a_year() -> None:
    r = rule("annually", "07-15")
    assert next_after(r, date(2024, 7, 15)) == date(2025, 7, 15)
    assert latest_on_or_before(r, date(2024, 7, 14)) == date(2023, 7, 15)


@pytest.mark.parametrize(
    ("every", "day", "months", "field"),
    [
        ("weekly", "Mon", (1,), "calendar.day"),
        ("monthly", "0", (1,), "calendar.day"),
        ("monthly", "32", (1,), "calendar.day"),
        ("monthly", "first", (1,), "calendar.day"),
        ("annually", "13-01", (1,), "calendar.day"),
        ("annually", "0229", (1,), "calendar.day"),
        ("quarterly", "1", (), "calendar.months"),
        ("quarterly", "1", (0, 13), "calendar.months"),
    ],
)
def test_a_rule_that_cannot_schedule_names_the_field(
    every: str, day: str, months: tuple[int, ...], field: str
) -> None:
    with pytest.raises(InvalidValue, match=field):
        validate(rule(every, day, months))
