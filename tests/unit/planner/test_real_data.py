"""Plans on snapshots built from real Binance closes and rules, including real delistings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.fixtures.realdata import available, bars, real_snapshot, weights_policy

from rebalancer.core.planner import plan_rebalance
from rebalancer.domain.plan import RunType

pytestmark = pytest.mark.skipif(not available(), reason="needs ../shared/data")

WEIGHTS = {"BTC": Decimal(30), "ETH": Decimal(20), "MATIC": Decimal(10), "XMR": Decimal(10),
           "SOL": Decimal(10), "USDT": Decimal(20)}  # fmt: skip
HOLDINGS = {"BTC": Decimal(40000), "ETH": Decimal(10000), "MATIC": Decimal(5000),
            "XMR": Decimal(5000), "SOL": Decimal(20000), "USDT": Decimal(20000)}  # fmt: skip


def test_fixture_uses_the_real_closes() -> None:
    assert bars("BTC")[date(2021, 11, 10)].close == Decimal("64882.43")
    snap = real_snapshot(date(2021, 11, 10), {"BTC": Decimal(1000), "USDT": Decimal(0)})
    quote = snap.venues["binance"].markets["BTC/USDT"].quote
    assert quote.bid < Decimal("64882.43") < quote.ask


def test_delisted_assets_are_residuals_whose_value_still_counts() -> None:
    snap = real_snapshot(date(2024, 10, 1), HOLDINGS)  # after both delistings
    plan = plan_rebalance(snap, weights_policy(WEIGHTS, ("binance",)))

    assert "MATIC/USDT" not in snap.venues["binance"].markets
    for asset in ("MATIC", "XMR"):
        assert plan.weights_before[asset] > Decimal(4)
        assert abs(plan.weights_after[asset] - plan.weights_before[asset]) < Decimal("0.1")
        reasons = [r.reason for r in plan.residuals if r.asset == asset]
        assert any(f"no {asset}/USDT market" in reason for reason in reasons)
    assert not any(o.symbol.startswith(("MATIC", "XMR")) for o in plan.orders)
    for order in plan.orders:
        rules = snap.venues["binance"].markets[order.symbol].rules
        assert rules.check_order(order.amount, order.price).ok


def test_delisted_assets_survive_a_liquidation() -> None:
    snap = real_snapshot(date(2024, 10, 1), HOLDINGS)
    plan = plan_rebalance(snap, weights_policy(WEIGHTS, ("binance",)), RunType.LIQUIDATE)

    sold = {o.symbol for o in plan.orders}
    assert sold == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    assert {r.asset for r in plan.residuals} >= {"MATIC", "XMR"}


def test_before_the_delistings_both_assets_trade() -> None:
    snap = real_snapshot(date(2024, 1, 15), HOLDINGS)
    plan = plan_rebalance(snap, weights_policy(WEIGHTS, ("binance",)))

    traded = {o.symbol for o in plan.orders}
    assert {"MATIC/USDT", "XMR/USDT"} <= traded
    assert not any(r.asset in {"MATIC", "XMR"} for r in plan.residuals)
