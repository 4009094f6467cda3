"""Candles (OHLCV bars) of one market, built from what the venue quoted and traded.

Every mid the venue sets (each step of the price path, a pinned price) and every fill is an
observation; minute bars keep open, high, low, close and the traded volume. Longer bars are
aggregated from the minute bars on request. A bar with no observation inside it (a pinned
price, a clock that jumped) repeats the previous close with zero volume, as exchanges report
quiet intervals; nothing is reported before the market's first observation, as no exchange
reports bars from before a listing.

Times are the engine's milliseconds; a ``Timeframe`` says how bars are aligned (epoch
multiples, weeks from Monday, calendar months, shifted for a time zone).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rebalancer.domain.money import ZERO

MINUTE_MS = 60_000
DAY_MS = 86_400_000
# 1970-01-01 was a Thursday: weekly bars open on Mondays, four days after the epoch.
WEEK_OFFSET_MS = 4 * DAY_MS
# minute bars kept per market (about 69 days): a long paper run does not grow without bound
MAX_MINUTES = 100_000
_TRIM_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class Timeframe:
    """How long a bar is and where bars start.

    Fixed-length bars last ``minutes`` and start at multiples of their length from the epoch
    plus ``offset_ms``; calendar bars (``months`` > 0) start on the first day of a month (every
    ``months`` months from January). ``tz_ms`` shifts calendar and day boundaries to a time zone
    east of UTC (OKX's Hong Kong-time bars: 8 hours).
    """

    minutes: int = 0
    months: int = 0
    offset_ms: int = 0
    tz_ms: int = 0

    def __post_init__(self) -> None:
        if (self.minutes > 0) == (self.months > 0):
            raise ValueError("a timeframe is either minutes or months")

    @classmethod
    def of_minutes(cls, minutes: int, *, tz_ms: int = 0) -> Timeframe:
        """Bars of ``minutes`` (a week of minutes aligns to Mondays)."""
        week = minutes % (7 * 24 * 60) == 0
        return cls(minutes=minutes, offset_ms=(WEEK_OFFSET_MS if week else 0) - tz_ms, tz_ms=tz_ms)

    @classmethod
    def of_months(cls, months: int, *, tz_ms: int = 0) -> Timeframe:
        """Calendar bars of ``months`` months."""
        return cls(months=months, tz_ms=tz_ms)

    def start_of(self, ts_ms: int) -> int:
        """The open time of the bar holding ``ts_ms``."""
        if self.minutes:
            length = self.minutes * MINUTE_MS
            return (ts_ms - self.offset_ms) // length * length + self.offset_ms
        local = _local(ts_ms, self.tz_ms)
        month = (local.month - 1) // self.months * self.months + 1
        return _epoch_ms(
            local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0), self.tz_ms
        )

    def after(self, start_ms: int) -> int:
        """The open time of the bar that follows the one opening at ``start_ms``."""
        if self.minutes:
            return start_ms + self.minutes * MINUTE_MS
        local = _local(start_ms, self.tz_ms)
        index = local.year * 12 + local.month - 1 + self.months
        return _epoch_ms(local.replace(year=index // 12, month=index % 12 + 1), self.tz_ms)


@dataclass(slots=True)
class Bar:
    """One bar: prices in the quote asset, ``volume`` in the base, ``quote_volume`` in the quote."""

    open_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = ZERO
    quote_volume: Decimal = ZERO
    trades: int = 0
    taker_buy_volume: Decimal = ZERO
    taker_buy_quote_volume: Decimal = ZERO

    def add_price(self, price: Decimal) -> None:
        """Fold a later observation into the bar."""
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price

    def merge(self, later: Bar) -> None:
        """Fold a later bar of the same period into this one."""
        self.high = max(self.high, later.high)
        self.low = min(self.low, later.low)
        self.close = later.close
        self.volume += later.volume
        self.quote_volume += later.quote_volume
        self.trades += later.trades
        self.taker_buy_volume += later.taker_buy_volume
        self.taker_buy_quote_volume += later.taker_buy_quote_volume


class CandleHistory:
    """One market's minute bars, oldest first, and the bars of any timeframe built from them."""

    def __init__(self, max_minutes: int = MAX_MINUTES) -> None:
        self._max_minutes = max_minutes
        self._starts: list[int] = []
        self._bars: dict[int, Bar] = {}

    def observe_price(self, price: Decimal, now_ms: int) -> None:
        """Record a quoted price at ``now_ms``."""
        self._minute(now_ms, price).add_price(price)

    def observe_trade(
        self, price: Decimal, amount: Decimal, now_ms: int, *, taker_buys: bool
    ) -> None:
        """Record a fill: its price, its amount as volume, and whether the taker bought."""
        bar = self._minute(now_ms, price)
        bar.add_price(price)
        bar.volume += amount
        bar.quote_volume += price * amount
        bar.trades += 1
        if taker_buys:
            bar.taker_buy_volume += amount
            bar.taker_buy_quote_volume += price * amount

    def clear(self) -> None:
        """Forget every bar (the control plane's reset)."""
        self._starts.clear()
        self._bars.clear()

    @property
    def first_ms(self) -> int | None:
        """The open time of the oldest minute bar kept, or None before any observation."""
        return self._starts[0] if self._starts else None

    def bars(
        self,
        timeframe: Timeframe,
        *,
        now_ms: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int,
    ) -> list[Bar]:
        """Up to ``limit`` bars opening within ``[start_ms, end_ms]``, oldest first.

        With ``start_ms`` the first bars from there; without it the latest bars up to
        ``end_ms`` (or now). The bar in progress is included, as exchanges include it.
        """
        if not self._starts or limit <= 0:
            return []
        first = timeframe.start_of(self._starts[0])
        last = timeframe.start_of(min(end_ms, now_ms) if end_ms is not None else now_ms)
        if start_ms is not None:
            begin = timeframe.start_of(start_ms)
            begin = begin if begin >= start_ms else timeframe.after(begin)
            return self._walk(timeframe, max(begin, first), last, limit)
        return self._walk_back(timeframe, first, last, limit)

    # -- internals ----------------------------------------------------------------------------
    def _walk(self, timeframe: Timeframe, begin: int, last: int, limit: int) -> list[Bar]:
        out: list[Bar] = []
        start = begin
        while start <= last and len(out) < limit:
            nxt = timeframe.after(start)
            out.append(self._aggregate(start, nxt))
            start = nxt
        return out

    def _walk_back(self, timeframe: Timeframe, first: int, last: int, limit: int) -> list[Bar]:
        starts: list[int] = []
        start = last
        while start >= first and len(starts) < limit:
            starts.append(start)
            start = timeframe.start_of(start - 1)
        starts.reverse()
        return [self._aggregate(s, timeframe.after(s)) for s in starts]

    def _aggregate(self, start: int, end: int) -> Bar:
        """The bar of ``[start, end)`` from the minute bars inside it, or a flat one."""
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_left(self._starts, end)
        if lo == hi:
            close = (
                self._bars[self._starts[lo - 1]].close if lo else self._bars[self._starts[0]].open
            )
            return Bar(start, close, close, close, close)
        first = self._bars[self._starts[lo]]
        bar = Bar(start, first.open, first.open, first.open, first.open)
        for key in self._starts[lo:hi]:
            bar.merge(self._bars[key])
        return bar

    def _minute(self, now_ms: int, price: Decimal) -> Bar:
        start = now_ms // MINUTE_MS * MINUTE_MS
        bar = self._bars.get(start)
        if bar is None:
            bar = Bar(start, price, price, price, price)
            self._bars[start] = bar
            if not self._starts or start > self._starts[-1]:
                self._starts.append(start)
            else:
                bisect.insort(self._starts, start)
            self._trim()
        return bar

    def _trim(self) -> None:
        if len(self._starts) <= self._max_minutes + _TRIM_CHUNK:
            return
        drop = len(self._starts) - self._max_minutes
        for key in self._starts[:drop]:
            del self._bars[key]
        del self._starts[:drop]


def _local(ts_ms: int, tz_ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ts_ms + tz_ms)


def _epoch_ms(local: datetime, tz_ms: int) -> int:
    delta = local - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000) - tz_ms
