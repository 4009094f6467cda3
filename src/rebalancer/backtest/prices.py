"""Historical bars: read from CSV files, laid on one regular grid of bar times.

A file per asset, found in the ``--prices`` directory by name:

- Binance klines, ``BTCUSDT_1d.csv``: ``timestamp,open,high,low,close,volume`` (open time, UTC);
- Yahoo Finance, ``BTC-USD_1d.csv``: ``Date,Close,High,Low,Open,Volume``.

A portfolio quoted in a US-dollar stablecoin (USDT, USDC, ...) also accepts ``-USD`` files: their
prices stand in for the stablecoin's, and the report names every file it used.

On the grid (every ``interval`` from ``start`` to ``end``):

- an asset is *listed* from its first bar; before it, it has no price;
- a bar missing between its first and last is a *gap*: the last close carries on, and gaps are
  counted (Binance's maintenance windows, for example);
- a series that ends before the grid does is *delisted* after its last bar;
- where an interval's file starts late but a coarser file (4h, then 1d) goes further back, the
  coarser bars fill the start, their missing sub-bars counted as gaps (Binance's BTC and ETH
  hourly files begin in 2022).

Prices are floats here (a numeric model); the engine gets Decimals built from their shortest
text form, which is the CSV's own text for every price these files hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rebalancer.domain.errors import InvalidValue

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

INTERVALS = {"1h": 3600, "4h": 4 * 3600, "1d": 86400}
COARSER = {"1h": ("4h", "1d"), "4h": ("1d",), "1d": ()}
USD_LIKE = frozenset({"USDT", "USDC", "BUSD", "FDUSD", "TUSD", "DAI", "USD"})
TIME_COLUMNS = ("timestamp", "date", "time", "open_time")


class PriceDataError(InvalidValue):
    """Price files are missing or malformed (the message names the file and the line)."""


@dataclass(frozen=True, slots=True)
class Series:
    """One file's bars: open times (epoch seconds) and prices, oldest first."""

    source: str
    opens: Ints
    close: Floats
    high: Floats
    low: Floats
    file_first: int = 0  # the file's first and last bar, even when only some bars were read
    file_last: int = 0

    def where(self, keep: npt.NDArray[np.bool_]) -> Series:
        """The bars where ``keep`` is true."""
        return Series(
            self.source,
            self.opens[keep],
            self.close[keep],
            self.high[keep],
            self.low[keep],
            self.file_first,
            self.file_last,
        )


@dataclass(frozen=True, slots=True)
class AssetBars:
    """One asset on the grid. ``close`` is NaN where it has no bar of its own."""

    asset: str
    close: Floats
    high: Floats
    low: Floats
    first: int  # grid index of its first bar (its listing), -1 if none in range
    last: int  # grid index of its last bar
    gaps: int  # bars missing between first and last (the last close carried on)
    delisted: bool  # its bars end before the grid does
    sources: tuple[str, ...]

    @property
    def listed_anywhere(self) -> bool:
        """True when the asset has at least one bar on the grid."""
        return self.first >= 0

    def carried(self) -> Floats:
        """Closes with gaps filled by the last close (NaN before the first bar)."""
        return _forward_fill(self.close)


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Every asset's bars on one grid of bar open times."""

    interval: str
    step_s: int
    opens: Ints
    assets: dict[str, AssetBars]

    def __len__(self) -> int:
        return len(self.opens)

    def close_time(self, index: int) -> datetime:
        """When bar ``index`` closes (its open plus the interval): the moment it is checked."""
        return datetime.fromtimestamp(int(self.opens[index]) + self.step_s, tz=UTC)

    def open_time(self, index: int) -> datetime:
        """When bar ``index`` opens."""
        return datetime.fromtimestamp(int(self.opens[index]), tz=UTC)

    @property
    def years(self) -> float:
        """The grid's length in years of 365.25 days."""
        return len(self.opens) * self.step_s / (365.25 * 86400)


