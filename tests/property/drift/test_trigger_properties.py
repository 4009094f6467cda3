from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.core.drift import AssetDrift, DriftReport
from rebalancer.core.triggers import decide
from rebalancer.domain.policy import CalendarEvery, CalendarRule, Policy
from rebalancer.domain.runs import Trigger

D = Decimal
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
calendars = st.one_of(
    st.none(),
    st.builds(CalendarRule, st.just(CalendarEvery.MONTHLY), st.integers(1, 31).map(str)),
    st.builds(CalendarRule, st.just(CalendarEvery.WEEKLY), st.sampled_from(["Monday", "Friday"])),
)


def report(breached: bool) -> DriftReport:
    weight = D("60") if breached else D("50")
    btc = AssetDrift("BTC", weight, D("50"), D("45"), D("55"), breached)
    return DriftReport("p", D("100"), (btc,))


def policy(calendar: CalendarRule | None, cooldown_days: int) -> Policy:
    weights = {"BTC": D("50"), "USDT": D("50")}
    return Policy("p", "USDT", ("v",), weights, calendar=calendar, cooldown_days=cooldown_days)


@given(
    last=moments,
    elapsed_s=st.integers(0, 90 * 86400),
    cooldown=st.integers(0, 60),
    calendar=calendars,
    breached=st.booleans(),
)
def test_automatic_triggers_never_run_inside_the_cooldown(
    last: datetime, elapsed_s: int, cooldown: int, calendar: CalendarRule | None, breached: bool
) -> None:
    now = last + timedelta(seconds=elapsed_s)
    decision = decide(report(breached), policy(calendar, cooldown), last_rebalance_at=last, now=now)
    if decision.should_run:
        assert now >= last + timedelta(days=cooldown)
        assert decision.trigger in {Trigger.DRIFT, Trigger.CALENDAR}
    else:
        assert decision.trigger is None
    if breached and now >= last + timedelta(days=cooldown):
        assert decision.trigger is Trigger.DRIFT


@given(
    last=st.one_of(st.none(), moments),
    elapsed_s=st.integers(0, 90 * 86400),
    cooldown=st.integers(0, 60),
    calendar=calendars,
)
def test_a_manual_request_always_runs(
    last: datetime | None, elapsed_s: int, cooldown: int, calendar: CalendarRule | None
) -> None:
    now = (last or datetime(2024, 1, 1, tzinfo=UTC)) + timedelta(seconds=elapsed_s)
    decision = decide(
        report(False), policy(calendar, cooldown), last_rebalance_at=last, now=now, manual=True
    )
    assert decision.should_run
    assert decision.trigger is Trigger.MANUAL


@given(now=moments, calendar=calendars)
def test_next_calendar_date_is_after_today(now: datetime, calendar: CalendarRule | None) -> None:
    decision = decide(report(False), policy(calendar, 0), last_rebalance_at=now, now=now)
    if calendar is None:
        assert decision.next_calendar_date is None
    else:
        assert decision.next_calendar_date is not None
        assert decision.next_calendar_date > now.date()
