"""Bars into the engine: each bar's close becomes its markets' mid, with the bar's spread.

The feed follows the simulated clock: every time the clock moves it applies each bar that has
closed by then, in order, so prices keep moving even while a run sleeps across a bar (a long
transfer, say). Bars an asset has no price for (gaps) leave its last mid in place; markets not
listed at the moment are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import numpy as np

from rebalancer.backtest.prices import PriceTable
from rebalancer.backtest.spec import SpreadModel
from rebalancer.venues.simulated.world import SimulatedVenues


class PriceFeed:
    """Applies a price table's bars to simulated venues as the clock passes their close."""

    def __init__(
        self,
        table: PriceTable,
        venues: SimulatedVenues,
        names: Sequence[str],
        quote: str,
        spread: SpreadModel,
    ) -> None:
        self._venues = venues
        self._names = tuple(names)
        self._closes = (table.opens + table.step_s).astype(np.float64).tolist()
        self._series = [
            (
                f"{asset}/{quote}",
                bars.close.tolist(),
                _spreads(spread, bars.close, bars.high, bars.low),
            )
            for asset, bars in table.assets.items()
        ]
        self.applied = 0  # bars applied so far

    def catch_up(self, moment: datetime) -> None:
        """Apply every bar that closed at or before ``moment`` and is not applied yet."""
        now = moment.timestamp()
        while self.applied < len(self._closes) and self._closes[self.applied] <= now:
            self.apply(self.applied)
            self.applied += 1

    def apply_one(self, index: int, symbol: str) -> None:
        """Set one market's mid to bar ``index`` (a market that just listed)."""
        for name, closes, spreads in self._series:
            if name == symbol and not math.isnan(closes[index]):
                spread = spreads[index] if isinstance(spreads, list) else spreads
                for venue in self._names:
                    self._venues.set_mid(venue, symbol, Decimal(repr(closes[index])), spread)

    def apply(self, index: int) -> None:
        """Set every listed market's mid (and spread) to bar ``index``."""
        venues = [self._venues.engine.venues[name] for name in self._names]
        for symbol, closes, spreads in self._series:
            close = closes[index]
            if math.isnan(close):  # no bar: a gap, or not listed
                continue
            mid = Decimal(repr(close))
            spread = spreads[index] if isinstance(spreads, list) else spreads
            for venue in venues:
                if symbol in venue.markets:
                    venue.set_mid(symbol, mid, spread)


def spread_bps(
    model: SpreadModel, close: np.ndarray, high: np.ndarray, low: np.ndarray
) -> np.ndarray:
    """Every bar's spread in basis points, rounded to 1/10,000 bps (NaN without a bar).

    The feed puts exactly these numbers in the engine's books and the cost bound uses them.
    """
    if model.fixed_bps is not None:
        return np.where(np.isnan(close), np.nan, float(model.fixed_bps))
    assert model.range_fraction is not None
    with np.errstate(invalid="ignore", divide="ignore"):
        width = (high - low) / close * float(model.range_fraction) * 10_000
    width = np.where(np.isnan(width), float(model.min_bps), width)
    return np.round(np.maximum(width, float(model.min_bps)), 4)


def _spreads(
    model: SpreadModel, close: np.ndarray, high: np.ndarray, low: np.ndarray
) -> Decimal | list[Decimal]:
    """The spread of every bar as the engine takes it (one value for a fixed spread)."""
    if model.fixed_bps is not None:
        return model.fixed_bps
    return [Decimal(repr(value)) for value in spread_bps(model, close, high, low).tolist()]