def load_prices(
    directory: Path,
    assets: Sequence[str],
    quote: str,
    interval: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> PriceTable:
    """Read each asset's file(s) and lay them on the grid from ``start`` to ``end`` (dates).

    ``start`` defaults to the first bar of any asset, ``end`` to the last. Only the lines in
    that range are parsed. Raises ``PriceDataError`` naming what is missing or malformed.
    """
    if interval not in INTERVALS:
        raise PriceDataError(f"interval: expected one of {', '.join(INTERVALS)}, got {interval!r}")
    if not directory.is_dir():
        raise PriceDataError(f"--prices {directory}: not a directory")
    step = INTERVALS[interval]
    since = _epoch(start) if start is not None else None
    until = _epoch(end) + 86400 - 1 if end is not None else None
    fine = {
        asset: read_series(_file(directory, asset, quote, interval), since, until)
        for asset in assets
    }
    first = min(series.file_first for series in fine.values())
    last = max(series.file_last for series in fine.values())
    lo = math.ceil((since if since is not None else first) / step) * step
    hi = until if until is not None else last
    if hi < lo:
        raise PriceDataError(f"no bars between {_day(lo)} and {_day(hi)}")
    opens = np.arange(lo, hi + 1, step, dtype=np.int64)
    table = {}
    for asset, series in fine.items():
        earlier = _earlier(directory, asset, quote=quote, interval=interval, fine=series, lo=lo)
        parts = [*earlier, series]
        used = [p for p in parts if len(p.opens)] or parts[-1:]
        ends = series.file_last
        table[asset] = _on_grid(
            asset,
            _joined(used, step),
            opens,
            tuple(p.source for p in used),
            ends_at=ends if ends < last else None,
        )
    if not any(bars.listed_anywhere for bars in table.values()):
        raise PriceDataError(f"no asset has a bar between {_day(lo)} and {_day(hi)}")
    return PriceTable(interval, step, opens, table)


def _file(directory: Path, asset: str, quote: str, interval: str) -> Path:
    path = _find(directory, asset, quote, interval)
    if path is None:
        tried = ", ".join(p.name for p in candidate_files(directory, asset, quote, interval))
        raise PriceDataError(f"{asset}: no price file in {directory} (looked for {tried})")
    return path


def _earlier(
    directory: Path, asset: str, *, quote: str, interval: str, fine: Series, lo: int
) -> list[Series]:
    """Coarser files' bars from ``lo`` up to where the interval's own file starts."""
    parts: list[Series] = []
    begins = fine.file_first
    for coarser in COARSER[interval]:
        if begins <= lo:
            break
        path = _find(directory, asset, quote, coarser)
        if path is None:
            continue
        before = read_series(path, lo, begins - 1)
        if len(before.opens):
            parts.insert(0, before)
            begins = before.file_first if before.file_first > lo else lo
    return parts


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M")


def candidate_files(directory: Path, asset: str, quote: str, interval: str) -> list[Path]:
    """The file names an asset's bars may have, most specific first."""
    names = [f"{asset}{quote}_{interval}.csv", f"{asset}-{quote}_{interval}.csv"]
    if quote in USD_LIKE and quote != "USD":
        names += [f"{asset}-USD_{interval}.csv", f"{asset}USD_{interval}.csv"]
    return [directory / name for name in names]


def _find(directory: Path, asset: str, quote: str, interval: str) -> Path | None:
    return next(
        (p for p in candidate_files(directory, asset, quote, interval) if p.is_file()), None
    )


def _joined(parts: list[Series], step: int) -> Series:
    """Several files' bars as one series (each bar snapped down to the grid step)."""
    opens = np.concatenate([p.opens for p in parts])
    snapped = opens - opens % step
    return Series(
        ",".join(p.source for p in parts),
        snapped,
        np.concatenate([p.close for p in parts]),
        np.concatenate([p.high for p in parts]),
        np.concatenate([p.low for p in parts]),
    )


def _on_grid(
    asset: str, series: Series, opens: Ints, sources: tuple[str, ...], *, ends_at: int | None
) -> AssetBars:
    """Place a series' bars on the grid ``opens`` (NaN where it has none)."""
    size = len(opens)
    close = np.full(size, np.nan)
    high = np.full(size, np.nan)
    low = np.full(size, np.nan)
    if size:
        index = (series.opens - opens[0]) // (opens[1] - opens[0] if size > 1 else 1)
        inside = (index >= 0) & (index < size) & (series.opens >= opens[0])
        if size > 1:
            inside &= (series.opens - opens[0]) % (opens[1] - opens[0]) == 0
        else:
            inside &= series.opens == opens[0]
        where = index[inside]
        close[where] = series.close[inside]
        high[where] = series.high[inside]
        low[where] = series.low[inside]
    present = np.flatnonzero(~np.isnan(close))
    if not len(present):
        return AssetBars(asset, close, high, low, -1, -1, 0, False, sources)
    first, last = int(present[0]), int(present[-1])
    gaps = (last - first + 1) - len(present)
    delisted = ends_at is not None and int(opens[last]) == ends_at and last < size - 1
    return AssetBars(asset, close, high, low, first, last, gaps, delisted, sources)


def read_series(path: Path, since: int | None = None, until: int | None = None) -> Series:
    """Read one CSV file of bars (Binance or Yahoo columns), oldest first.

    Only bars opening from ``since`` to ``until`` (epoch seconds, inclusive) are kept; the
    file's first and last bar are recorded all the same.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise PriceDataError(f"{path}: cannot read ({error})") from None
    if not lines:
        raise PriceDataError(f"{path}: empty file")
    header = [cell.strip().lower() for cell in lines[0].split(",")]
    when = next((header.index(n) for n in TIME_COLUMNS if n in header), None)
    if when is None or "close" not in header:
        raise PriceDataError(
            f"{path}: line 1: expected a header with a time column "
            f"({', '.join(TIME_COLUMNS)}) and close, got {lines[0]!r}"
        )
    body = [line for line in lines[1:] if line.strip()]
    if not body:
        raise PriceDataError(f"{path}: no bars")
    extent = [body[0], body[-1]]
    if since is not None or until is not None:
        body = _in_range(body, when, since, until)
    rows = [line.split(",") for line in extent + body]
    columns: dict[str, int] = {
        name: header.index(name) for name in ("close", "high", "low") if name in header
    }
    try:
        opens = np.array([row[when].strip().replace(" ", "T") for row in rows], "datetime64[s]")
        values = {
            name: np.array([row[index] for row in rows], dtype=np.float64)
            for name, index in columns.items()
        }
    except (ValueError, IndexError) as error:
        raise PriceDataError(f"{path}: {_bad_line(rows, when, columns)} ({error})") from None
    stamps_all = opens.astype(np.int64)
    file_first, file_last = int(stamps_all[0]), int(stamps_all[1])
    values = {name: column[2:] for name, column in values.items()}
    stamps = stamps_all[2:]
    if since is not None or until is not None:
        keep = (stamps >= (since if since is not None else stamps_all[0])) & (
            stamps <= (until if until is not None else stamps_all[1])
        )
        stamps = stamps[keep]
        values = {name: column[keep] for name, column in values.items()}
    close = values["close"]
    if len(stamps) > 1 and not (np.diff(stamps) > 0).all():
        raise PriceDataError(f"{path}: bar times must increase line by line")
    if (close <= 0).any() or np.isnan(close).any():
        bad = int(np.flatnonzero(~(close > 0))[0])
        when_bad = datetime.fromtimestamp(int(stamps[bad]), tz=UTC).isoformat()
        raise PriceDataError(f"{path}: the bar of {when_bad}: close must be a positive number")
    return Series(
        path.name,
        stamps,
        close,
        values.get("high", close.copy()),
        values.get("low", close.copy()),
        file_first,
        file_last,
    )


def _in_range(lines: list[str], when: int, since: int | None, until: int | None) -> list[str]:
    """The lines whose day is within the range's days (bars are then filtered exactly).

    Timestamps are ISO text, which sorts as time does, so comparing the day prefix is enough
    to drop most lines before any of them is parsed.
    """
    low = _day(since)[:10] if since is not None else ""
    high = _day(until)[:10] if until is not None else "9999"
    return [line for line in lines if low <= _cell(line, when)[:10] <= high]


def _cell(line: str, index: int) -> str:
    return line.split(",", index + 1)[index].strip()


def _bad_line(rows: list[list[str]], when: int, columns: dict[str, int]) -> str:
    """Which line of a file fails to parse."""
    for number, row in enumerate(rows, start=2):
        try:
            np.datetime64(row[when].strip().replace(" ", "T"), "s")
            for index in columns.values():
                float(row[index])
        except (ValueError, IndexError):
            return f"line {number}: cannot read {','.join(row)!r}"
    return "cannot read it"


def _forward_fill(values: Floats) -> Floats:
    """NaNs replaced by the last number before them (leading NaNs stay)."""
    valid = ~np.isnan(values)
    index = np.where(valid, np.arange(len(values)), -1)
    np.maximum.accumulate(index, out=index)
    filled = values[np.maximum(index, 0)]
    filled[index < 0] = np.nan
    return filled


def bar_step(interval: str) -> timedelta:
    """The length of one bar."""
    return timedelta(seconds=INTERVALS[interval])
