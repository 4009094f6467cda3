"""What each run type does: withdraw sells only what it needs, invest_cash buys only what it
spends, liquidate moves an asset only off a venue that cannot sell it, full trades each asset
one way and moves only the cash its buys need."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.planner.builders import D, final_balances, market, policy, route, snapshot, venue

from rebalancer.core.planner import max_investable, max_raisable, plan_rebalance
from rebalancer.domain.errors import AmountUnavailable, PlanningError
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import Plan, RunType
from rebalancer.domain.policy import SmallTrade
from rebalancer.domain.snapshot import Snapshot, VenueSnapshot

BTC = market("BTC", "50000", "50010", step="0.00001")
ETH = market("ETH", "3000", "3001", step="0.0001")
SOL = market("SOL", "100", "100.1", step="0.01")
TARGETS = {"BTC": "40", "ETH": "30", "SOL": "10", "USDT": "20"}


def one_venue(balances: dict[str, str]) -> Snapshot:
    return snapshot({"x": venue(balances, BTC, ETH, SOL)})


def sold(plan: Plan) -> Decimal:
    return sum((o.notional for o in plan.orders if o.side is OrderSide.SELL), D(0))


def bought(plan: Plan) -> Decimal:
    return sum((o.notional for o in plan.orders if o.side is OrderSide.BUY), D(0))


def after(plan: Plan, snap: Snapshot) -> Snapshot:
    """The snapshot once the plan has run (same quotes), to plan the next round on."""
    left = final_balances(plan, snap)
    states = {
        name: VenueSnapshot(
            {a: x for (v, a), x in left.items() if v == name and x > 0}, dict(state.markets)
        )
        for name, state in snap.venues.items()
    }
    return Snapshot(snap.taken_at, states, snap.routes)


# ---- withdraw --------------------------------------------------------------------------------

# BTC 60 %, ETH 24 %, SOL 6 %, USDT 10 % of 100,000
DRIFTED = {"BTC": "1.2", "ETH": "8", "SOL": "60", "USDT": "10000"}


def test_withdraw_sells_only_what_the_cash_held_lacks_and_only_the_most_overweight() -> None:
    snap = one_venue(DRIFTED)
    plan = plan_rebalance(snap, policy(TARGETS), RunType.WITHDRAW, D(25_000))

    assert {(o.symbol, o.side) for o in plan.orders} == {("BTC/USDT", OrderSide.SELL)}
    assert D(15_000) <= sold(plan) <= D(15_030)  # the 10,000 held counts: not a rebalance
    assert final_balances(plan, snap)[("x", "USDT")] >= D(25_000)


def test_withdraw_within_the_cash_held_sells_nothing() -> None:
    snap = one_venue(DRIFTED)
    plan = plan_rebalance(snap, policy(TARGETS), RunType.WITHDRAW, D(10_000))

    assert plan.orders == ()


def test_a_large_withdraw_takes_from_the_most_overweight_until_the_next_one_is_as_far() -> None:
    snap = one_venue(DRIFTED)
    plan = plan_rebalance(snap, policy(TARGETS), RunType.WITHDRAW, D(40_000))

    assert all(o.side is OrderSide.SELL for o in plan.orders)
    assert D(30_000) <= sold(plan) <= D(30_100)
    # what remains (60,000) is closest to its targets: BTC and ETH end equally far above them
    left = final_balances(plan, snap)
    btc, eth = left[("x", "BTC")] * D("50005"), left[("x", "ETH")] * D("3000.5")
    assert abs((btc - D("0.4") * 60_000) - (eth - D("0.3") * 60_000)) < 200


def test_withdraw_leaves_the_venues_reserve_on_top_of_the_amount() -> None:
    snap = one_venue(DRIFTED)
    rules = policy(TARGETS, cash_reserve={"x": D(9_000)})
    plan = plan_rebalance(snap, rules, RunType.WITHDRAW, D(5_000))

    assert final_balances(plan, snap)[("x", "USDT")] >= D(14_000)
    assert D(4_000) <= sold(plan) <= D(4_010)  # 1,000 of the 10,000 held may go


def two_venues() -> Snapshot:
    cheap = market("BTC", "50000", "50010", step="0.00001", fee="0.0005")
    return snapshot(
        {
            "a": venue({"BTC": "1.2", "USDT": "2000"}, BTC, ETH),
            "b": venue({"USDT": "500", "SOL": "60"}, cheap, SOL),
        },
        [route("USDT", "a", "b"), route("USDT", "b", "a")],
    )


def test_withdraw_on_a_venue_raises_the_amount_there() -> None:
    snap = two_venues()
    rules = policy(TARGETS, venues=("a", "b"), cash_reserve={"b": D(100)})
    plan = plan_rebalance(snap, rules, RunType.WITHDRAW, D(8_000), venue="b")

    assert all(o.side is OrderSide.SELL for o in plan.orders)
    assert final_balances(plan, snap)[("b", "USDT")] >= D(8_100)


def test_withdraw_on_a_venue_the_portfolio_does_not_use_is_refused() -> None:
    with pytest.raises(PlanningError, match="venue: c is not one of"):
        plan_rebalance(
            two_venues(), policy(TARGETS, venues=("a", "b")), RunType.WITHDRAW, D(1), venue="c"
        )


def test_only_a_withdraw_takes_a_venue() -> None:
    with pytest.raises(PlanningError, match="only a withdraw run takes a venue"):
        plan_rebalance(two_venues(), policy(TARGETS, venues=("a", "b")), venue="a")


def test_most_raisable_on_one_venue_is_less_by_the_transfer_fee() -> None:
    snap = two_venues()
    rules = policy(TARGETS, venues=("a", "b"))

    anywhere, on_b = max_raisable(snap, rules), max_raisable(snap, rules, "b")

    assert D(68_300) < anywhere < D(68_500)  # 68,500 held, less fees and spread
    assert anywhere - on_b == D(1)  # one USDT route fee


def test_a_withdraw_planned_again_after_it_ran_has_nothing_left_to_do() -> None:
    snap = one_venue(DRIFTED)
    rules = policy(TARGETS)
    first = plan_rebalance(snap, rules, RunType.WITHDRAW, D(10_000))

    again = plan_rebalance(after(first, snap), rules, RunType.WITHDRAW, D(10_000))

    assert again.orders == ()  # a daemon's next round does not raise the amount twice


# ---- invest_cash -----------------------------------------------------------------------------


def test_invest_cash_spends_the_amount_on_the_most_underweight_first() -> None:
    snap = one_venue(DRIFTED)  # ETH 24 % of a 30 % target, SOL 6 % of 10 %: ETH is deeper
    plan = plan_rebalance(snap, policy(TARGETS), RunType.INVEST_CASH, D(3_000))

    assert all(o.side is OrderSide.BUY for o in plan.orders)
    assert {o.symbol for o in plan.orders} == {"ETH/USDT"}
    assert D(2_990) <= bought(plan) <= D(3_000)


def test_invest_cash_fills_deficits_evenly_once_the_deepest_is_filled() -> None:
    snap = one_venue(DRIFTED)
    plan = plan_rebalance(snap, policy(TARGETS), RunType.INVEST_CASH, D(9_000))

    spent = {o.symbol: o.notional for o in plan.orders}
    assert set(spent) == {"ETH/USDT", "SOL/USDT"}
    assert D(8_980) <= bought(plan) <= D(9_000)
    left = final_balances(plan, snap)
    # both end equally far under their share of what is invested (targets over 80 %)
    invested = left[("x", "BTC")] * D("50005") + left[("x", "ETH")] * D("3000.5")
    invested += left[("x", "SOL")] * D("100.05")
    eth_gap = D("0.375") * invested - left[("x", "ETH")] * D("3000.5")
    sol_gap = D("0.125") * invested - left[("x", "SOL")] * D("100.05")
    assert abs(eth_gap - sol_gap) < 100


def test_invest_cash_without_an_amount_spends_the_cash_above_target_and_then_is_done() -> None:
    snap = one_venue({"BTC": "0.6", "ETH": "7", "SOL": "70", "USDT": "42000"})  # cash 42 %
    rules = policy(TARGETS)
    plan = plan_rebalance(snap, rules, RunType.INVEST_CASH)

    assert all(o.side is OrderSide.BUY for o in plan.orders)
    assert D(21_900) <= bought(plan) <= D(22_000)  # 42,000 less the 20 % target
    assert plan_rebalance(after(plan, snap), rules, RunType.INVEST_CASH).orders == ()


def test_invest_cash_above_the_cash_held_less_reserves_is_refused_or_partial() -> None:
    snap = one_venue(DRIFTED)
    rules = policy(TARGETS, cash_reserve={"x": D(4_000)})

    with pytest.raises(AmountUnavailable, match=r"can spend at most 6000\.00 USDT"):
        plan_rebalance(snap, rules, RunType.INVEST_CASH, D(7_000))
    partial = plan_rebalance(snap, rules, RunType.INVEST_CASH, D(7_000), partial=True)

    assert max_investable(snap, rules) == D(6_000)
    assert D(5_970) <= bought(partial) <= D(6_000)
    assert final_balances(partial, snap)[("x", "USDT")] >= D(4_000)


def test_an_amount_means_nothing_to_a_full_run() -> None:
    with pytest.raises(PlanningError, match="a full run takes no amount"):
        plan_rebalance(one_venue(DRIFTED), policy(TARGETS), RunType.FULL, D(10))


# ---- liquidate -------------------------------------------------------------------------------


def dusty(route_fee: str) -> Snapshot:
    """BTC sells on "a"; "b" holds 0.002 BTC (100 USDT) and lists no BTC market."""
    return snapshot(
        {
            "a": venue({"BTC": "1", "USDT": "10"}, BTC),
            "b": venue({"BTC": "0.002", "USDT": "10"}),
        },
        [
            route("BTC", "a", "b", fee=route_fee, minimum="0.001"),
            route("BTC", "b", "a", fee=route_fee, minimum="0.001"),
        ],
    )


def test_liquidate_moves_an_asset_only_off_a_venue_that_cannot_sell_it() -> None:
    snap = dusty(route_fee="0.0001")  # 5 USDT to move 100 USDT of BTC
    plan = plan_rebalance(
        snap, policy({"BTC": "80", "USDT": "20"}, venues=("a", "b")), RunType.LIQUIDATE
    )

    assert [(t.source, t.destination) for t in plan.transfers] == [("b", "a")]
    left = final_balances(plan, snap)
    assert left[("a", "BTC")] == 0
    assert left[("b", "BTC")] == 0


def test_liquidate_never_pays_a_fee_worth_more_than_what_it_unlocks() -> None:
    snap = dusty(route_fee="0.0019")  # 95 USDT to unlock 5 USDT of BTC
    plan = plan_rebalance(
        snap, policy({"BTC": "80", "USDT": "20"}, venues=("a", "b")), RunType.LIQUIDATE
    )

    assert plan.transfers == ()
    stuck = [r for r in plan.residuals if (r.asset, r.venue) == ("BTC", "b")]
    assert stuck
    assert stuck[0].amount == D("0.002")


def test_liquidate_sells_a_position_under_the_policys_minimum_trade() -> None:
    snap = one_venue({"BTC": "1", "SOL": "0.5", "USDT": "10"})  # 50 USDT of SOL
    rules = policy(TARGETS, min_trade_notional=D(1000))
    plan = plan_rebalance(snap, rules, RunType.LIQUIDATE)

    assert final_balances(plan, snap)[("x", "SOL")] == 0


def test_liquidate_reports_what_is_below_the_exchange_minimum_as_dust() -> None:
    snap = one_venue({"BTC": "1", "SOL": "0.04", "USDT": "10"})  # 4 USDT, minimum 5
    plan = plan_rebalance(snap, policy(TARGETS), RunType.LIQUIDATE)

    dust = [r for r in plan.residuals if r.asset == "SOL"]
    assert [r.amount for r in dust] == [D("0.04")]
    assert dust[0].reason.startswith("dust")


# ---- full ------------------------------------------------------------------------------------

# ETH 0.3 points above its 35 % band edge: a 300 USDT sell would do
EDGE = {"BTC": "0.8", "ETH": "11.76", "SOL": "100", "USDT": "14710"}


def test_a_small_trade_is_enlarged_to_the_minimum_by_default() -> None:
    snap = one_venue(EDGE)
    plan = plan_rebalance(
        snap, policy(TARGETS, band_edge_margin_percent=D(0), min_trade_notional=D(3000))
    )

    (eth,) = [o for o in plan.orders if o.symbol == "ETH/USDT"]
    assert eth.side is OrderSide.SELL
    assert D(3000) <= eth.notional < D(3100)
    assert not any("outside band" in r.reason for r in plan.residuals)


def test_a_small_trade_is_dropped_and_reported_when_the_policy_says_drop() -> None:
    snap = one_venue(EDGE)
    rules = policy(
        TARGETS,
        band_edge_margin_percent=D(0),
        min_trade_notional=D(3000),
        on_small_trade=SmallTrade.DROP,
    )
    plan = plan_rebalance(snap, rules)

    assert plan.orders == ()
    reasons = [r.reason for r in plan.residuals if r.asset == "ETH"]
    assert any("dropped: below min_trade_notional 3000" in r for r in reasons)
    assert any("outside band" in r for r in reasons)


def test_no_asset_is_bought_and_sold_in_one_plan_across_venues() -> None:
    # the cheap venue "b" has no cash: selling ETH on "a" and buying it on "b" would stand in
    # for a cash transfer, paying fees twice
    dear = market("ETH", "3000", "3001", fee="0.002")
    cheap = market("ETH", "3000", "3001", fee="0.0005")
    snap = snapshot(
        {
            "a": venue({"ETH": "20", "USDT": "1000"}, dear, BTC),
            "b": venue({"BTC": "1"}, cheap, BTC),
        },
    )
    rules = policy(
        {"BTC": "40", "ETH": "40", "USDT": "20"},
        venues=("a", "b"),
        min_trade_percent_of_position=D(50),
    )
    plan = plan_rebalance(snap, rules)

    sides: dict[str, set[OrderSide]] = {}
    for order in plan.orders:
        sides.setdefault(order.symbol, set()).add(order.side)
    assert all(len(s) == 1 for s in sides.values()), plan.orders


def test_cash_moves_only_as_far_as_the_buys_need() -> None:
    dear = market("ETH", "3000", "3001", fee="0.01")
    cheap = market("ETH", "3000", "3001", fee="0.0005")
    snap = snapshot(
        {"a": venue({"USDT": "33000", "ETH": "3"}, dear), "b": venue({}, cheap)},
        [route("USDT", "a", "b"), route("USDT", "b", "a")],
    )
    plan = plan_rebalance(snap, policy({"ETH": "40", "USDT": "60"}, venues=("a", "b")))

    (transfer,) = plan.transfers
    need = sum((o.notional * D("1.0005") for o in plan.orders if o.venue == "b"), D(0))
    # arrival = the buys, their fee and half a percent for prices to move while it travels
    assert need * D("1.005") <= transfer.amount - D(1) < need * D("1.005") + D("0.02")
    assert "funds b: buys there" in transfer.purpose
    assert "(0.5% of them) for prices to move" in transfer.purpose
    assert final_balances(plan, snap)[("b", "USDT")] < need * D("0.0051")


def test_a_route_minimum_above_the_need_is_explained_in_the_transfer() -> None:
    dear = market("ETH", "3000", "3001", fee="0.01")
    cheap = market("ETH", "3000", "3001", fee="0.0005")
    snap = snapshot(
        {"a": venue({"USDT": "30000", "ETH": "2.5"}, dear), "b": venue({"USDT": "2800"}, cheap)},
        [route("USDT", "a", "b", minimum="500")],
    )
    plan = plan_rebalance(snap, policy({"ETH": "30", "USDT": "70"}, venues=("a", "b")))

    # b lacks about 180 for its buy; buying that on a (1 % fee) costs more than a 1 USDT fee
    assert {o.venue for o in plan.orders} == {"b"}
    (transfer,) = plan.transfers
    assert transfer.amount == D(500)
    assert "the route's minimum is 500.00, so 305.92 more arrives" in transfer.purpose


def test_a_venue_short_of_its_reserve_is_funded_once_by_the_cheapest_route() -> None:
    # found by the run-type property test: the model funded a's 10 USDT gap from b and from c,
    # and b's route minimum (twice its 20 USDT fee) then brought 20 more than needed
    btc = market("BTC", "49995", "50005", step="0.00001", min_notional="5")
    snap = snapshot(
        {"a": venue({"USDT": "40"}, btc), "b": venue({"USDT": "2000"}), "c": venue({"USDT": "40"})},
        [route("USDT", "b", "a", fee="20", minimum="10"), route("USDT", "c", "a", minimum="10")],
    )
    rules = policy(
        {"BTC": "3", "USDT": "97"},
        venues=("a", "b", "c"),
        band="2",
        min_trade_notional=D(3000),
        cash_reserve={"a": D(50)},
    )
    plan = plan_rebalance(snap, rules)

    (transfer,) = plan.transfers
    assert transfer.source == "c"
    assert transfer.amount == D(11)  # the 10 lacking and the route's 1 USDT fee
    assert final_balances(plan, snap)[("a", "USDT")] == D(50)
