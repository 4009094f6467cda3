from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from rebalancer.core.drift import AssetDrift, DriftReport
from rebalancer.core.triggers import calendar_due, decide
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.policy import BandType, CalendarEvery, CalendarRule, DriftBand, Policy
from rebalancer.domain.runs import Trigger

D = Decimal
MONTHLY_1 = CalendarRule(CalendarEvery.MONTHLY, "1")


def policy(calendar: CalendarRule | None = MONTHLY_1, cooldown_days: int = 2) -> Policy:
    return Policy(
        name="core",
        quote="USDT",
        venues=("binance",),
        weights={"BTC": D("50"), "USDT": D("50")},
        drift_band=DriftBand(BandType.ABSOLUTE, D("5")),
        calendar=calendar,
        cooldown_days=cooldown_days,
    )


def drift(btc_weight: str) -> DriftReport:
    weight = D(btc_weight)
    btc = AssetDrift("BTC", weight, D("50"), D("45"), D("55"), not D(45) <= weight <= D(55))
    cash = 100 - weight
    usdt = AssetDrift("USDT", cash, D("50"), D("45"), D("55"), not D(45) <= cash <= D(55))
    return DriftReport("core", D("1000"), (btc, usdt))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


IN_BAND, BREACHED = drift("52"), drift("58.5")


def test_in_band_portfolio_with_nothing_due_does_not_run() -> None:
    decision = decide(
        IN_BAND, policy(), last_rebalance_at=at("2024-03-01T06:00"), now=at("2024-03-20T12:00")
    )
    assert not decision.should_run
    assert decision.trigger is None
    assert decision.next_calendar_date == date(2024, 4, 1)


def test_drift_breach_runs_and_names_the_breached_assets() -> None:
    decision = decide(
        BREACHED, policy(), last_rebalance_at=at("2024-03-01T06:00"), now=at("2024-03-20T12:00")
    )
    assert decision.should_run
    assert decision.trigger is Trigger.DRIFT
    assert "BTC at 58.50% outside 45..55%" in decision.reason
    assert "USDT" in decision.reason


def test_calendar_is_due_once_its_instant_passed_since_the_last_rebalance() -> None:
    last = at("2024-03-01T06:00")
    decision = decide(IN_BAND, policy(), last_rebalance_at=last, now=at("2024-04-01T00:00"))
    assert decision.should_run
    assert decision.trigger is Trigger.CALENDAR
    assert "2024-04-01" in decision.reason
    assert decision.next_calendar_date == date(2024, 5, 1)


def test_calendar_is_not_due_just_before_midnight_utc() -> None:
    before = at("2024-03-31T23:59:59")
    assert calendar_due(MONTHLY_1, at("2024-03-01T06:00"), before) is None


def test_calendar_uses_utc_even_when_now_is_in_another_zone() -> None:
    # 2024-03-31T20:00-05:00 is 2024-04-01T01:00Z: April's date has passed.
    now = datetime(2024, 3, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert calendar_due(MONTHLY_1, at("2024-03-01T06:00"), now) == date(2024, 4, 1)


def test_rebalance_after_the_scheduled_instant_satisfies_it() -> None:
    assert calendar_due(MONTHLY_1, at("2024-04-01T00:00:01"), at("2024-04-01T09:00")) is None
    assert calendar_due(MONTHLY_1, at("2024-04-01T00:00"), at("2024-04-01T09:00")) is None


def test_never_rebalanced_portfolio_is_calendar_due() -> None:
    decision = decide(IN_BAND, policy(), last_rebalance_at=None, now=at("2024-03-20T12:00"))
    assert decision.trigger is Trigger.CALENDAR
    assert "2024-03-01" in decision.reason


def test_cooldown_holds_back_a_drift_breach_and_says_until_when() -> None:
    last = at("2024-03-19T12:00")
    decision = decide(BREACHED, policy(), last_rebalance_at=last, now=at("2024-03-21T11:59:59"))
    assert not decision.should_run
    assert "cooldown until 2024-03-21T12:00:00Z" in decision.reason
    assert "BTC" in decision.reason


def test_cooldown_ends_exactly_cooldown_days_after_the_last_rebalance() -> None:
    last = at("2024-03-19T12:00")
    decision = decide(BREACHED, policy(), last_rebalance_at=last, now=at("2024-03-21T12:00"))
    assert decision.should_run
    assert decision.trigger is Trigger.DRIFT


def test_calendar_date_missed_in_the_cooldown_runs_when_it_ends() -> None:
    last = at("2024-03-31T18:00")
    during = decide(IN_BAND, policy(), last_rebalance_at=last, now=at("2024-04-01T08:00"))
    after = decide(IN_BAND, policy(), last_rebalance_at=last, now=at("2024-04-02T18:00"))
    assert not during.should_run
    assert after.should_run
    assert after.trigger is Trigger.CALENDAR


def test_manual_trigger_ignores_the_cooldown() -> None:
    last = at("2024-03-20T11:00")
    decision = decide(
        IN_BAND, policy(), last_rebalance_at=last, now=at("2024-03-20T12:00"), manual=True
    )
    assert decision.should_run
    assert decision.trigger is Trigger.MANUAL


def test_drift_wins_over_calendar_and_both_reasons_are_given() -> None:
    decision = decide(
        BREACHED, policy(), last_rebalance_at=at("2024-03-01T06:00"), now=at("2024-04-03T00:00")
    )
    assert decision.trigger is Trigger.DRIFT
    assert "calendar: 2024-04-01 is due" in decision.reason


def test_drift_only_portfolio_has_no_next_calendar_date() -> None:
    decision = decide(
        IN_BAND, policy(calendar=None), last_rebalance_at=None, now=at("2024-03-20T12:00")
    )
    assert not decision.should_run
    assert decision.next_calendar_date is None


def test_naive_datetimes_are_refused_by_name() -> None:
    with pytest.raises(InvalidValue, match="now"):
        decide(IN_BAND, policy(), last_rebalance_at=None, now=datetime(2024, 3, 1))
