"""``rebalancer backtest`` end to end on a small synthetic history: table, JSON, report, sweep.

The report's final value must equal what the engine's own balances (and transfers on their
way) are worth at the last prices: every figure is recomputed from the fills.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.cli import main

from .synthetic import write_klines

CONFIG = """
[portfolios.core]
quote = "USDT"
venues = ["binance"]
rebalance_to = "target"
[portfolios.core.weights]
AAA = "40"
BBB = "40"
USDT = "20"
[portfolios.core.drift_band]
type = "absolute"
percent = "5"
[portfolios.core.calendar]
every = "monthly"
day = "1"

[venues.binance]
exchange = "binance"

[backtest]
start_value = "50000"
[backtest.fees]
binance = "0.001"
[backtest.spread]
model = "range"
fraction = "0.1"
min_bps = "2"
[backtest.rules."AAA/USDT"]
amount_step = "0.001"
min_amount = "0.001"
min_notional = "5"
[backtest.rules."BBB/USDT"]
amount_step = "0.01"
min_amount = "0.01"
min_notional = "5"
[[backtest.cash_flows]]
at = "2024-02-10"
amount = "5000"
"""


def wave(days: int, start: float, swing: float, period: float) -> list[float | None]:
    return [round(start * (1 + swing * math.sin(day / period)), 6) for day in range(days)]


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    prices = tmp_path / "prices"
    prices.mkdir()
    write_klines(prices, "AAA", wave(70, 100.0, 0.4, 6.0))
    write_klines(prices, "BBB", wave(70, 20.0, 0.3, 9.0))
    config = tmp_path / "backtest.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config, prices


def test_the_report_is_written_and_its_value_is_the_engines(
    world: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, prices = world
    out = tmp_path / "report"

    status = main(
        [
            "backtest",
            "--config",
            str(config),
            "--portfolio",
            "core",
            "--prices",
            str(prices),
            "--report",
            str(out),
            "--jobs",
            "2",
        ]
    )

    assert status == 0
    printed = capsys.readouterr().out
    assert "buy and hold" in printed
    assert "calendar only" in printed
    for name in (
        "report.html",
        "result.json",
        "value.png",
        "weights.png",
        "drift.png",
        "costs.png",
    ):
        assert (out / name).stat().st_size > 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 4  # self-contained
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    for scenario in result["scenarios"]:
        engine = scenario["engine"]
        prices_at_end = {a: Decimal(p) for a, p in engine["last_prices"].items()}
        held: dict[str, Decimal] = {}
        for balances in engine["balances"].values():
            for asset, amount in balances.items():
                held[asset] = held.get(asset, Decimal(0)) + Decimal(amount)
        for asset, amount in engine["in_transit"].items():
            held[asset] = held.get(asset, Decimal(0)) + Decimal(amount)
        worth = sum(amount * prices_at_end[asset] for asset, amount in held.items())
        assert Decimal(scenario["figures"]["final_value_exact"]) == worth
        assert scenario["figures"]["final_value"] == pytest.approx(float(worth), rel=1e-12)
    policy = result["scenarios"][0]
    assert any(e["kind"] == "deposit" for e in policy["events"])
    assert policy["runs_by_trigger"].get("manual", 0) >= 1  # the deposit's invest_cash request
    assert policy["bound"]["cost"] <= policy["figures"]["cost"] + 1e-6


def test_json_is_all_stdout_prints(
    world: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, prices = world

    status = main(
        [
            "backtest",
            "--config",
            str(config),
            "--portfolio",
            "core",
            "--prices",
            str(prices),
            "--json",
            "--no-compare",
            "--no-bound",
            "--jobs",
            "1",
            "--to",
            "2024-02-01",
        ]
    )

    assert status == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [s["key"] for s in data["scenarios"]] == ["policy"]
    assert data["to"].startswith("2024-02-02")  # the last bar (1 February) closes at midnight
    assert captured.err == ""  # no progress bar off a terminal


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--portfolio", "ghost"], "no [portfolios.ghost]"),
        (["--from", "2024-13-01"], "--from: expected a date"),
        (["--from", "2024-02-01", "--to", "2024-01-01"], "--to: must not be before --from"),
        (["--jobs", "0"], "--jobs: must be at least 1"),
        (["--sweep", "colour=red"], "expected KEY=V1,V2"),
        (["--sweep", "band=1", "--metric", "luck"], "--metric: expected one of"),
    ],
)
def test_bad_arguments_exit_2_naming_the_problem(
    world: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    config, prices = world
    arguments = [
        "backtest",
        "--config",
        str(config),
        "--portfolio",
        "core",
        "--prices",
        str(prices),
    ]
    if "--portfolio" in extra:
        arguments = arguments[:3] + arguments[5:]

    assert main([*arguments, *extra, "--no-bound"]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_price_file_names_the_asset(
    world: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, prices = world
    (prices / "BBBUSDT_1d.csv").unlink()

    status = main(
        ["backtest", "--config", str(config), "--portfolio", "core", "--prices", str(prices)]
    )

    assert status == 2
    assert "BBB: no price file" in capsys.readouterr().err


def test_a_fee_for_a_venue_the_portfolio_does_not_use_is_refused(
    world: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, prices = world
    config.write_text(CONFIG.replace('binance = "0.001"', 'binance = "0.001"\nkraken = "0.002"'))

    status = main(
        ["backtest", "--config", str(config), "--portfolio", "core", "--prices", str(prices)]
    )

    assert status == 2
    assert "backtest.fees.kraken" in capsys.readouterr().err


def test_a_sweep_picks_the_best_and_checks_it_after_the_holdout(
    world: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, prices = world
    out = tmp_path / "sweep"

    status = main(
        [
            "backtest",
            "--config",
            str(config),
            "--portfolio",
            "core",
            "--prices",
            str(prices),
            "--sweep",
            "band=2,5,none",
            "rebalance_to=band_edge,target",
            "--metric",
            "net_return",
            "--holdout",
            "2024-02-15",
            "--report",
            str(out),
            "--jobs",
            "2",
            "--json",
        ]
    )

    assert status == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rows"]) == 6
    returns = [row["figures"]["total_return"] for row in data["rows"]]
    assert data["best"]["figures"]["total_return"] == max(returns)
    assert data["to"].startswith("2024-02-15")  # picked on the bars before the holdout
    assert data["holdout"]["from"].startswith("2024-02-15")
    for name in ("sweep.json", "sweep.csv", "heatmap_net_return.png", "heatmap_cost_ratio.png"):
        assert (out / name).stat().st_size > 0


def test_the_daemons_log_level_is_put_back_after_a_backtest(world: tuple[Path, Path]) -> None:
    import logging

    config, prices = world
    logger = logging.getLogger("rebalancer")
    before = logger.level

    main(
        [
            "backtest",
            "--config",
            str(config),
            "--portfolio",
            "core",
            "--prices",
            str(prices),
            "--json",
            "--no-compare",
            "--no-bound",
            "--jobs",
            "1",
            "--to",
            "2024-01-20",
        ]
    )

    assert logger.level == before
