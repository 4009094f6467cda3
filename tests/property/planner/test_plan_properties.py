"""Properties every plan keeps, over generated snapshots (hypothesis).

Markets of one asset share a mid across venues (spreads and fees differ), so a plan's value
loss must equal its estimated cost exactly. Balances are checked by an independent simulator
(``tests.unit.planner.builders``) under many schedules of the plan's DAG.
"""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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

from rebalancer.core.planner import plan_rebalance
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import Plan, RunType
from rebalancer.domain.policy import Policy, RebalanceTo
from rebalancer.domain.snapshot import Snapshot

# asset -> (mid, tick, step, min_notional)
ASSETS = {
    "BTC": ("50000", "0.01", "0.00001", "5"),
    "ETH": ("3000", "0.01", "0.0001", "5"),
    "SOL": ("100", "0.01", "0.01", "5"),
    "DOGE": ("0.1", "0.00001", "1", "1"),
}
VENUES = ("a", "b", "c")
CHECKS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(
    draw: st.DrawFn, *, min_value: int = 0, all_listed: bool = False, single: bool = False
) -> tuple[Snapshot, Policy]:
    """A snapshot over 1-3 venues and 1-3 assets, and a policy for it."""
    n_venues = 1 if single else draw(st.integers(1, 3))
    venues = VENUES[:n_venues]
    assets = sorted(draw(st.sets(st.sampled_from(sorted(ASSETS)), min_size=1, max_size=3)))
    states = {}
    delisted = not all_listed and draw(st.booleans())
    for index, name in enumerate(venues):
        listed = []
        balances: dict[str, str] = {}
        for asset in assets:
            mid, tick, step, minimum = ASSETS[asset]
            if all_listed or index == 0 or draw(st.booleans()):
                half = D(tick) * draw(st.integers(1, 20))
                # the venue listing everything is the dearest, so moving cash can pay
                fee = "0.004" if index == 0 else draw(st.sampled_from(["0.0005", "0.001"]))
                bid, ask = D(mid) - half, D(mid) + half
                listed.append(market(asset, str(bid), str(ask), step, minimum, fee, tick))
            value = draw(st.sampled_from([0, 3, 700, 5000, 40000])) + min_value
            units = (D(value) / D(mid)).quantize(D("0.00000001"))
            if units > 0 and (not all_listed or listed[-1].rules.base == asset):
                balances[asset] = str(units)
        balances["USDT"] = str(draw(st.sampled_from([0, 50, 2000, 30000])) + min_value)
        if delisted and index == 0:
            balances["XMR"] = "10"  # no market anywhere: valued at its reference price
        states[name] = venue(balances, *listed)
    routes = [
        route("USDT", s, t, fee=draw(st.sampled_from(["0.5", "1", "20"])))
        for s in venues
        for t in venues
        if s != t and draw(st.booleans())
    ]
    targeted = [*assets, "XMR", "USDT"] if delisted else [*assets, "USDT"]
    n_cuts = len(targeted) - 1
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=n_cuts, max_size=n_cuts, unique=True)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    weights = {a: str(p) for a, p in zip(targeted, parts, strict=True)}
    rules = policy(
        weights,
        venues=venues,
        band=draw(st.sampled_from(["1", "3", "5", "10"])),
        rebalance_to=draw(st.sampled_from(list(RebalanceTo))),
        max_order_notional=draw(st.sampled_from([None, D(3000)])),
    )
    reference = {"XMR": D(100)} if delisted else {}
    return snapshot(states, routes, reference_prices=reference), rules


def value_at_mids(balances: dict[tuple[str, str], Decimal]) -> Decimal:
    mids = {a: D(spec[0]) for a, spec in ASSETS.items()} | {"USDT": D(1), "XMR": D(100)}
    return sum((amount * mids[asset] for (_, asset), amount in balances.items()), D(0))


def initial_value(snap: Snapshot) -> Decimal:
    return value_at_mids({(v, a): x for v, s in snap.venues.items() for a, x in s.balances.items()})


