import json
import re
from decimal import Decimal

import pytest

from rebalancer.codecs.plan_json import PlanFormatError, dump_plan, parse_plan
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer, Residual, RunType

D = Decimal


def example_plan() -> Plan:
    """The example of contracts.md §3, with unrounded weights as the planner computes them."""
    return Plan(
        portfolio="core",
        run_type=RunType.FULL,
        orders=(
            PlannedOrder("o1", "binance", "BTC/USDT", OrderSide.SELL, D("0.01200"), D("61990.00")),
        ),
        transfers=(PlannedTransfer("t1", "USDT", "TRC20", "binance", "okx", D("500"), ("o1",)),),
        estimated_cost=D("3.41"),
        weights_before={
            "USDT": D("15.996"),
            "BTC": D("45.1049"),
            "SOL": D("9.9"),
            "ETH": D("29"),
        },
        weights_after={"BTC": D("41"), "ETH": D("29"), "SOL": D("9.9"), "USDT": D("20.1")},
        residuals=(Residual("SOL", "binance", "below min_notional", D("0.02")),),
    )


def test_dump_follows_the_contract_key_order_and_formats() -> None:
    doc = json.loads(dump_plan(example_plan()))
    assert list(doc) == [
        "version",
        "portfolio",
        "run_type",
        "orders",
        "transfers",
        "estimated_cost",
        "weights_before",
        "weights_after",
        "residuals",
    ]
    assert doc["orders"] == [
        {
            "id": "o1",
            "venue": "binance",
            "symbol": "BTC/USDT",
            "side": "sell",
            "amount": "0.01200",
            "price": "61990.00",
            "depends_on": [],
        }
    ]
    assert doc["transfers"][0] == {
        "id": "t1",
        "asset": "USDT",
        "network": "TRC20",
        "from": "binance",
        "to": "okx",
        "amount": "500",
        "depends_on": ["o1"],
    }
    assert doc["estimated_cost"] == "3.41"
    assert doc["residuals"] == [
        {"asset": "SOL", "venue": "binance", "reason": "below min_notional", "amount": "0.02"}
    ]


def test_weights_are_sorted_and_shown_with_two_decimals() -> None:
    doc = json.loads(dump_plan(example_plan()))
    assert doc["weights_before"] == {"BTC": "45.10", "ETH": "29.00", "SOL": "9.90", "USDT": "16.00"}
    assert list(doc["weights_before"]) == ["BTC", "ETH", "SOL", "USDT"]


def test_decimals_never_use_exponents() -> None:
    plan = example_plan()
    tiny = PlannedOrder("o2", "okx", "SOL/USDT", OrderSide.BUY, D("1E-3"), D("1.5E+2"))
    text = dump_plan(Plan(**{**_fields(plan), "orders": (tiny,), "estimated_cost": D("0E-8")}))
    doc = json.loads(text)
    assert doc["orders"][0]["amount"] == "0.001"
    assert doc["orders"][0]["price"] == "150"
    assert doc["estimated_cost"] == "0"
    assert re.search(r"\d[eE][+-]?\d", text) is None


def test_same_plan_gives_the_same_bytes() -> None:
    assert dump_plan(example_plan()) == dump_plan(example_plan())


def test_parse_reads_back_the_plan_with_display_weights() -> None:
    plan = example_plan()
    again = parse_plan(dump_plan(plan))
    assert again.orders == plan.orders
    assert again.transfers == plan.transfers
    assert again.residuals == plan.residuals
    assert again.weights_before["BTC"] == D("45.10")
    assert dump_plan(again) == dump_plan(plan)


def _fields(plan: Plan) -> dict[str, object]:
    return {name: getattr(plan, name) for name in Plan.__dataclass_fields__}


@pytest.mark.parametrize(
    ("mutate", "field", "message"),
    [
        (lambda d: d.update(version=3), "version", "unsupported version 3"),
        (lambda d: d.update(run_type="rebalance"), "run_type", "expected one of full"),
        (lambda d: d.pop("orders"), "orders", "missing"),
        (lambda d: d["orders"][0].update(side="short"), "orders[0].side", "buy or sell"),
        (lambda d: d["orders"][0].update(amount=0.012), "orders[0].amount", "JSON number"),
        (lambda d: d["orders"][0].update(price="0"), "orders[0].price", "must be positive"),
        (lambda d: d["transfers"][0].pop("from"), "transfers[0].from", "missing"),
        (lambda d: d["transfers"][0].update(depends_on="o1"), "transfers[0].depends_on", "array"),
        (lambda d: d["weights_after"].update(BTC=41), "weights_after.BTC", "JSON number"),
        (lambda d: d.update(estimated_cost="-1"), "estimated_cost", "at least 0"),
        (lambda d: d["residuals"][0].pop("reason"), "residuals[0].reason", "missing"),
        (lambda d: d["transfers"][0].update(id="o1"), "transfers[0].id", "duplicate node id"),
        (
            lambda d: d["transfers"][0].update(depends_on=["o1", "o9"]),
            "transfers[0].depends_on[1]",
            "no other node 'o9'",
        ),
        (
            lambda d: d["orders"][0].update(depends_on=["o1"]),
            "orders[0].depends_on[0]",
            "no other node 'o1'",
        ),
    ],
)
def test_malformed_plan_names_the_field(mutate: object, field: str, message: str) -> None:
    doc = json.loads(dump_plan(example_plan()))
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(PlanFormatError) as caught:
        parse_plan(json.dumps(doc))
    assert caught.value.field == field
    assert message in caught.value.reason
