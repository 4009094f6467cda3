"""The clairvoyant LP bound is never above the cost of any policy the backtester runs.

Random small histories (two or three assets, a few dozen daily bars of a random walk) and
random policies (band type and width, trade-to, calendar, sell-all execution, fee, spread) are
replayed through the daemon's code; the bound of each replay (as one LP, and solved in
windows) must not exceed its measured cost (fees, spread crossed and transfer fees of every
fill after the first purchase).
"""

from __future__ import annotations

import random
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.integration.backtest.synthetic import table, write_klines

from rebalancer.backtest.bound import bound_problem
from rebalancer.backtest.ledger import build_ledger
from rebalancer.backtest.metrics import figures, series_of
from rebalancer.backtest.replay import replay
from rebalancer.backtest.spec import BacktestSetup, Scenario, SpreadModel
from rebalancer.core.clairvoyant import clairvoyant_bound, windowed_bound
from rebalancer.core.pretrade import PretradeLimits
from rebalancer.domain.market import Market
from rebalancer.domain.policy import (
    BandType,
    CalendarEvery,
    CalendarRule,
    DriftBand,
    Policy,
    RebalanceTo,
)
from rebalancer.services.execution_settings import ExecutionSettings

ASSETS = ("AAA", "BBB", "CCC")


@st.composite
def cases(draw: st.DrawFn) -> dict[str, object]:
    count = draw(st.integers(2, 3))
    return {
        "assets": ASSETS[:count],
        "seed": draw(st.integers(0, 10_000)),
        "bars": draw(st.integers(25, 60)),
        "volatility": draw(st.sampled_from([0.03, 0.06, 0.1])),
        "band_type": draw(st.sampled_from(list(BandType))),
        "band": draw(st.sampled_from(["3", "5", "10", "25"])),
        "to": draw(st.sampled_from(list(RebalanceTo))),
        "calendar": draw(st.booleans()),
        "sell_all": draw(st.booleans()),
        "fee": draw(st.sampled_from(["0", "0.001", "0.0025"])),
        "spread": draw(st.sampled_from(["0", "5", "30"])),
        "cash": draw(st.sampled_from(["0", "10", "30"])),
    }


def history(directory: Path, case: dict[str, object]) -> None:
    rng = random.Random(case["seed"])
    for number, asset in enumerate(case["assets"]):  # type: ignore[arg-type]
        price = 10.0 * (number + 1)
        closes: list[float | None] = []
        for _ in range(int(case["bars"])):  # type: ignore[call-overload]
            price *= 1 + rng.gauss(0, float(case["volatility"]))  # type: ignore[arg-type]
            closes.append(round(max(price, 0.01), 6))
        write_klines(directory, asset, closes)


def policy_of(case: dict[str, object]) -> Policy:
    assets: tuple[str, ...] = case["assets"]  # type: ignore[assignment]
    cash = Decimal(str(case["cash"]))
    share = ((Decimal(100) - cash) / len(assets)).quantize(Decimal("0.01"))
    weights = dict.fromkeys(assets, share)
    weights["USDT"] = Decimal(100) - share * len(assets)
    return Policy(
        "core",
        "USDT",
        ("binance",),
        weights,
        rebalance_to=case["to"],  # type: ignore[arg-type]
        drift_band=DriftBand(case["band_type"], Decimal(str(case["band"]))),  # type: ignore[arg-type]
        calendar=CalendarRule(CalendarEvery.WEEKLY, "Monday") if case["calendar"] else None,
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(cases())
def test_the_bound_is_never_above_a_replayed_policys_cost(case: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        history(directory, case)
        prices = table(directory, list(case["assets"]))  # type: ignore[call-overload]
    setup = BacktestSetup(
        start_value=Decimal(10000),
        fees={"binance": Decimal(str(case["fee"]))},
        markets={
            f"{a}/USDT": Market(
                f"{a}/USDT",
                a,
                "USDT",
                Decimal("0.0001"),
                Decimal("0.0001"),
                Decimal(1),
                Decimal(0),
                Decimal(0),
            )
            for a in case["assets"]  # type: ignore[attr-defined]
        },
        spread=SpreadModel(fixed_bps=Decimal(str(case["spread"]))),
    )
    execution = ExecutionSettings(limits=PretradeLimits(max_price_move=None))
    scenario = Scenario("p", policy_of(case), execution, sell_all=bool(case["sell_all"]))

    result = replay(prices, setup, scenario)
    ledger = build_ledger(prices, result)
    series = series_of(prices, result, ledger)
    cost = figures(prices, result, ledger, series).cost
    problem = bound_problem(prices, setup, result, ledger, series)
    exact = clairvoyant_bound(problem)
    windows = windowed_bound(problem, max_variables=200)

    assert exact.status == "Optimal"
    assert exact.cost <= cost * (1 + 1e-6) + 1e-6
    assert windows.cost <= cost * (1 + 1e-6) + 1e-6  # windows bound the policy's cost too
