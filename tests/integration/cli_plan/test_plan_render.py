"""The plan's table form, rendered in process from domain values."""

from datetime import UTC, datetime
from decimal import Decimal

from rebalancer.cli.plan_render import render_plan, table
from rebalancer.core.drift import DriftReport, measure_drift
from rebalancer.core.valuation import Valuation
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer, Residual, RunType
from rebalancer.domain.policy import BandType, DriftBand, Policy
from rebalancer.domain.snapshot import Route, Snapshot

D = Decimal
POLICY = Policy(
    "core",
    "USDT",
    ("binance", "okx"),
    {"BTC": D("60"), "USDT": D("40")},
    drift_band=DriftBand(BandType.RELATIVE, D("10")),
)
ROUTE = Route("USDT", "TRC20", "binance", "okx", D("1"), D("10"), 300)
SNAPSHOT = Snapshot(datetime(2024, 3, 1, tzinfo=UTC), {}, (ROUTE,))


def drift_at(btc: str) -> DriftReport:
    values = {"BTC": D(btc), "USDT": 100 - D(btc)}
    valuation = Valuation("USDT", values, {"BTC": D(1), "USDT": D(1)}, values, D(100))
    return measure_drift(valuation, POLICY)


def plan(**changes: object) -> Plan:
    base: dict[str, object] = {
        "portfolio": "core",
        "run_type": RunType.FULL,
        "orders": (),
        "transfers": (),
        "estimated_cost": D("0"),
        "weights_before": {"BTC": D("70"), "USDT": D("30")},
        "weights_after": {"BTC": D("66.004"), "USDT": D("33.996")},
    }
    return Plan(**{**base, **changes})  # type: ignore[arg-type]


def test_table_aligns_numeric_columns_right() -> None:
    text = table(["name", "n"], [["a", "1"], ["bbb", "100"]], numeric={1})
    assert text.splitlines() == ["  name    n", "  a       1", "  bbb   100"]


def test_weights_show_before_target_relative_band_and_after() -> None:
    drift = drift_at("70")
    text = render_plan(plan(), POLICY, drift, SNAPSHOT)
    btc_line = next(line for line in text.splitlines() if line.strip().startswith("BTC"))
    assert btc_line.split() == [
        "BTC",
        "70.00%",
        "60.00%",
        "54.00%",
        "..",
        "66.00%",
        "66.00%",
        "outside",
        "band",
    ]
    assert "Nothing to trade" in text
    assert "Orders: none" in text


def test_orders_transfers_and_residuals_are_listed_with_dependencies() -> None:
    drift = drift_at("70")
    sell = PlannedOrder("o1", "binance", "BTC/USDT", OrderSide.SELL, D("0.5"), D("20000.00"))
    move = PlannedTransfer("t1", "USDT", "TRC20", "binance", "okx", D("500"), ("o1",))
    dust = Residual("BTC", "okx", "below min_notional", D("0.00001"))
    text = render_plan(
        plan(orders=(sell,), transfers=(move,), residuals=(dust,), estimated_cost=D("12.3456")),
        POLICY,
        drift,
        SNAPSHOT,
    )
    assert "Orders (1)" in text
    assert "o1  binance  sell" in text
    assert "10000.00" in text  # notional
    assert "binance -> okx" in text
    assert "~300 s  o1" in text
    assert "Estimated cost: 12.35 USDT" in text
    assert "below min_notional" in text
    assert "Nothing to trade" not in text


def test_same_plan_renders_the_same_text() -> None:
    drift = drift_at("70")
    first = render_plan(plan(), POLICY, drift, SNAPSHOT)
    assert first == render_plan(plan(), POLICY, drift, SNAPSHOT)
    assert first.endswith("\n")
