"""A plan never buys and sells the same market: that only pays fees and spread twice.

The all-or-nothing minimums made it tempting: when the move the targets ask for is below the
smallest order a market accepts, two orders above the minimum (sell 22, buy back 11) net to it.
A chaos run saw it on the daemon (sell 0.00018, buy 0.00035 BTC on one venue in one round).
"""

from __future__ import annotations

from hypothesis import given
from tests.property.planner.test_plan_properties import CHECKS, cases
from tests.unit.planner.builders import market, policy, snapshot, venue

from rebalancer.core.planner import plan_rebalance
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import Plan
from rebalancer.domain.policy import Policy, RebalanceTo
from rebalancer.domain.snapshot import Snapshot

DOGE = market("DOGE", "0.09999", "0.10001", step="1", min_notional="1", fee="0.004", tick="0.00001")
BTC = market("BTC", "49999.99", "50000.01", step="0.00001", fee="0.004")
ETH = market("ETH", "2999.99", "3000.01", step="0.0001", fee="0.004")


def sides_per_market(plan: Plan) -> dict[tuple[str, str], set[OrderSide]]:
    """Which sides each (venue, symbol) is traded on."""
    sides: dict[tuple[str, str], set[OrderSide]] = {}
    for order in plan.orders:
        sides.setdefault((order.venue, order.symbol), set()).add(order.side)
    return sides


def test_a_move_below_the_minimum_order_is_not_made_of_a_sell_and_a_buy() -> None:
    # 30 DOGE (3 USDT) at 100 %, target 61 %: the 1.17 USDT to sell is barely above the
    # minimum order (1 USDT plus a lot of margin); netting a smaller move needs two orders
    snap = snapshot({"a": venue({"DOGE": "30", "USDT": "0"}, DOGE, BTC, ETH)})
    rules = policy(
        {"BTC": "1", "DOGE": "61", "ETH": "3", "USDT": "35"},
        venues=("a",),
        band="10",
        rebalance_to=RebalanceTo.TARGET,
    )

    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    assert plan.orders, "the DOGE sell is still planned"
    assert all(len(sides) == 1 for sides in sides_per_market(plan).values()), plan.orders


@CHECKS
@given(cases())
def test_no_generated_plan_buys_and_sells_one_market(case: tuple[Snapshot, Policy]) -> None:
    snap, rules = case
    plan = plan_rebalance(snap, rules)

    assert all(len(sides) == 1 for sides in sides_per_market(plan).values()), plan.orders
