"""The simulator config: strict keys, decimal money, a working engine from it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rebalancer.exchange_sim.build import build_engine
from rebalancer.exchange_sim.config import SimulatorConfigError, parse_config
from rebalancer.exchange_sim.engine import ManualClock

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def minimal(**venue_extra: Any) -> dict[str, Any]:
    return {
        "prices": {"source": "static", "start": {"BTC/USDT": "60000"}},
        "venues": {
            "main": {
                "protocol": "binance",
                "markets": ["BTC/USDT"],
                "accounts": [{"api_key": "k", "secret": "s", "balances": {"USDT": "100"}}],
                **venue_extra,
            }
        },
    }


def test_an_unknown_key_is_refused_with_its_path() -> None:
    raw = minimal(book={"spred_bps": "2"})
    with pytest.raises(SimulatorConfigError, match=r"venues\.main\.book\.spred_bps"):
        parse_config(raw)


def test_a_float_balance_is_refused_naming_the_asset() -> None:
    raw = minimal()
    raw["venues"]["main"]["accounts"][0]["balances"] = {"USDT": 0.1}
    with pytest.raises(SimulatorConfigError, match=r"balances\.USDT.*not a float"):
        parse_config(raw)


def test_a_source_without_its_inputs_is_refused() -> None:
    raw = minimal()
    raw["prices"] = {"source": "replay"}
    with pytest.raises(SimulatorConfigError, match=r"prices\.klines"):
        parse_config(raw)


def test_the_engine_gets_real_rules_balances_and_prices() -> None:
    engine = build_engine(parse_config(minimal()), ManualClock())
    venue = engine.venue("main")
    assert venue.markets["BTC/USDT"].amount_step == Decimal("0.00001")
    assert venue.accounts["k"].balance("USDT").free == Decimal("100")
    assert venue.books["BTC/USDT"].mid == Decimal("60000")


def test_rules_given_by_hand_replace_the_file() -> None:
    raw = minimal(
        markets=["FOO/USDT"],
        rules={
            "FOO/USDT": {
                "amount_step": "1",
                "min_amount": "1",
                "min_notional": "1",
                "price_tick": "0.1",
            }
        },
    )
    raw["prices"]["start"] = {"FOO/USDT": "2"}
    engine = build_engine(parse_config(raw), ManualClock())
    assert engine.venue("main").markets["FOO/USDT"].price_tick == Decimal("0.1")


def test_replay_reads_kline_files() -> None:
    raw = minimal()
    raw["prices"] = {
        "source": "replay",
        "speed": 3600,
        "max_bars": 3,
        "klines": {"BTC/USDT": "klines/BTCUSDT_1h.csv"},
    }
    clock = ManualClock()
    engine = build_engine(parse_config(raw, FIXTURES), clock)
    assert engine.venue("main").books["BTC/USDT"].mid == Decimal("46656.13")
    clock.advance(1)
    engine.advance()
    assert engine.venue("main").books["BTC/USDT"].mid == Decimal("46778.14")


def test_a_venue_offset_shifts_the_path_price_on_that_venue() -> None:
    engine = build_engine(parse_config(minimal(price_offset_bps="10")), ManualClock())
    assert engine.venue("main").books["BTC/USDT"].mid == Decimal("60060")


def test_common_markets_need_no_exchange_info_file() -> None:
    raw = minimal()
    engine = build_engine(parse_config(raw), ManualClock())
    btc = engine.venue("main").markets["BTC/USDT"]
    assert (btc.amount_step, btc.min_notional, btc.price_tick) == (
        Decimal("0.00001"),
        Decimal("5"),
        Decimal("0.01"),
    )


def test_a_market_without_built_in_or_given_rules_is_named() -> None:
    raw = minimal()
    raw["venues"]["main"]["markets"] = ["BTC/USDT", "ZZZ/USDT"]
    with pytest.raises(SimulatorConfigError, match=r"venues\.main\.markets.*ZZZ/USDT"):
        parse_config(raw)


def okx_venue(raw: dict[str, Any], markets: list[str]) -> dict[str, Any]:
    venue = raw["venues"]["main"]
    venue["protocol"] = "okx"
    venue["markets"] = markets
    venue["accounts"][0]["passphrase"] = "p"
    return raw


def test_an_okx_venue_trades_under_okx_rules_with_no_minimum_notional() -> None:
    raw = okx_venue(minimal(), ["BTC/USDT", "SOL/USDT"])
    raw["prices"]["start"]["SOL/USDT"] = "150"
    markets = build_engine(parse_config(raw), ManualClock()).venue("main").markets
    btc, sol = markets["BTC/USDT"], markets["SOL/USDT"]
    # OKX's instruments: BTC-USDT tickSz 0.1, lotSz 0.00000001, minSz 0.00001
    assert (btc.price_tick, btc.amount_step, btc.min_amount) == (
        Decimal("0.1"),
        Decimal("0.00000001"),
        Decimal("0.00001"),
    )
    assert (sol.price_tick, sol.amount_step, sol.min_amount) == (
        Decimal("0.01"),
        Decimal("0.000001"),
        Decimal("0.001"),
    )
    assert btc.min_notional == sol.min_notional == 0


def test_an_okx_market_without_okx_rules_is_named_with_the_ones_built_in() -> None:
    raw = okx_venue(minimal(), ["BTC/USDT", "BNB/USDT"])  # Binance knows BNB; OKX's table not
    with pytest.raises(SimulatorConfigError, match=r"no built-in okx rules for BNB/USDT.*SOL/USDT"):
        parse_config(raw)


def test_okx_rules_can_come_from_an_okx_instruments_reply(tmp_path: Path) -> None:
    reply = {
        "code": "0",
        "msg": "",
        "data": [
            {
                "instType": "SPOT",
                "instId": "BNB-USDT",
                "baseCcy": "BNB",
                "quoteCcy": "USDT",
                "tickSz": "0.1",
                "lotSz": "0.0001",
                "minSz": "0.01",
                "maxLmtSz": "",
            }
        ],
    }
    (tmp_path / "okx-instruments.json").write_text(json.dumps(reply), encoding="utf-8")
    raw = okx_venue(minimal(), ["BNB/USDT"])
    raw["prices"]["start"] = {"BNB/USDT": "500"}
    raw["simulator"] = {"okx_instruments": "okx-instruments.json"}
    bnb = build_engine(parse_config(raw, tmp_path), ManualClock()).venue("main").markets["BNB/USDT"]
    assert (bnb.price_tick, bnb.amount_step, bnb.min_amount, bnb.max_amount) == (
        Decimal("0.1"),
        Decimal("0.0001"),
        Decimal("0.01"),
        None,
    )
