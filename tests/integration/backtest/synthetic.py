"""Small synthetic price histories written as Binance-style kline CSVs, and a backtest world."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rebalancer.backtest.prices import PriceTable, load_prices
from rebalancer.backtest.spec import BacktestSetup, Scenario, SpreadModel
from rebalancer.core.pretrade import PretradeLimits
from rebalancer.domain.market import Market
from rebalancer.domain.policy import BandType, DriftBand, Policy, RebalanceTo
from rebalancer.services.execution_settings import ExecutionSettings

START = date(2024, 1, 1)


def write_klines(
    directory: Path, asset: str, closes: Sequence[float | None], *, first: date = START
) -> None:
    """One bar per day from ``first``; None leaves the day out (a gap)."""
    lines = ["timestamp,open,high,low,close,volume"]
    for offset, close in enumerate(closes):
        if close is None:
            continue
        day = (first + timedelta(days=offset)).isoformat()
        lines.append(f"{day},{close},{close * 1.02:.6g},{close * 0.98:.6g},{close},1000")
    (directory / f"{asset}USDT_1d.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def table(directory: Path, assets: Sequence[str], days: int | None = None) -> PriceTable:
    end = (
        datetime.combine(START + timedelta(days=days - 1), datetime.min.time(), UTC)
        if days
        else None
    )
    return load_prices(directory, assets, "USDT", "1d", end=end)


def rules(*bases: str) -> dict[str, Market]:
    return {
        f"{b}/USDT": Market(
            f"{b}/USDT",
            b,
            "USDT",
            Decimal("0.001"),
            Decimal("0.001"),
            Decimal(5),
            Decimal("0.01"),
            Decimal(0),
        )
        for b in bases
    }


def policy(
    weights: Mapping[str, str],
    *,
    band: str | None = "20",
    band_type: BandType = BandType.RELATIVE,
    to: RebalanceTo = RebalanceTo.TARGET,
    venues: tuple[str, ...] = ("binance",),
    **extra: object,
) -> Policy:
    return Policy(
        "core",
        "USDT",
        venues,
        {a: Decimal(w) for a, w in weights.items()},
        rebalance_to=to,
        drift_band=DriftBand(band_type, Decimal(band)) if band is not None else None,
        **extra,  # type: ignore[arg-type]
    )


def setup(
    *bases: str, fee: str = "0.001", spread_bps: str = "10", **extra: object
) -> BacktestSetup:
    fees = extra.pop("fees", None) or {"binance": Decimal(fee)}
    return BacktestSetup(
        start_value=Decimal(10000),
        fees=fees,  # type: ignore[arg-type]
        markets=rules(*bases),
        spread=SpreadModel(fixed_bps=Decimal(spread_bps)),
        **extra,  # type: ignore[arg-type]
    )


def scenario(chosen: Policy, label: str = "policy") -> Scenario:
    execution = ExecutionSettings(limits=PretradeLimits(max_price_move=None))
    return Scenario(label, chosen, execution)
