"""What a user notices about plans: where weights end, which trades exist, what is refused."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from tests.unit.planner.builders import (
    D,
    final_balances,
    market,
    policy,
    route,
    snapshot,
    venue,
    worst_prefix,
)

from rebalancer.core.planner import max_raisable, plan_rebalance
from rebalancer.domain.errors import AmountUnavailable, PlanningError
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import RebalanceTo
from rebalancer.domain.snapshot import InTransit

BTC = market("BTC", "50000", "50010", step="0.00001")
ETH = market("ETH", "3000", "3001", step="0.0001")
SOL = market("SOL", "100", "100.1", step="0.01")


def single(balances: dict[str, str], *markets: object) -> object:
    """One venue "x" listing BTC and ETH (and whatever else is given)."""
    return snapshot({"x": venue(balances, BTC, ETH, SOL, *markets)})  # type: ignore[arg-type]


DRIFTED = {"BTC": "1", "ETH": "5", "USDT": "5000"}  # BTC 71 %, ETH 21 %, USDT 7 %
TARGETS = {"BTC": "50", "ETH": "30", "USDT": "20"}


def weight(plan: object, asset: str) -> Decimal:
    return plan.weights_after[asset]  # type: ignore[attr-defined,no-any-return]


def test_band_edge_moves_each_drifted_asset_only_to_its_band_edge() -> None:
    rules = policy(TARGETS, band_edge_margin_percent=D(0))
    plan = plan_rebalance(single(DRIFTED), rules)  # type: ignore[arg-type]

    assert D("54.9") <= weight(plan, "BTC") <= D("55")
    assert D("25") <= weight(plan, "ETH") <= D("25.1")
    assert D("15") <= weight(plan, "USDT") <= D("25")
    assert plan.residuals == ()


def test_band_edge_lands_the_margin_inside_the_band_edge() -> None:
    plan = plan_rebalance(single(DRIFTED), policy(TARGETS))  # type: ignore[arg-type]

    # 20 % (the default) of the 5-point half-width inside the edges 55 % and 25 %
    assert D("53.9") <= weight(plan, "BTC") <= D("54.1")
    assert D("25.9") <= weight(plan, "ETH") <= D("26.1")
    assert D("15") <= weight(plan, "USDT") <= D("25")
    assert plan.residuals == ()
    sides = {(o.symbol, o.side) for o in plan.orders}
    assert sides == {("BTC/USDT", OrderSide.SELL), ("ETH/USDT", OrderSide.BUY)}


def test_target_mode_moves_every_asset_close_to_its_target() -> None:
    rules = policy(TARGETS, rebalance_to=RebalanceTo.TARGET)
    plan = plan_rebalance(single(DRIFTED), rules)  # type: ignore[arg-type]

    for asset, target in TARGETS.items():
        assert abs(weight(plan, asset) - D(target)) < D("0.1"), asset


def test_calendar_only_portfolio_is_taken_to_target() -> None:
    rules = policy(TARGETS, band=None)
    plan = plan_rebalance(single(DRIFTED), rules)  # type: ignore[arg-type]

    assert abs(weight(plan, "BTC") - D(50)) < D("0.1")


def test_portfolio_inside_its_bands_gets_an_empty_plan() -> None:
    balances = {"BTC": "1", "ETH": "10", "USDT": "20000"}  # 50 / 30 / 20
    plan = plan_rebalance(single(balances), policy(TARGETS))  # type: ignore[arg-type]

    assert plan.is_empty
    assert plan.estimated_cost == 0


def test_invest_cash_never_sells_and_fills_the_most_underweight_first() -> None:
    balances = {"BTC": "0.7", "ETH": "3.3333", "SOL": "250", "USDT": "40000"}
    rules = policy({"BTC": "40", "ETH": "30", "SOL": "10", "USDT": "20"})
    plan = plan_rebalance(single(balances), rules, RunType.INVEST_CASH)  # type: ignore[arg-type]

    assert plan.orders
    assert all(o.side is OrderSide.BUY for o in plan.orders)
    bought = {o.symbol: o.notional for o in plan.orders}
    assert bought["ETH/USDT"] > bought.get("BTC/USDT", D(0))
    assert "SOL/USDT" not in bought  # overweight: nothing to invest there
    assert weight(plan, "USDT") >= D("19.9")


def test_invest_cash_with_cash_below_target_does_nothing() -> None:
    plan = plan_rebalance(single(DRIFTED), policy(TARGETS), RunType.INVEST_CASH)  # type: ignore[arg-type]

    assert plan.is_empty


def test_withdraw_raises_the_amount_selling_the_most_overweight_first() -> None:
    snap = single(DRIFTED)
    plan = plan_rebalance(snap, policy(TARGETS), RunType.WITHDRAW, D(10000))  # type: ignore[arg-type]

    cash = final_balances(plan, snap)[("x", "USDT")]  # type: ignore[arg-type]
    assert cash >= D(10000)
    sold = {o.symbol for o in plan.orders if o.side is OrderSide.SELL}
    assert sold == {"BTC/USDT"}


def test_withdraw_needs_a_positive_amount() -> None:
    with pytest.raises(PlanningError, match="amount"):
        plan_rebalance(single(DRIFTED), policy(TARGETS), RunType.WITHDRAW)  # type: ignore[arg-type]


def test_withdraw_beyond_what_the_holdings_can_raise_is_refused_saying_how_much_can() -> None:
    snap = single(DRIFTED)
    with pytest.raises(AmountUnavailable) as refused:
        plan_rebalance(snap, policy(TARGETS), RunType.WITHDRAW, D(1_000_000))  # type: ignore[arg-type]

    most = max_raisable(snap, policy(TARGETS))  # type: ignore[arg-type]
    assert refused.value.available == most
    assert D(69_000) < most < D(70_010)  # 70,010 held, less fees and spread
    assert f"at most {most.quantize(D('0.01'))}" in str(refused.value)


def test_a_partial_withdraw_raises_the_most_the_holdings_can() -> None:
    snap = single(DRIFTED)
    rules = policy(TARGETS)
    plan = plan_rebalance(snap, rules, RunType.WITHDRAW, D(1_000_000), partial=True)  # type: ignore[arg-type]

    cash = final_balances(plan, snap)[("x", "USDT")]  # type: ignore[arg-type]
    assert cash == max_raisable(snap, rules)  # type: ignore[arg-type]
    assert all(o.side is OrderSide.SELL for o in plan.orders)
    assert any("(partial)" in r.reason for r in plan.residuals)


def test_liquidate_sells_everything_and_reports_the_dust_below_a_lot() -> None:
    snap = single({"BTC": "1.000005", "ETH": "5", "USDT": "10"})
    plan = plan_rebalance(snap, policy(TARGETS), RunType.LIQUIDATE)  # type: ignore[arg-type]

    left = final_balances(plan, snap)  # type: ignore[arg-type]
    assert left[("x", "ETH")] == 0
    assert left[("x", "BTC")] == D("0.000005")
    dust = [r for r in plan.residuals if r.asset == "BTC"]
    assert [r.amount for r in dust] == [D("0.000005")]
    assert "dust" in dust[0].reason
    assert weight(plan, "USDT") > D("99.99")  # the dust still counts


def test_liquidate_reports_a_holding_below_the_minimum_notional() -> None:
    snap = single({"BTC": "0.00005", "USDT": "10"})  # 2.50 USDT of BTC, minimum 5
    plan = plan_rebalance(snap, policy(TARGETS), RunType.LIQUIDATE)  # type: ignore[arg-type]

    assert plan.orders == ()
    assert [r.asset for r in plan.residuals] == ["BTC"]


def test_delisted_asset_is_a_residual_and_its_value_still_counts() -> None:
    snap = snapshot(
        {"x": venue({"BTC": "1", "MATIC": "10000", "USDT": "1000"}, BTC)},
        reference_prices={"MATIC": D("0.38")},
    )
    rules = policy({"BTC": "80", "MATIC": "10", "USDT": "10"})
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    assert plan.weights_before["MATIC"] > D(6)
    assert abs(weight(plan, "MATIC") - plan.weights_before["MATIC"]) < D("0.1")
    matic = [r for r in plan.residuals if r.asset == "MATIC"]
    assert matic
    assert "no MATIC/USDT market" in matic[0].reason


def test_every_order_is_on_its_step_and_above_its_minimums() -> None:
    snap = single({"BTC": "0.61", "ETH": "5.5", "SOL": "3", "USDT": "30000"})
    rules = policy({"BTC": "40", "ETH": "30", "SOL": "10", "USDT": "20"}, band="2")
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    assert plan.orders
    for order in plan.orders:
        listed = snap.venues["x"].markets[order.symbol]  # type: ignore[attr-defined]
        assert listed.rules.check_order(order.amount, order.price).ok, order


def test_min_trade_notional_keeps_small_trades_out() -> None:
    snap = single({"BTC": "1", "ETH": "10", "SOL": "5", "USDT": "19000"})  # SOL 0.7 % under
    rules = policy(
        {"BTC": "49", "ETH": "29", "SOL": "2", "USDT": "20"}, band="1", min_trade_notional=D(1000)
    )
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    assert all(o.notional >= 1000 for o in plan.orders)


def test_max_order_notional_slices_a_big_order_into_orders_on_the_step() -> None:
    rules = policy(TARGETS, max_order_notional=D(5000))
    snap = single(DRIFTED)
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    btc = [o for o in plan.orders if o.symbol == "BTC/USDT"]
    assert len(btc) >= 3
    assert all(o.side is OrderSide.SELL for o in btc)
    # even a sell placed as a limit at the ask stays under the cap the pre-trade gate checks
    asks = {s: m.quote.ask for s, m in snap.venues["x"].markets.items()}  # type: ignore[attr-defined]
    assert all(o.amount * asks[o.symbol] <= 5000 for o in plan.orders)
    assert all(o.amount % D("0.00001") == 0 for o in btc)
    assert D("53.9") <= weight(plan, "BTC") <= D("54.1")


def test_max_order_notional_holds_for_a_sell_placed_as_a_limit_at_the_ask() -> None:
    # half of 1 BTC to sell at a 1 % spread: two slices fit the cap at the bid, not at the ask
    btc = market("BTC", "59700", "60300", step="0.00001")
    snap = snapshot({"x": venue({"BTC": "1", "USDT": "0"}, btc)})
    rules = policy(
        {"BTC": "50", "USDT": "50"}, rebalance_to=RebalanceTo.TARGET, max_order_notional=D(15000)
    )
    plan = plan_rebalance(snap, rules)

    assert sum(o.amount for o in plan.orders) > D("0.49")
    assert all(o.side is OrderSide.SELL for o in plan.orders)
    assert all(o.amount * D(60300) <= 15000 for o in plan.orders)


def test_max_trades_per_run_caps_the_orders_and_reports_what_stays_out_of_band() -> None:
    balances = {"BTC": "1", "ETH": "1", "SOL": "300", "USDT": "1000"}
    rules = policy({"BTC": "40", "ETH": "30", "SOL": "10", "USDT": "20"}, max_trades_per_run=1)
    plan = plan_rebalance(single(balances), rules)  # type: ignore[arg-type]

    assert len(plan.orders) == 1
    assert any("outside band" in r.reason for r in plan.residuals)


def test_cash_reserve_on_a_venue_is_kept() -> None:
    balances = {"BTC": "0.5", "ETH": "2", "USDT": "20000"}  # lots of cash to invest
    rules = policy(TARGETS, cash_reserve={"x": D(12000)})
    snap = single(balances)
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    assert final_balances(plan, snap)[("x", "USDT")] >= 12000  # type: ignore[arg-type]


def test_asset_a_venue_must_not_hold_is_moved_off_it() -> None:
    snap = snapshot(
        {
            "x": venue({"BTC": "1", "USDT": "30000"}, BTC, ETH),
            "y": venue({"ETH": "10", "USDT": "100"}, ETH),
        }
    )
    rules = policy(
        {"BTC": "50", "ETH": "30", "USDT": "20"},
        venues=("x", "y"),
        forbidden_assets={"y": frozenset({"ETH"})},
    )
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    assert final_balances(plan, snap)[("y", "ETH")] == 0  # type: ignore[arg-type]
    assert not any(r.reason.startswith("venue must not") for r in plan.residuals)


def two_venues(route_fee: str, cheap_fee: str = "0.0005") -> object:
    """Cash on dear venue "a"; cheap venue "b" has no cash; a route a -> b."""
    dear = market("ETH", "3000", "3001", fee="0.01")
    cheap = market("ETH", "3000", "3001", fee=cheap_fee)
    return snapshot(
        {"a": venue({"USDT": "100000"}, dear), "b": venue({}, cheap)},
        [route("USDT", "a", "b", fee=route_fee)],
    )


def test_cash_is_moved_to_the_cheaper_venue_when_that_beats_the_fee() -> None:
    snap = two_venues(route_fee="1")
    rules = policy({"ETH": "50", "USDT": "50"}, venues=("a", "b"))
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    assert len(plan.transfers) == 1
    transfer = plan.transfers[0]
    assert (transfer.source, transfer.destination) == ("a", "b")
    buys = [o for o in plan.orders if o.side is OrderSide.BUY]
    assert buys
    assert all(o.venue == "b" and transfer.id in o.depends_on for o in buys)
    assert worst_prefix(plan, snap, random.Random(1)) >= 0  # type: ignore[arg-type]


def test_cash_stays_put_when_the_transfer_fee_outweighs_the_saving() -> None:
    snap = two_venues(route_fee="5000")
    rules = policy({"ETH": "50", "USDT": "50"}, venues=("a", "b"))
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    assert plan.transfers == ()
    assert {o.venue for o in plan.orders} == {"a"}


def test_transfer_waits_for_the_sells_that_fund_it() -> None:
    dear = market("ETH", "3000", "3001", fee="0.01")
    cheap = market("BTC", "50000", "50010", step="0.00001", fee="0.0005")
    snap = snapshot(
        {
            "a": venue(
                {"ETH": "30", "USDT": "0"}, dear, market("BTC", "50000", "50010", fee="0.01")
            ),
            "b": venue({"USDT": "0"}, cheap),
        },
        [route("USDT", "a", "b", fee="1")],
    )
    rules = policy({"ETH": "10", "BTC": "80", "USDT": "10"}, venues=("a", "b"))
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    sells = {o.id for o in plan.orders if o.side is OrderSide.SELL and o.venue == "a"}
    assert sells
    assert plan.transfers
    assert set(plan.transfers[0].depends_on) == sells
    assert worst_prefix(plan, snap, random.Random(2)) >= 0  # type: ignore[arg-type]


def test_sells_come_before_buys_on_the_same_venue() -> None:
    plan = plan_rebalance(single(DRIFTED), policy(TARGETS))  # type: ignore[arg-type]

    sells = {o.id for o in plan.orders if o.side is OrderSide.SELL}
    for order in plan.orders:
        if order.side is OrderSide.BUY:
            assert sells <= set(order.depends_on)


def test_in_transit_counts_at_its_destination_but_is_not_traded() -> None:
    snap = snapshot(
        {"x": venue({"BTC": "1", "USDT": "0"}, BTC, ETH)},
        in_transit=(InTransit("ETH", "elsewhere", "x", D(10)),),
    )
    rules = policy({"BTC": "50", "ETH": "30", "USDT": "20"})
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    assert plan.weights_before["ETH"] > D(37)
    assert not any(o.symbol == "ETH/USDT" and o.side is OrderSide.SELL for o in plan.orders)


def test_the_same_input_gives_the_same_plan() -> None:
    snap = single({"BTC": "0.61", "ETH": "5.5", "SOL": "3", "USDT": "30000"})
    rules = policy({"BTC": "40", "ETH": "30", "SOL": "10", "USDT": "20"}, band="2")

    assert plan_rebalance(snap, rules) == plan_rebalance(snap, rules)  # type: ignore[arg-type]


def test_estimated_cost_is_the_contract_formula() -> None:
    snap = single(DRIFTED)
    plan = plan_rebalance(snap, policy(TARGETS))  # type: ignore[arg-type]

    expected = D(0)
    for order in plan.orders:
        listed = snap.venues["x"].markets[order.symbol]  # type: ignore[attr-defined]
        mid = (listed.quote.bid + listed.quote.ask) / 2
        expected += order.amount * abs(order.price - mid)
        expected += listed.rules.taker_fee * order.amount * order.price
    assert plan.estimated_cost == expected.quantize(D("0.00000001"))
    assert plan.estimated_cost > 0


def test_weights_after_match_an_independent_simulation() -> None:
    snap = single(DRIFTED)
    plan = plan_rebalance(snap, policy(TARGETS))  # type: ignore[arg-type]

    left = final_balances(plan, snap)  # type: ignore[arg-type]
    mids = {"BTC": D("50005"), "ETH": D("3000.5"), "USDT": D(1)}
    values = {a: left.get(("x", a), D(0)) * p for a, p in mids.items()}
    total = sum(values.values())
    for asset, value in values.items():
        assert abs(value * 100 / total - plan.weights_after[asset]) < D("0.0001")


def test_cash_without_a_target_still_counts_and_is_spent() -> None:
    rules = policy({"BTC": "60", "ETH": "40"})
    plan = plan_rebalance(single(DRIFTED), rules)  # type: ignore[arg-type]

    assert plan.weights_before["USDT"] > D(7)
    assert weight(plan, "USDT") <= D(5)


def test_cash_is_forwarded_through_a_venue_when_there_is_no_direct_route() -> None:
    dear = market("ETH", "3000", "3001", fee="0.01")
    cheap = market("ETH", "3000", "3001", fee="0.0005")
    snap = snapshot(
        {"a": venue({"USDT": "100000"}, dear), "b": venue({}), "c": venue({}, cheap)},
        [route("USDT", "a", "b"), route("USDT", "b", "c")],
    )
    rules = policy({"ETH": "50", "USDT": "50"}, venues=("a", "b", "c"))
    plan = plan_rebalance(snap, rules)  # type: ignore[arg-type]

    legs = {(t.source, t.destination): t for t in plan.transfers}
    assert set(legs) == {("a", "b"), ("b", "c")}
    assert legs[("a", "b")].id in legs[("b", "c")].depends_on
    assert all(o.venue == "c" for o in plan.orders)
    assert worst_prefix(plan, snap, random.Random(3)) >= 0  # type: ignore[arg-type]


def test_relative_bands_without_a_cash_target_rebalance_and_report_the_cash_left() -> None:
    from rebalancer.domain.policy import BandType

    rules = policy({"BTC": "60", "ETH": "40", "USDT": "0"}, band="10", band_type=BandType.RELATIVE)
    plan = plan_rebalance(single(DRIFTED), rules)  # type: ignore[arg-type]

    # BTC 71 % is over 66 % (60 + 10 % of 60), ETH 21 % under 36 %: both move back inside
    assert D("54") <= weight(plan, "BTC") <= D("66")
    assert D("36") <= weight(plan, "ETH") <= D("44")
    cash = [r for r in plan.residuals if r.asset == "USDT"]
    assert len(cash) == 1
    assert "0% target" in cash[0].reason
    assert not any("outside band" in r.reason for r in plan.residuals)
