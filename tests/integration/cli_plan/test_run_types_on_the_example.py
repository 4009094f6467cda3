"""Each run type on the example config and snapshot, as a user runs ``rebalancer plan``: the
figures the run-type issue measured, and what they are now."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from .test_plan_command import CONFIG, plan


def plan_json(*extra: str | Path, config: Path = CONFIG) -> dict[str, Any]:
    result = plan("--json", *extra, config=config)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def notional(order: dict[str, Any]) -> Decimal:
    return Decimal(order["amount"]) * Decimal(order["price"])


def test_a_5000_withdraw_sells_only_what_the_cash_held_lacks() -> None:
    doc = plan_json("--type", "withdraw", "--amount", "5000")

    # was: sold 24,510 and bought 6,066 of SOL; 1,490 of the cash held is free to pay out
    assert {o["side"] for o in doc["orders"]} == {"sell"}
    sold = sum(notional(o) for o in doc["orders"])
    assert Decimal(3510) <= sold <= Decimal(3520)
    assert {o["symbol"] for o in doc["orders"]} == {"BTC/USDT"}  # the most overweight


def test_a_withdraw_above_what_the_holdings_can_raise_exits_2_saying_how_much() -> None:
    result = plan("--type", "withdraw", "--amount", "1e9")

    assert result.returncode == 2
    assert "the holdings can raise at most 80663.73 USDT" in result.stderr
    assert result.stdout == ""


def test_a_partial_withdraw_raises_the_most_it_can() -> None:
    doc = plan_json("--type", "withdraw", "--amount", "1e9", "--partial")

    assert {o["side"] for o in doc["orders"]} == {"sell"}
    (shortfall,) = [r for r in doc["residuals"] if r["asset"] == "USDT"]
    assert "raised 80663.73 of 1000000000.00 asked" in shortfall["reason"]


def test_a_withdraw_on_one_venue_brings_the_cash_there() -> None:
    doc = plan_json("--type", "withdraw", "--amount", "5000", "--venue", "okx")

    assert {o["side"] for o in doc["orders"]} == {"sell"}
    (transfer,) = doc["transfers"]
    assert (transfer["from"], transfer["to"]) == ("binance", "okx")
    assert Decimal(transfer["amount"]) == Decimal(4961)  # okx holds 40; the fee is 1


def test_liquidate_moves_no_asset_between_venues_it_can_sell_where_it_is() -> None:
    doc = plan_json("--type", "liquidate")

    # was: 0.001 BTC sent binance -> okx for 0.0002 BTC (about 11 USDT) to sell ~1 USDT there
    assert doc["transfers"] == []
    assert {o["side"] for o in doc["orders"]} == {"sell"}
    assert Decimal(doc["weights_after"]["USDT"]) == Decimal(100)


def test_invest_cash_spends_the_amount_on_the_most_underweight() -> None:
    doc = plan_json("--type", "invest_cash", "--amount", "1000")

    assert [(o["side"], o["symbol"]) for o in doc["orders"]] == [("buy", "SOL/USDT")]
    (transfer,) = doc["transfers"]
    # what okx lacks for the buy and its fee (961), and 0.5 % of it for prices to move
    assert Decimal(965) < Decimal(transfer["amount"]) <= Decimal(966)
    assert "funds okx" in transfer["purpose"]


def test_invest_cash_without_an_amount_spends_only_cash_above_its_target() -> None:
    doc = plan_json("--type", "invest_cash")

    assert doc["orders"] == []  # the example holds 2.2 % cash against a 20 % target
    assert "amount" not in doc


def test_invest_cash_above_the_spendable_cash_exits_2() -> None:
    result = plan("--type", "invest_cash", "--amount", "5000")

    assert result.returncode == 2
    assert "can spend at most 1490.00 USDT" in result.stderr


def test_half_a_position_per_trade_no_longer_buys_and_sells_one_asset(tmp_path: Path) -> None:
    text = CONFIG.read_text().replace(
        "max_trades_per_run = 12", 'max_trades_per_run = 12\nmin_trade_percent_of_position = "50"'
    )
    config = tmp_path / "half.toml"
    config.write_text(text)

    doc = plan_json(config=config)

    # was: ETH and SOL each bought and sold, costing 96.21 where the trades needed 14
    sides: dict[str, set[str]] = {}
    for order in doc["orders"]:
        sides.setdefault(order["symbol"], set()).add(order["side"])
    assert all(len(s) == 1 for s in sides.values()), sides
    assert Decimal(doc["estimated_cost"]) < Decimal(50)