def check_orders_on_rules(plan: Plan, snap: Snapshot, rules: Policy) -> None:
    for order in plan.orders:
        listed = snap.venues[order.venue].markets[order.symbol]
        assert listed.rules.check_order(order.amount, order.price).ok, order
        cap = rules.constraints.max_order_notional
        assert cap is None or order.amount * listed.quote.ask <= cap  # even a limit sell
    for transfer in plan.transfers:
        spec = next(
            r
            for r in snap.routes
            if (r.source, r.destination) == (transfer.source, transfer.destination)
        )
        assert transfer.amount >= spec.min_amount
        assert transfer.amount > spec.fee


@CHECKS
@given(cases())
def test_value_is_conserved_up_to_the_plans_cost(case: tuple[Snapshot, Policy]) -> None:
    snap, rules = case
    plan = plan_rebalance(snap, rules)

    final = final_balances(plan, snap)
    after = value_at_mids(final)
    assert abs(initial_value(snap) - after - plan.estimated_cost) < D("0.0001")
    if after > 0:
        for asset, shown in plan.weights_after.items():
            held = {k: v for k, v in final.items() if k[1] == asset}
            assert abs(value_at_mids(held) * 100 / after - shown) <= D("0.0001"), asset


@CHECKS
@given(cases())
def test_no_balance_goes_negative_under_any_schedule(case: tuple[Snapshot, Policy]) -> None:
    snap, rules = case
    plan = plan_rebalance(snap, rules)

    assert worst_prefix(plan, snap, random.Random(0), count=10) >= 0


@CHECKS
@given(cases())
def test_orders_are_on_their_steps_and_above_their_minimums(case: tuple[Snapshot, Policy]) -> None:
    snap, rules = case
    check_orders_on_rules(snap=snap, rules=rules, plan=plan_rebalance(snap, rules))


@CHECKS
@given(cases())
def test_invest_cash_never_sells(case: tuple[Snapshot, Policy]) -> None:
    snap, rules = case
    plan = plan_rebalance(snap, rules, RunType.INVEST_CASH)

    assert all(o.side is OrderSide.BUY for o in plan.orders)
    assert worst_prefix(plan, snap, random.Random(0), count=5) >= 0


@CHECKS
@given(cases(min_value=2000, all_listed=True), st.sampled_from(["0.05", "0.3", "0.6"]))
def test_withdraw_raises_at_least_the_amount_when_holdings_allow(
    case: tuple[Snapshot, Policy], share: str
) -> None:
    snap, rules = case
    amount = (initial_value(snap) * D(share)).quantize(D("0.01"))
    plan = plan_rebalance(snap, rules, RunType.WITHDRAW, amount)

    cash = sum((x for (_, a), x in final_balances(plan, snap).items() if a == "USDT"), D(0))
    assert cash >= amount
    check_orders_on_rules(plan, snap, rules)


@CHECKS
@given(cases())
def test_liquidate_leaves_only_the_quote_asset_and_reports_the_rest(
    case: tuple[Snapshot, Policy],
) -> None:
    snap, rules = case
    plan = plan_rebalance(snap, rules, RunType.LIQUIDATE)

    assert all(o.side is OrderSide.SELL for o in plan.orders)
    for (venue_name, asset), left in final_balances(plan, snap).items():
        if asset != "USDT" and left > 0:
            assert any(r.asset == asset and r.venue in (venue_name, "*") for r in plan.residuals), (
                venue_name,
                asset,
                left,
            )


@CHECKS
@given(cases(min_value=20000, all_listed=True, single=True))
def test_plan_ends_inside_every_band_when_that_is_feasible(case: tuple[Snapshot, Policy]) -> None:
    snap, rules = case
    plan = plan_rebalance(snap, rules)

    assert plan.residuals == ()
    percent = rules.drift_band.percent  # type: ignore[union-attr]
    for asset, target in rules.weights.items():
        assert abs(plan.weights_after[asset] - target) <= percent, asset


@settings(max_examples=15, deadline=None)
@given(cases())
def test_the_same_input_gives_the_same_plan(case: tuple[Snapshot, Policy]) -> None:
    snap, rules = case

    assert plan_rebalance(snap, rules) == plan_rebalance(snap, rules)
