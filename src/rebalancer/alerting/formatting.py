"""Numbers as a trader reads them: amounts with their units and thousands separators, weights
in percent, and the table of weights against targets and bands."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from rebalancer.core.drift import AssetDrift, DriftReport

CENT = Decimal("0.01")
PERCENT_PLACES = Decimal("0.01")


def amount(value: Decimal, unit: str) -> str:
    """An asset quantity as held, with separators: ``0.5 ETH``, ``12,000 USDT``."""
    return f"{_grouped(value.normalize())} {unit}"


def money(value: Decimal, unit: str) -> str:
    """A value in the quote asset to the cent: ``12,345.68 USDT``."""
    return f"{_grouped(value.quantize(CENT, ROUND_HALF_EVEN))} {unit}"


def percent(value: Decimal) -> str:
    """A weight: ``41.2%`` (two places at most)."""
    shown = value.quantize(PERCENT_PLACES, ROUND_HALF_EVEN).normalize()
    return f"{_grouped(shown)}%"


def price(value: Decimal) -> str:
    """A price as quoted: ``3,001.25``."""
    return _grouped(value.normalize())


def when(moment: datetime) -> str:
    """A time in UTC to the second: ``2026-12-06 06:02:44 UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _grouped(value: Decimal) -> str:
    text = format(value, ",f")
    return "0" if text in ("-0", "0") else text


def drift_table(report: DriftReport) -> tuple[str, ...]:
    """One line per asset: weight, target, band, and a mark when outside the band."""
    return weight_rows(report.assets)


def weight_rows(assets: Iterable[AssetDrift]) -> tuple[str, ...]:
    """Aligned rows ``BTC   46.2%  target 40%  band 35–45%  outside``."""
    items = list(assets)
    if not items:
        return ()
    width = max(len(item.asset) for item in items)
    rows = []
    for item in items:
        band = f"{percent(item.lower)[:-1]}–{percent(item.upper)}"
        mark = "  outside" if item.breached else ""
        rows.append(
            f"{item.asset:<{width}} {percent(item.weight):>7}  target {percent(item.target)}"
            f"  band {band}{mark}"
        )
    return tuple(rows)


def digest_rows(
    weights: Mapping[str, Decimal],
    targets: Mapping[str, Decimal],
    lower: Mapping[str, Decimal],
    upper: Mapping[str, Decimal],
) -> tuple[str, ...]:
    """The table of a digest's weights (bands when the digest carries them)."""
    items = []
    for asset, target in targets.items():
        weight = weights.get(asset, Decimal(0))
        low, high = lower.get(asset, target), upper.get(asset, target)
        breached = asset in lower and not low <= weight <= high
        items.append(AssetDrift(asset, weight, target, low, high, breached))
    return weight_rows(items)
