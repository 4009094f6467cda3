"""Candles from what a venue quoted and traded: bars, gaps, alignment, volumes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.engine import CandleHistory, Engine, ManualClock, OrderKind, Timeframe

D = Decimal
MINUTE = 60_000
# 2023-11-14 22:13:20 UTC (the conftest clock): bars below start from a whole hour after it
T0 = 1_700_002_800_000  # 2023-11-14 23:00:00 UTC


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_minute_bars_hold_open_high_low_close_of_the_quotes() -> None:
    history = CandleHistory()
    for offset_s, price in ((0, "100"), (10, "104"), (20, "97"), (59, "101"), (61, "102")):
        history.observe_price(D(price), T0 + offset_s * 1000)
    bars = history.bars(Timeframe.of_minutes(1), now_ms=T0 + 61_000, limit=10)
    assert [(b.open_ms, b.open, b.high, b.low, b.close) for b in bars] == [
        (T0, D(100), D(104), D(97), D(101)),
        (T0 + MINUTE, D(102), D(102), D(102), D(102)),
    ]


def test_trades_add_volume_and_the_takers_buy_volume() -> None:
    history = CandleHistory()
    history.observe_price(D(100), T0)
    history.observe_trade(D(101), D(2), T0 + 1_000, taker_buys=True)
    history.observe_trade(D(99), D(1), T0 + 2_000, taker_buys=False)
    [bar] = history.bars(Timeframe.of_minutes(1), now_ms=T0 + 3_000, limit=1)
    assert (bar.high, bar.low, bar.close, bar.trades) == (D(101), D(99), D(99), 2)
    assert (bar.volume, bar.quote_volume) == (D(3), D(301))
    assert (bar.taker_buy_volume, bar.taker_buy_quote_volume) == (D(2), D(202))


def test_a_quiet_interval_repeats_the_last_close_with_no_volume() -> None:
    history = CandleHistory()
    history.observe_price(D(100), T0)
    history.observe_price(D(110), T0 + 3 * MINUTE)
    bars = history.bars(Timeframe.of_minutes(1), now_ms=T0 + 3 * MINUTE, limit=10)
    assert [(b.open, b.close, b.volume) for b in bars] == [
        (D(100), D(100), D(0)),
        (D(100), D(100), D(0)),
        (D(100), D(100), D(0)),
        (D(110), D(110), D(0)),
    ]


def test_nothing_is_reported_before_the_first_observation() -> None:
    history = CandleHistory()
    assert history.bars(Timeframe.of_minutes(1), now_ms=T0, limit=5) == []
    history.observe_price(D(100), T0 + 30_000)
    bars = history.bars(
        Timeframe.of_minutes(1), now_ms=T0 + 30_000, start_ms=T0 - 10 * MINUTE, limit=5
    )
    assert [b.open_ms for b in bars] == [T0]


def test_longer_bars_aggregate_minutes_and_paging_follows_start_end_and_limit() -> None:
    history = CandleHistory()
    for minute in range(120):
        history.observe_price(D(100 + minute), T0 + minute * MINUTE)
    hourly = Timeframe.of_minutes(60)
    now = T0 + 119 * MINUTE
    bars = history.bars(hourly, now_ms=now, limit=10)
    assert [(b.open, b.high, b.low, b.close) for b in bars] == [
        (D(100), D(159), D(100), D(159)),
        (D(160), D(219), D(160), D(219)),
    ]
    minute = Timeframe.of_minutes(1)
    from_start = history.bars(minute, now_ms=now, start_ms=T0 + 5 * MINUTE + 1, limit=3)
    assert [b.close for b in from_start] == [D(106), D(107), D(108)]
    latest = history.bars(minute, now_ms=now, end_ms=T0 + 9 * MINUTE, limit=3)
    assert [b.close for b in latest] == [D(107), D(108), D(109)]


@pytest.mark.parametrize(
    ("timeframe", "at", "opens"),
    [
        (Timeframe.of_minutes(7 * 24 * 60), "2024-05-09 13:00:00", "2024-05-06 00:00:00"),
        (Timeframe.of_minutes(24 * 60), "2024-05-09 13:00:00", "2024-05-09 00:00:00"),
        (
            Timeframe.of_minutes(24 * 60, tz_ms=8 * 3_600_000),
            "2024-05-09 13:00:00",
            "2024-05-08 16:00:00",
        ),
        (Timeframe.of_months(1), "2024-05-09 13:00:00", "2024-05-01 00:00:00"),
        (Timeframe.of_months(3), "2024-05-09 13:00:00", "2024-04-01 00:00:00"),
        (Timeframe.of_months(1, tz_ms=8 * 3_600_000), "2024-04-30 17:00:00", "2024-04-30 16:00:00"),
    ],
    ids=["week-from-monday", "day", "day-hong-kong", "month", "quarter", "month-hong-kong"],
)
def test_bars_open_where_exchanges_open_them(timeframe: Timeframe, at: str, opens: str) -> None:
    start = timeframe.start_of(ms(at))
    assert start == ms(opens)
    assert timeframe.start_of(timeframe.after(start) - 1) == start


def test_a_venue_records_its_quotes_and_fills(engine: Engine, clock: ManualClock) -> None:
    venue = engine.venue("alpha")
    venue.place_order("key", "BTC/USDT", OrderSide.BUY, OrderKind.MARKET, amount=D("0.5"))
    clock.advance(60)
    engine.set_price("alpha", "BTC/USDT", D("61000"))
    [first, second] = venue.candles["BTC/USDT"].bars(
        Timeframe.of_minutes(1), now_ms=engine.now_ms(), limit=10
    )
    assert first.volume == D("0.5")
    assert first.taker_buy_volume == D("0.5")
    assert first.open == D(60000)
    assert (second.open, second.close, second.volume) == (D(61000), D(61000), D(0))
    [trade] = venue.market_trades("BTC/USDT")
    assert trade.amount == D("0.5")
