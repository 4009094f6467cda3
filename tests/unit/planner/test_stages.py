"""Each named stage of the pipeline on its own: rounding, slicing, minimums, repair, DAG."""

from __future__ import annotations

from tests.unit.planner.builders import D, market, policy, route, snapshot, venue

from rebalancer.core.costs import order_cost, transfer_cost
from rebalancer.core.planner.draft import Draft, Trade, Transfer, cash_after
from rebalancer.core.planner.goals import destination_band, trigger_band
from rebalancer.core.planner.graph import build_nodes
from rebalancer.core.planner.minimums import filter_minimums
from rebalancer.core.planner.problem import MarketOption, Problem, build_problem
from rebalancer.core.planner.repair import repair_cash
from rebalancer.core.planner.rounding import round_lots
from rebalancer.core.planner.slicing import slice_orders, split_units
from rebalancer.domain.market import OrderSide
from rebalancer.domain.policy import BandType, Constraints

BTC = market("BTC", "50000", "50010", step="0.00001")
ETH = market("ETH", "3000", "3001", step="0.0001")


def problem_of(balances: dict[str, str], venues: tuple[str, ...] = ("x",)) -> Problem:
    snap = snapshot(
        {v: venue(balances if v == venues[0] else {}, BTC, ETH) for v in venues},
        [route("USDT", venues[0], v) for v in venues[1:]],
    )
    return build_problem(snap, policy({"BTC": "50", "ETH": "30", "USDT": "20"}, venues=venues))


def option(problem: Problem, symbol: str, venue_name: str = "x") -> MarketOption:
    return next(m for m in problem.markets if (m.venue, m.rules.symbol) == (venue_name, symbol))


def test_buy_rounds_to_the_nearest_lot() -> None:
    p = problem_of({"USDT": "100000"})
    draft = Draft((Trade(option(p, "ETH/USDT"), OrderSide.BUY, D("1.23456")),), ())

    rounded = round_lots(draft, p)

    assert rounded.trades[0].amount == D("1.2346")
    assert rounded.residuals == ()


def test_sell_never_exceeds_the_balance_and_reports_the_dust() -> None:
    p = problem_of({"BTC": "0.123456789"})
    draft = Draft((Trade(option(p, "BTC/USDT"), OrderSide.SELL, D("0.123456789")),), ())

    rounded = round_lots(draft, p)

    assert rounded.trades[0].amount == D("0.12345")
    assert [(r.asset, r.amount) for r in rounded.residuals] == [("BTC", D("0.000006789"))]


def test_buy_that_rounds_to_zero_is_reported_as_dust() -> None:
    p = problem_of({"USDT": "100"})
    draft = Draft((Trade(option(p, "BTC/USDT"), OrderSide.BUY, D("0.000001")),), ())

    rounded = round_lots(draft, p)

    assert rounded.trades == ()
    assert "rounds to zero" in rounded.residuals[0].reason


def test_split_units_gives_near_equal_parts_that_add_up() -> None:
    assert split_units(10, 3) == [4, 3, 3]
    assert sum(split_units(12345, 7)) == 12345


def test_slicing_keeps_every_slice_under_the_cap_and_on_the_step() -> None:
    p = problem_of({"BTC": "1"})
    draft = Draft((Trade(option(p, "BTC/USDT"), OrderSide.SELL, D("0.33333")),), ())

    sliced = slice_orders(draft, D(5000))

    assert len(sliced.trades) == 4
    assert sum(t.amount for t in sliced.trades) == D("0.33333")
    assert all(t.notional <= 5000 and t.amount % D("0.00001") == 0 for t in sliced.trades)


def test_an_order_under_the_cap_is_never_sliced_whatever_count_the_model_chose() -> None:
    p = problem_of({"USDT": "100000"})
    # a 9,600 USDT buy the solver counted as two orders (counts cost it nothing)
    buy = Trade(option(p, "ETH/USDT"), OrderSide.BUY, D("3.2"), slices=2)

    sliced = slice_orders(Draft((buy,), ()), D(25000))

    assert [t.amount for t in sliced.trades] == [D("3.2")]


def test_slicing_adds_a_slice_when_the_largest_would_be_a_lot_over_the_cap() -> None:
    p = problem_of({"USDT": "100000"})
    # 19,995 lots at 0.50010 each: 9,999.50 fits two slices of 4,999.80, but 9,998 lots do not
    buy = Trade(option(p, "BTC/USDT"), OrderSide.BUY, D("0.19995"))

    sliced = slice_orders(Draft((buy,), ()), D("4999.8"))

    assert len(sliced.trades) == 3
    assert all(t.notional_at_ask <= D("4999.8") for t in sliced.trades)
    assert sum(t.amount for t in sliced.trades) == D("0.19995")


