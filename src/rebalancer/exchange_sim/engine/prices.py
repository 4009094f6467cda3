"""Price paths: where each market's mid is at a given moment of simulated time.

A path is a pure function of the seconds elapsed since the simulation started, so the same
seed or script gives the same prices every run:

- ``ScriptedPath``: piecewise-constant prices from a list of ``(at_s, {symbol: price})`` steps;
- ``RandomWalkPath``: a seeded, correlated geometric random walk with crypto-like volatility
  (one common factor gives every pair of assets the correlation ``correlation``);
- ``ReplayPath``: real kline closes replayed at an accelerated clock, interpolated between bars.

The random walk computes in floats (a numeric model); prices come back as Decimal strings.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from rebalancer.domain.money import to_decimal

SECONDS_PER_YEAR = 365.0 * 24 * 3600


class PricePath(Protocol):
    """Mid prices of the markets a path drives, at ``elapsed_s`` seconds of simulated time."""

    def prices_at(self, elapsed_s: float) -> dict[str, Decimal]:
        """Return {unified symbol: mid} then; symbols the path does not drive are absent."""
        ...


@dataclass(slots=True)
class ScriptedPath:
    """Prices that change in steps at the given times; before the first step, the first prices."""

    steps: list[tuple[float, dict[str, Decimal]]]

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("scripted path: needs at least one step")
        self.steps.sort(key=lambda step: step[0])

    def prices_at(self, elapsed_s: float) -> dict[str, Decimal]:
        """Merge every step at or before ``elapsed_s`` (later steps override earlier ones)."""
        prices = dict(self.steps[0][1])
        for at_s, step in self.steps:
            if at_s > elapsed_s:
                break
            prices.update(step)
        return prices


@dataclass(slots=True)
class RandomWalkPath:
    """A seeded correlated geometric random walk, one step every ``step_s`` simulated seconds.

    ``annual_volatility`` (0.7 is typical for BTC) applies to every symbol unless
    ``volatility`` overrides it per symbol.
    """

    start: dict[str, Decimal]
    seed: int = 1
    annual_volatility: float = 0.7
    correlation: float = 0.7
    step_s: float = 1.0
    volatility: dict[str, float] = field(default_factory=dict)
    _rng: random.Random = field(init=False, repr=False)
    _logs: dict[str, float] = field(init=False, repr=False)
    _steps_done: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.correlation <= 1:
            raise ValueError("random walk: correlation must be within 0..1")
        if self.step_s <= 0:
            raise ValueError("random walk: step_s must be positive")
        self._restart()

    def _restart(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311 - a simulation, not cryptography
        self._logs = {symbol: math.log(float(price)) for symbol, price in self.start.items()}
        self._steps_done = 0

    def prices_at(self, elapsed_s: float) -> dict[str, Decimal]:
        """Walk forward to ``elapsed_s`` (restarting from the seed if asked for the past)."""
        target = max(0, int(elapsed_s // self.step_s))
        if target < self._steps_done:
            self._restart()
        while self._steps_done < target:
            self._step()
        return {symbol: _to_price(math.exp(value)) for symbol, value in self._logs.items()}

    def _step(self) -> None:
        dt = self.step_s / SECONDS_PER_YEAR
        common = self._rng.gauss(0.0, 1.0)
        rho = self.correlation
        for symbol in sorted(self._logs):
            sigma = self.volatility.get(symbol, self.annual_volatility)
            shock = math.sqrt(rho) * common + math.sqrt(1 - rho) * self._rng.gauss(0.0, 1.0)
            self._logs[symbol] += -0.5 * sigma * sigma * dt + sigma * math.sqrt(dt) * shock
        self._steps_done += 1


@dataclass(slots=True)
class ReplayPath:
    """Replays bar closes: ``speed`` bar-seconds pass per simulated second (3600 = 1h bar/s).

    ``bars`` maps a symbol to its (bar open time in epoch seconds, close) series, oldest first;
    each symbol starts at its first bar and holds its last close once the series ends.
    """

    bars: dict[str, list[tuple[float, Decimal]]]
    speed: float = 3600.0

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("replay: speed must be positive")
        for symbol, series in self.bars.items():
            if not series:
                raise ValueError(f"replay: no bars for {symbol}")

    def prices_at(self, elapsed_s: float) -> dict[str, Decimal]:
        """Interpolate each symbol's close linearly between the bars around the replay time."""
        return {
            symbol: _interpolate(series, elapsed_s * self.speed)
            for symbol, series in self.bars.items()
        }


def _interpolate(series: Sequence[tuple[float, Decimal]], offset_s: float) -> Decimal:
    start = series[0][0]
    at = start + offset_s
    for (t0, p0), (t1, p1) in itertools.pairwise(series):
        if t0 <= at < t1:
            weight = Decimal(repr((at - t0) / (t1 - t0)))
            return p0 + (p1 - p0) * weight
    return series[-1][1] if at >= series[-1][0] else series[0][1]


def parse_kline_csv(text: str, *, limit: int | None = None) -> list[tuple[float, Decimal]]:
    """Parse ``timestamp,open,high,low,close,volume`` rows into (epoch seconds, close).

    Timestamps are UTC, ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS`` (the shared data's format).
    """
    rows: list[tuple[float, Decimal]] = []
    for number, line in enumerate(text.splitlines()):
        if number == 0 and line.startswith("timestamp"):
            continue
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) < 5:
            raise ValueError(f"kline csv line {number + 1}: expected 6 columns, got {line!r}")
        stamp = datetime.fromisoformat(cells[0]).replace(tzinfo=UTC).timestamp()
        rows.append((stamp, to_decimal(cells[4], what=f"kline csv line {number + 1} close")))
        if limit is not None and len(rows) >= limit:
            break
    return rows


def prices_from_mapping(raw: Mapping[str, object], what: str) -> dict[str, Decimal]:
    """Read {symbol: price} from config, naming the field on bad input."""
    return {symbol: to_decimal(value, what=f"{what}.{symbol}") for symbol, value in raw.items()}


def _to_price(value: float) -> Decimal:
    return Decimal(f"{value:.10g}")
