"""Price paths and real market rules."""

from __future__ import annotations

import itertools
import json
import math
from decimal import Decimal
from pathlib import Path

import pytest
from tests.fixtures.realdata import DATA_DIR

from rebalancer.exchange_sim.engine import (
    RandomWalkPath,
    ReplayPath,
    ScriptedPath,
    markets_from_exchange_info,
)
from rebalancer.exchange_sim.engine.prices import parse_kline_csv

EXCHANGE_INFO = DATA_DIR / "exchange-info" / "binance-spot-2024-09-08.json"
KLINES = Path(__file__).resolve().parents[2] / "fixtures" / "klines" / "BTCUSDT_1h.csv"
D = Decimal
needs_exchange_info = pytest.mark.skipif(
    not EXCHANGE_INFO.exists(), reason=f"needs the shared market rules at {EXCHANGE_INFO}"
)


def test_random_walk_is_reproducible_from_its_seed_and_moves() -> None:
    start = {"BTC/USDT": D("60000"), "ETH/USDT": D("3000")}
    first = RandomWalkPath(dict(start), seed=3).prices_at(3600)
    again = RandomWalkPath(dict(start), seed=3).prices_at(3600)
    other = RandomWalkPath(dict(start), seed=4).prices_at(3600)
    assert first == again
    assert first != other
    assert first["BTC/USDT"] != D("60000")


def test_random_walk_returns_are_correlated_and_crypto_volatile() -> None:
    path = RandomWalkPath({"A/USDT": D("100"), "B/USDT": D("100")}, correlation=0.8, step_s=3600)
    prices = [path.prices_at(hour * 3600) for hour in range(2001)]
    ra = [math.log(float(b["A/USDT"] / a["A/USDT"])) for a, b in itertools.pairwise(prices)]
    rb = [math.log(float(b["B/USDT"] / a["B/USDT"])) for a, b in itertools.pairwise(prices)]
    mean_a, mean_b = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(ra, rb, strict=False)) / len(ra)
    var_a = sum((x - mean_a) ** 2 for x in ra) / len(ra)
    var_b = sum((y - mean_b) ** 2 for y in rb) / len(rb)
    assert 0.7 < cov / math.sqrt(var_a * var_b) < 0.9
    annual = math.sqrt(var_a * 24 * 365)
    assert 0.55 < annual < 0.85


def test_scripted_path_changes_in_steps() -> None:
    path = ScriptedPath([(10, {"BTC/USDT": D("61000")}), (0, {"BTC/USDT": D("60000")})])
    assert path.prices_at(5) == {"BTC/USDT": D("60000")}
    assert path.prices_at(10) == {"BTC/USDT": D("61000")}


def test_replay_interpolates_real_closes_at_an_accelerated_clock() -> None:
    text = KLINES.read_text()
    bars = parse_kline_csv(text, limit=3)
    assert bars[0][1] == D("46656.13")
    path = ReplayPath({"BTC/USDT": bars}, speed=3600)
    assert path.prices_at(0)["BTC/USDT"] == D("46656.13")
    assert path.prices_at(1)["BTC/USDT"] == D("46778.14")
    halfway = path.prices_at(0.5)["BTC/USDT"]
    assert halfway == (D("46656.13") + D("46778.14")) / 2
    assert path.prices_at(100)["BTC/USDT"] == bars[-1][1]


@needs_exchange_info
def test_markets_take_the_real_binance_filters() -> None:
    info = json.loads(EXCHANGE_INFO.read_text())
    [btc, sol] = markets_from_exchange_info(info, ["BTC/USDT", "SOL/USDT"])
    assert (btc.price_tick, btc.amount_step, btc.min_notional) == (D("0.01"), D("0.00001"), D("5"))
    assert sol.symbol == "SOL/USDT"
    assert sol.amount_step == D("0.001")


@needs_exchange_info
def test_a_symbol_missing_from_the_file_is_named() -> None:
    info = json.loads(EXCHANGE_INFO.read_text())
    with pytest.raises(Exception, match="NOPE/USDT"):
        markets_from_exchange_info(info, ["NOPE/USDT"])
