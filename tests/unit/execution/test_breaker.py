from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.core.breaker import Breaker, BreakerLimits, TripReason, slippage_bps
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.market import OrderSide

NOW = datetime(2024, 3, 1, tzinfo=UTC)


def test_new_breaker_is_active_and_allows_buys_and_sells() -> None:
    breaker = Breaker()
    assert breaker.state is BreakerState.ACTIVE
    assert breaker.allows(OrderSide.BUY)
    assert breaker.allows(OrderSide.SELL)
    assert breaker.allows(None)


def test_three_failures_in_a_row_halt_and_say_why() -> None:
    breaker = Breaker(limits=BreakerLimits(max_consecutive_failures=3))
    events = []
    for n in range(3):
        breaker, event = breaker.record_failure(f"order {n} rejected", NOW)
        events.append(event)
    assert events[:2] == [None, None]
    assert events[2] is not None
    assert events[2].state is BreakerState.HALTED
    assert events[2].reason is TripReason.REPEATED_FAILURES
    assert "order 2 rejected" in events[2].detail
    assert not breaker.allows(OrderSide.SELL)


def test_a_success_resets_the_failure_streak() -> None:
    breaker = Breaker(limits=BreakerLimits(max_consecutive_failures=2))
    breaker, _ = breaker.record_failure("one", NOW)
    breaker = breaker.record_success()
    breaker, event = breaker.record_failure("two", NOW)
    assert event is None
    assert breaker.state is BreakerState.ACTIVE


def test_slippage_beyond_limit_moves_to_reducing_which_still_allows_sells() -> None:
    breaker = Breaker(limits=BreakerLimits(max_slippage_bps=Decimal(50)))
    breaker, event = breaker.check_slippage(OrderSide.BUY, Decimal(100), Decimal("100.6"), NOW)
    assert event is not None
    assert event.state is BreakerState.REDUCING
    assert breaker.allows(OrderSide.SELL)
    assert not breaker.allows(OrderSide.BUY)
    assert not breaker.allows(None)


def test_slippage_within_limit_or_in_our_favour_does_not_trip() -> None:
    breaker = Breaker(limits=BreakerLimits(max_slippage_bps=Decimal(50)))
    assert breaker.check_slippage(OrderSide.BUY, Decimal(100), Decimal("100.5"), NOW)[1] is None
    assert breaker.check_slippage(OrderSide.SELL, Decimal(100), Decimal(110), NOW)[1] is None


def test_slippage_is_measured_against_the_side() -> None:
    assert slippage_bps(OrderSide.SELL, Decimal(100), Decimal(99)) == Decimal(100)
    assert slippage_bps(OrderSide.BUY, Decimal(100), Decimal(99)) == Decimal(-100)


@pytest.mark.parametrize(
    "reason",
    [
        TripReason.RECONCILIATION_MISMATCH,
        TripReason.STALE_DATA,
        TripReason.PRICE_CHECK,
        TripReason.TRANSFER_OVERDUE,
    ],
)
def test_data_problems_halt(reason: TripReason) -> None:
    breaker, event = Breaker().trip(reason, "details", NOW)
    assert breaker.state is BreakerState.HALTED
    assert event is not None
    assert event.previous is BreakerState.ACTIVE


def test_a_milder_trip_never_lowers_a_halt_but_its_cause_is_kept() -> None:
    halted, _ = Breaker().trip(TripReason.STALE_DATA, "binance quotes 90 s old", NOW)
    still, event = halted.trip(TripReason.SLIPPAGE, "bad fill", NOW)
    assert event is None
    assert still.state is BreakerState.HALTED
    assert [c.reason for c in still.causes] == [TripReason.STALE_DATA, TripReason.SLIPPAGE]


def test_only_an_explicit_resume_returns_to_active_and_clears_causes() -> None:
    halted, _ = Breaker().trip(TripReason.PRICE_CHECK, "BTC jumped 12%", NOW)
    resumed, event = halted.resume("alice", NOW + timedelta(minutes=5))
    assert resumed.state is BreakerState.ACTIVE
    assert resumed.causes == ()
    assert event is not None
    assert event.is_resume
    assert "alice" in event.detail


def test_resuming_an_active_breaker_is_not_a_transition() -> None:
    assert Breaker().resume("bob", NOW)[1] is None


def test_trip_to_active_is_refused() -> None:
    with pytest.raises(ValueError, match="resume"):
        Breaker().trip(TripReason.MANUAL, "x", NOW, to=BreakerState.ACTIVE)


_ORDER = {BreakerState.ACTIVE: 0, BreakerState.REDUCING: 1, BreakerState.HALTED: 2}
actions = st.lists(
    st.one_of(
        st.tuples(st.just("trip"), st.sampled_from(list(TripReason))),
        st.tuples(st.just("fail"), st.none()),
        st.tuples(st.just("ok"), st.none()),
        st.tuples(st.just("resume"), st.none()),
    ),
    max_size=30,
)


@given(actions)
def test_state_only_becomes_less_cautious_through_resume_and_every_change_is_an_event(
    steps: list[tuple[str, TripReason | None]],
) -> None:
    breaker = Breaker()
    for kind, reason in steps:
        before = breaker.state
        event = None
        if kind == "trip":
            assert reason is not None
            breaker, event = breaker.trip(reason, "x", NOW)
        elif kind == "fail":
            breaker, event = breaker.record_failure("x", NOW)
        elif kind == "ok":
            breaker = breaker.record_success()
        else:
            breaker, event = breaker.resume("ops", NOW)
        if kind != "resume":
            assert _ORDER[breaker.state] >= _ORDER[before]
        changed = breaker.state is not before
        assert changed == (event is not None)
        if event is not None:
            assert (event.previous, event.state) == (before, breaker.state)
        if breaker.state is BreakerState.HALTED:
            assert not breaker.allows(OrderSide.SELL)
