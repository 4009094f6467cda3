"""The pure freshness rules market state applies, as functions of ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rebalancer.core.staleness import (
    FeedMode,
    FreshnessRules,
    feed_mode,
    is_silent,
    is_stale,
    reconnect_delay_s,
    venue_readiness,
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)
RULES = FreshnessRules(max_age_s=30, stream_silent_after_s=10)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_value_exactly_max_age_old_is_still_fresh_and_a_moment_later_stale() -> None:
    assert not is_stale(T0, at(30), 30)
    assert is_stale(T0, at(30.001), 30)


def test_a_missing_value_is_stale() -> None:
    assert is_stale(None, T0, 30)


def test_a_stream_that_never_spoke_is_silent_only_after_the_limit_from_its_start() -> None:
    assert not is_silent(None, T0, at(10), 10)
    assert is_silent(None, T0, at(11), 10)


def test_a_stream_that_spoke_recently_is_not_silent() -> None:
    assert not is_silent(at(100), T0, at(105), 10)


def test_any_quiet_stream_switches_the_venue_to_polling() -> None:
    assert feed_mode([]) is FeedMode.STREAMING
    assert feed_mode(["quotes"]) is FeedMode.POLLING


def test_fresh_venue_is_ready() -> None:
    readiness = venue_readiness(
        "binance",
        at(20),
        RULES,
        markets_loaded=True,
        balances_at=at(0),
        quotes_at={"BTC/USDT": at(15)},
        required_symbols=["BTC/USDT"],
    )
    assert readiness.ready
    assert readiness.reasons == ()


def test_stale_venue_lists_every_reason() -> None:
    readiness = venue_readiness(
        "okx",
        at(100),
        RULES,
        markets_loaded=False,
        balances_at=at(0),
        quotes_at={"BTC/USDT": at(60)},
        required_symbols=["ETH/USDT", "BTC/USDT"],
    )
    assert not readiness.ready
    assert readiness.reasons == (
        "markets not loaded",
        "balances older than 30s",
        "quote for BTC/USDT older than 30s",
        "no quote for ETH/USDT",
    )


def test_a_venue_without_balances_is_not_ready() -> None:
    readiness = venue_readiness(
        "okx",
        T0,
        RULES,
        markets_loaded=True,
        balances_at=None,
        quotes_at={},
        required_symbols=[],
    )
    assert readiness.reasons == ("no balances yet",)


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999])
def test_reconnect_delay_grows_then_caps_and_never_drops_below_half(draw: float) -> None:
    delays = [reconnect_delay_s(n, 0.5, 8, draw) for n in range(8)]
    assert delays == sorted(delays)
    assert all(d <= 8 for d in delays)
    assert delays[0] >= 0.25
    assert delays[-1] >= 4


def test_jitter_spreads_reconnects() -> None:
    assert reconnect_delay_s(3, 1, 60, 0.0) != reconnect_delay_s(3, 1, 60, 0.9)


def test_rules_refuse_nonpositive_limits() -> None:
    with pytest.raises(ValueError, match="max_age_s"):
        FreshnessRules(max_age_s=0, stream_silent_after_s=1)
    with pytest.raises(ValueError, match="draw"):
        reconnect_delay_s(0, 1, 2, 1.0)