def test_minimum_filter_drops_orders_below_min_notional_with_the_reason() -> None:
    p = problem_of({"USDT": "100"})
    draft = Draft((Trade(option(p, "ETH/USDT"), OrderSide.BUY, D("0.001")),), ())

    kept = filter_minimums(draft, p, Constraints())

    assert kept.trades == ()
    assert "below min_notional 5" in kept.residuals[0].reason


def test_minimum_filter_applies_the_policys_percent_of_position() -> None:
    p = problem_of({"ETH": "10", "USDT": "100"})
    small = Trade(option(p, "ETH/USDT"), OrderSide.SELL, D("0.05"))  # 0.5 % of the position

    kept = filter_minimums(Draft((small,), ()), p, Constraints(min_trade_percent_of_position=D(1)))

    assert kept.trades == ()
    assert "min_trade_percent_of_position" in kept.residuals[0].reason


def test_repair_shrinks_the_largest_buy_until_the_cash_suffices() -> None:
    p = problem_of({"USDT": "10000"})
    buys = (
        Trade(option(p, "ETH/USDT"), OrderSide.BUY, D("2")),  # 6008 with fee
        Trade(option(p, "BTC/USDT"), OrderSide.BUY, D("0.08")),  # 4005 with fee
    )

    repaired = repair_cash(Draft(buys, ()), p, Constraints(), {"x": D(0)})

    assert cash_after(repaired, p, "x") >= 0
    eth = next(t for t in repaired.trades if t.market.asset == "ETH")
    assert D("1.99") < eth.amount < D(2)
    assert repaired.residuals == ()


def test_repair_drops_a_buy_that_would_fall_below_its_minimum() -> None:
    p = problem_of({"USDT": "3"})
    buy = Trade(option(p, "ETH/USDT"), OrderSide.BUY, D("0.002"))  # 6 USDT

    repaired = repair_cash(Draft((buy,), ()), p, Constraints(), {"x": D(0)})

    assert repaired.trades == ()
    assert "buy dropped" in repaired.residuals[0].reason


def test_repair_shrinks_a_transfer_the_source_cannot_fund() -> None:
    p = problem_of({"USDT": "500"}, venues=("x", "y"))
    transfer = Transfer(p.routes[0], D(800))

    repaired = repair_cash(Draft((), (transfer,)), p, Constraints(), {})

    assert repaired.transfers[0].amount == D(500)


def test_dag_orders_sells_then_transfers_then_buys() -> None:
    p = problem_of({"BTC": "1", "USDT": "0"}, venues=("x", "y"))
    draft = Draft(
        (
            Trade(option(p, "ETH/USDT", "y"), OrderSide.BUY, D(1)),
            Trade(option(p, "BTC/USDT", "x"), OrderSide.SELL, D("0.2")),
            Trade(option(p, "ETH/USDT", "x"), OrderSide.BUY, D(1)),
        ),
        (Transfer(p.routes[0], D(4000)),),
    )

    orders, transfers = build_nodes(draft, "USDT")

    by = {(o.venue, o.symbol): o for o in orders}
    sell = by[("x", "BTC/USDT")]
    assert sell.id == "o1"
    assert transfers[0].id == "t1"
    assert transfers[0].depends_on == (sell.id,)
    assert by[("x", "ETH/USDT")].depends_on == (sell.id,)
    assert by[("y", "ETH/USDT")].depends_on == ("t1",)


def test_absolute_and_relative_bands() -> None:
    absolute = policy({"BTC": "40", "USDT": "60"}, band="5")
    relative = policy({"BTC": "40", "USDT": "60"}, band="25", band_type=BandType.RELATIVE)

    assert trigger_band(absolute, "BTC").lower == D("0.35")
    assert trigger_band(relative, "BTC").upper == D("0.5")


def test_destination_band_lands_the_policy_margin_inside_the_edges() -> None:
    p = problem_of({"BTC": "1", "USDT": "50000"})
    rules = policy({"BTC": "50", "ETH": "30", "USDT": "20"}, band_edge_margin_percent=D(10))

    band = destination_band(p, rules, "BTC")

    assert band.upper == D("0.545")  # 10 % of the 5-point half-width inside 55 %
    assert band.lower == D("0.455")


def test_destination_band_margin_is_a_share_of_the_unclamped_half_width() -> None:
    p = problem_of({"BTC": "1", "USDT": "50000"})
    rules = policy({"BTC": "2", "ETH": "78", "USDT": "20"})  # BTC band [0, 7] after clamping

    band = destination_band(p, rules, "BTC")

    assert band.lower == 0
    assert band.upper == D("0.06")  # 20 % of 5 points, not of the clamped 3.5


def test_order_cost_is_spread_against_the_mid_plus_the_taker_fee() -> None:
    cost = order_cost(D(2), D("3001"), D("3000.5"), D("0.001"))

    assert cost == D(2) * D("0.5") + D("0.001") * D(2) * D(3001)
    assert transfer_cost(D("0.0005"), D(50000)) == D(25)
