"""Property: every calendar day the config accepts is one the scheduler can schedule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from rebalancer.core import calendar as schedule
from rebalancer.domain.policy import CalendarEvery
from rebalancer.settings.triggers import WEEKDAYS, CalendarConfig

days = st.one_of(
    st.sampled_from(WEEKDAYS).map(str.lower),
    st.sampled_from(WEEKDAYS).map(str.upper),
    st.integers(min_value=-1, max_value=40).map(str),
    st.tuples(st.integers(0, 13), st.integers(0, 32)).map(lambda md: f"{md[0]:02d}-{md[1]:02d}"),
    st.text(max_size=6),
)


@given(every=st.sampled_from(list(CalendarEvery)), day=days)
def test_accepted_days_can_be_scheduled(every: CalendarEvery, day: str) -> None:
    try:
        rule = CalendarConfig.model_validate({"every": every.value, "day": day}).to_rule()
    except ValidationError:
        return
    schedule.validate(rule)  # raises InvalidValue if the scheduler could not use it
