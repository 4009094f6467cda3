"""Shrimpy's simplest published case, reproduced, with what its result is sensitive to.

0xVlad, "The best passive crypto investor strategy (Part 2)" (Medium, April 2020), using
Shrimpy's backtester: 50 % BTC and 50 % USD, rebalanced at a 20 % threshold (Shrimpy's
thresholds are relative to the target: 40..60 % here), 20 December 2017 to 20 April 2020,
returned -19.26 % against -29.04 % without rebalancing. The post states neither the fee nor
when the threshold was checked.

We replay it on Binance's BTC/USDT daily closes (and Yahoo's BTC-USD as a second source) at
Binance's standard 0.1 % fee and no spread, checking once a day at the close, then vary one
thing at a time: the fee, the check interval (4h bars), the threshold, the price source.

    .venv/bin/python benchmarks/shrimpy_reproduction.py
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rebalancer.backtest.analysis import analyse
from rebalancer.backtest.prices import load_prices
from rebalancer.backtest.spec import BacktestSetup, Scenario, SpreadModel
from rebalancer.core.pretrade import PretradeLimits
from rebalancer.domain.market import Market
from rebalancer.domain.policy import BandType, DriftBand, Policy, RebalanceTo
from rebalancer.services.execution_settings import ExecutionSettings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
START, END = datetime(2017, 12, 20, tzinfo=UTC), datetime(2020, 4, 20, tzinfo=UTC)
PUBLISHED = {"rebalanced": -19.26, "held": -29.04}
BTC = Market(
    "BTC/USDT", "BTC", "USDT", Decimal("0.00001"), Decimal("0.00001"), Decimal(5), Decimal(0),
    Decimal(0),
)  # fmt: skip


def policy(threshold: str = "20", band: DriftBand | None = None) -> Policy:
    return Policy(
        "half",
        "USDT",
        ("binance",),
        {"BTC": Decimal(50), "USDT": Decimal(50)},
        rebalance_to=RebalanceTo.TARGET,
        drift_band=band if band is not None else DriftBand(BandType.RELATIVE, Decimal(threshold)),
    )


def total_return(
    source: str = "binance-spot-klines",
    interval: str = "1d",
    fee: str = "0.001",
    chosen: Policy | None = None,
) -> tuple[float, float, int]:
    """(rebalanced %, held %, rebalances) for one setting."""
    table = load_prices(DATA / source, ["BTC"], "USDT", interval, start=START, end=END)
    setup = BacktestSetup(
        start_value=Decimal(10000),
        fees={"binance": Decimal(fee)},
        markets={"BTC/USDT": BTC},
        spread=SpreadModel(fixed_bps=Decimal(0)),
    )
    execution = ExecutionSettings(limits=PretradeLimits(max_price_move=None))
    rebalanced = chosen or policy()
    ran = analyse("policy", table, setup, Scenario("policy", rebalanced, execution), bound=False)
    held = replace(rebalanced, drift_band=None)
    kept = analyse("held", table, setup, Scenario("held", held, execution), bound=False)
    return (
        ran.figures.total_return * 100,
        kept.figures.total_return * 100,
        ran.figures.rebalances,
    )


def main() -> int:
    if not (DATA / "binance-spot-klines" / "BTCUSDT_1d.csv").exists():
        print(f"skipped: no price data at {DATA}")
        return 0
    print(f"published: rebalanced {PUBLISHED['rebalanced']} %, held {PUBLISHED['held']} %")
    rows = [
        ("Binance daily, 0.1 % fee, 20 % threshold", {}),
        ("  fee 0", {"fee": "0"}),
        ("  fee 0.25 % (Bittrex's)", {"fee": "0.0025"}),
        ("  checked on 4h bars", {"interval": "4h"}),
        ("  threshold 15 %", {"chosen": policy("15")}),
        ("  threshold 18 %", {"chosen": policy("18")}),
        ("  threshold 22 %", {"chosen": policy("22")}),
        ("  threshold 25 %", {"chosen": policy("25")}),
        (
            "  threshold 10 points absolute",
            {"chosen": policy(band=DriftBand(BandType.ABSOLUTE, Decimal(10)))},
        ),
        ("Yahoo BTC-USD daily, 0.1 % fee", {"source": "yahoo-usd-daily"}),
    ]
    for label, options in rows:
        rebalanced, held, count = total_return(**options)  # type: ignore[arg-type]
        gap = rebalanced - PUBLISHED["rebalanced"]
        print(
            f"{label:<42} rebalanced {rebalanced:7.2f} % ({gap:+.2f} pp vs published), "
            f"held {held:7.2f} %, {count} rebalances"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
