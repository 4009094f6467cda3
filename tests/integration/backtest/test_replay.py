"""Replays over small synthetic histories, through the daemon's own check, planner and executor.

Each test writes a few days of bars as CSV files, replays a policy, and checks what a trader
would: when it traded, what it holds, and that the ledger rebuilt from the fills agrees with
the engine's own balances.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from rebalancer.backtest.ledger import build_ledger, engine_value, final_value_exact
from rebalancer.backtest.metrics import figures, series_of
from rebalancer.backtest.replay import replay
from rebalancer.backtest.spec import OnDelisting
from rebalancer.domain.policy import BandType
from rebalancer.domain.snapshot import Route

from .synthetic import policy, scenario, setup, table, write_klines


def rising(days: int, start: float = 100.0, step: float = 0.02) -> list[float | None]:
    return [round(start * (1 + step) ** day, 6) for day in range(days)]


def test_a_breach_triggers_a_run_back_to_target_and_the_ledger_matches_the_engine(
    tmp_path: Path,
) -> None:
    write_klines(tmp_path, "AAA", rising(40))
    prices = table(tmp_path, ["AAA"])
    chosen = policy({"AAA": "50", "USDT": "50"}, band="20")  # relative: 40..60 %

    result = replay(prices, setup("AAA"), scenario(chosen))

    triggers = [run.trigger for run in result.runs]
    assert triggers[0] == "manual"  # buying the portfolio at the first bar
    assert "drift" in triggers
    ledger = build_ledger(prices, result)
    assert final_value_exact(ledger, result.final_prices) == engine_value(result)
    shown = figures(prices, result, ledger, series_of(prices, result, ledger))
    assert Decimal(shown.final_value_exact) == engine_value(result)
    assert shown.rebalances >= 1
    assert shown.time_outside_bands == 0.0
    assert shown.max_drift <= 10.0 + 2.0  # one day's move past the 10 pp band at most
    assert shown.cost > 0


def test_without_triggers_nothing_trades_after_the_first_purchase(tmp_path: Path) -> None:
    write_klines(tmp_path, "AAA", rising(30))
    prices = table(tmp_path, ["AAA"])

    result = replay(prices, setup("AAA"), scenario(policy({"AAA": "50", "USDT": "50"}, band=None)))

    assert [run.trigger for run in result.runs] == ["manual"]
    assert result.checks["idle"] == len(prices) - 1


def test_a_gap_carries_the_last_price_and_is_counted(tmp_path: Path) -> None:
    closes = rising(20)
    closes[5:8] = [None, None, None]
    write_klines(tmp_path, "AAA", closes)
    prices = table(tmp_path, ["AAA"])

    assert prices.assets["AAA"].gaps == 3
    carried = prices.assets["AAA"].carried()
    assert carried[5] == carried[6] == carried[7] == closes[4]
    result = replay(prices, setup("AAA"), scenario(policy({"AAA": "50", "USDT": "50"})))
    assert result.checks.get("failed", 0) == 0


def test_a_delisted_coin_is_sold_at_its_last_price_and_its_weight_goes_to_cash(
    tmp_path: Path,
) -> None:
    write_klines(tmp_path, "AAA", rising(30, step=0.0))
    write_klines(tmp_path, "BBB", rising(20, start=50.0, step=0.0))  # its market ends early
    prices = table(tmp_path, ["AAA", "BBB"])
    chosen = policy({"AAA": "40", "BBB": "40", "USDT": "20"})

    result = replay(prices, setup("AAA", "BBB"), scenario(chosen))

    assert prices.assets["BBB"].delisted
    kinds = [event.kind for event in result.events]
    assert "delisting" in kinds
    delisting = next(e for e in result.events if e.kind == "delisting")
    assert delisting.bar == 20
    assert result.final_balances["binance"].get("BBB", Decimal(0)) < Decimal("0.001")  # dust
    assert result.targets[-1] == (20, {"AAA": Decimal(40), "USDT": Decimal(60)})
    sale = [f for f in result.fills if f.run_id is None]
    assert [(f.symbol, f.side.value, f.price) for f in sale] == [
        ("BBB/USDT", "sell", Decimal("49.975"))  # the last close less half the 10 bps spread
    ]


def test_on_delisting_others_spreads_the_weight_over_the_remaining_assets(
    tmp_path: Path,
) -> None:
    write_klines(tmp_path, "AAA", rising(30, step=0.0))
    write_klines(tmp_path, "BBB", rising(20, start=50.0, step=0.0))
    prices = table(tmp_path, ["AAA", "BBB"])
    chosen = policy({"AAA": "40", "BBB": "40", "USDT": "20"})

    result = replay(prices, setup("AAA", "BBB", on_delisting=OnDelisting.OTHERS), scenario(chosen))

    assert result.targets[-1] == (20, {"AAA": Decimal(80), "USDT": Decimal(20)})
    # AAA now sits at about 40 % against 80 %: far outside its band, so it is bought at once
    assert any(run.bar == 20 and run.trigger == "drift" for run in result.runs)


def test_a_late_listing_is_bought_once_it_lists(tmp_path: Path) -> None:
    write_klines(tmp_path, "AAA", rising(30, step=0.0))
    write_klines(tmp_path, "CCC", [None] * 10 + rising(20, start=5.0, step=0.0))
    prices = table(tmp_path, ["AAA", "CCC"])
    chosen = policy({"AAA": "40", "CCC": "40", "USDT": "20"})

    result = replay(prices, setup("AAA", "CCC"), scenario(chosen))

    assert result.targets[0] == (0, {"AAA": Decimal(40), "USDT": Decimal(60)})
    assert result.targets[1] == (10, {"AAA": Decimal(40), "CCC": Decimal(40), "USDT": Decimal(20)})
    assert any(e.kind == "listing" and e.bar == 10 for e in result.events)
    ccc = [f for f in result.fills if f.symbol == "CCC/USDT"]
    assert ccc
    assert min(f.bar for f in ccc) == 10


def test_two_venues_move_cash_over_a_route_that_takes_time(tmp_path: Path) -> None:
    write_klines(tmp_path, "AAA", rising(10, step=0.0))
    prices = table(tmp_path, ["AAA"])
    chosen = policy(
        {"AAA": "60", "USDT": "40"},
        venues=("okx", "binance"),
        constraints=replace(
            policy({"AAA": "60", "USDT": "40"}).constraints,
            forbidden_assets={"okx": frozenset({"AAA"})},
        ),
    )
    route = Route("USDT", "TRC20", "okx", "binance", Decimal(1), Decimal(10), 3600)
    world = setup(
        "AAA",
        fees={"okx": Decimal("0.002"), "binance": Decimal("0.001")},
        start_split={"okx": Decimal(1), "binance": Decimal(0)},
        routes=(route,),
    )

    result = replay(prices, world, scenario(chosen))

    assert result.fills
    assert {f.venue for f in result.fills} == {"binance"}
    assert [(t.asset, t.source, t.destination, t.fee) for t in result.transfer_fees] == [
        ("USDT", "okx", "binance", Decimal(1))
    ]
    assert result.slept_s >= 3600  # the transfer's hour passed on the simulated clock
    ledger = build_ledger(prices, result)
    assert final_value_exact(ledger, result.final_prices) == engine_value(result)


def test_absolute_bands_are_measured_in_percentage_points(tmp_path: Path) -> None:
    write_klines(tmp_path, "AAA", rising(40, step=0.03))
    prices = table(tmp_path, ["AAA"])
    chosen = policy({"AAA": "50", "USDT": "50"}, band="5", band_type=BandType.ABSOLUTE)

    result = replay(prices, setup("AAA"), scenario(chosen))
    ledger = build_ledger(prices, result)
    shown = figures(prices, result, ledger, series_of(prices, result, ledger))

    assert shown.rebalances >= 3
    assert shown.max_drift <= 5.0 + 2.0
