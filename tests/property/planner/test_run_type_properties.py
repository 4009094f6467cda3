"""What every run type promises, over generated snapshots (hypothesis).

* ``withdraw`` and ``liquidate`` never buy, ``invest_cash`` never sells;
* ``withdraw`` raises at least the amount whenever the holdings allow (``max_raisable``), and is
  refused, saying how much they allow, when they do not; it sells no more than the cash held
  lacks, give or take one minimum order;
* no plan trades one asset both ways;
* no transfer costs more than it moves, a liquidation moves an asset only off a venue that
  cannot sell it, and cash moves only where a venue needs it.

A thousand examples each by default; the ``run-types-ci`` profile (set
``REBALANCER_HYPOTHESIS_PROFILE=run-types-ci``, as ``.ci/run`` does) runs more.
"""

from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.planner.builders import D, final_balances, market, policy, route, snapshot, venue

from rebalancer.core.planner import max_raisable, plan_rebalance
from rebalancer.domain.errors import AmountUnavailable
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import Plan, PlannedOrder, RunType
from rebalancer.domain.policy import Policy, RebalanceTo, SmallTrade
from rebalancer.domain.snapshot import Snapshot

settings.register_profile(
    "run-types",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("run-types-ci", settings.get_profile("run-types"), max_examples=2000)
PROFILE = settings.get_profile(os.environ.get("REBALANCER_HYPOTHESIS_PROFILE", "run-types"))
pytestmark = pytest.mark.slow  # about a minute of CPU for the four thousand plans

# asset -> (mid, step, min_notional)
ASSETS = {
    "BTC": ("50000", "0.00001", "5"),
    "ETH": ("3000", "0.0001", "5"),
    "SOL": ("100", "0.01", "1"),
}
VENUES = ("a", "b", "c")


@st.composite
def cases(draw: st.DrawFn) -> tuple[Snapshot, Policy]:
    """1-3 venues, 1-3 assets, not every asset listed everywhere, quote and asset routes, and
    the policy knobs that shape plans: minimums, small trades, reserves, slicing."""
    venues = VENUES[: draw(st.integers(1, 3))]
    assets = sorted(draw(st.sets(st.sampled_from(sorted(ASSETS)), min_size=1, max_size=3)))
    states = {}
    for index, name in enumerate(venues):
        listed, balances = [], {}
        for asset in assets:
            mid, step, minimum = ASSETS[asset]
            if index == 0 or draw(st.booleans()):
                half = D(mid) * D("0.0001") * draw(st.integers(1, 20))
                fee = draw(st.sampled_from(["0.0005", "0.001", "0.004"]))
                listed.append(
                    market(asset, str(D(mid) - half), str(D(mid) + half), step, minimum, fee)
                )
            value = draw(st.sampled_from([0, 2, 300, 5000, 40000]))
            if value:
                balances[asset] = str((D(value) / D(mid)).quantize(D("0.00000001")))
        balances["USDT"] = str(draw(st.sampled_from([0, 40, 2000, 30000])))
        states[name] = venue(balances, *listed)
    routes = [
        route(asset, s, t, fee=fee, minimum=minimum)
        for s in venues
        for t in venues
        if s != t
        for asset, fee, minimum in (
            ("USDT", draw(st.sampled_from(["1", "20"])), "10"),
            (assets[0], "0.0002" if assets[0] == "BTC" else "0.01", "0.001"),
        )
        if draw(st.booleans())
    ]
    targeted = [*assets, "USDT"]
    cuts = sorted(
        draw(st.lists(st.integers(1, 99), min_size=len(assets), max_size=len(assets), unique=True))
    )
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    rules = policy(
        {a: str(p) for a, p in zip(targeted, parts, strict=True)},
        venues=venues,
        band=draw(st.sampled_from(["2", "5", "10"])),
        rebalance_to=draw(st.sampled_from(list(RebalanceTo))),
        min_trade_notional=D(draw(st.sampled_from([0, 10, 3000]))),
        on_small_trade=draw(st.sampled_from(list(SmallTrade))),
        min_trade_percent_of_position=D(draw(st.sampled_from([0, 0, 50]))),
        max_order_notional=draw(st.sampled_from([None, D(3000)])),
        cash_reserve={venues[0]: D(draw(st.sampled_from([0, 50, 5000])))},
    )
    return snapshot(states, routes), rules


def held(snap: Snapshot, asset: str) -> Decimal:
    return sum((state.balance(asset) for state in snap.venues.values()), D(0))


def sides_by_asset(plan: Plan) -> dict[str, set[OrderSide]]:
    sides: dict[str, set[OrderSide]] = defaultdict(set)
    for order in plan.orders:
        sides[order.symbol.split("/")[0]].add(order.side)
    return sides


def check_transfers(plan: Plan, snap: Snapshot, rules: Policy) -> None:
    """No transfer costs more than it moves; quote goes only where a venue needs it."""
    final = final_balances(plan, snap)
    for transfer in plan.transfers:
        spec = next(
            r
            for r in snap.routes
            if (r.asset, r.source, r.destination)
            == (transfer.asset, transfer.source, transfer.destination)
        )
        assert transfer.amount - spec.fee >= spec.fee, transfer  # costs no more than it moves
        if transfer.asset == "USDT" and transfer.amount > spec.min_amount:
            reserve = rules.constraints.cash_reserve.get(transfer.destination, D(0))
            without = final[(transfer.destination, "USDT")] - (transfer.amount - spec.fee)
            assert without < reserve + D("0.01"), (transfer, final)  # it was needed


def check_common(plan: Plan, snap: Snapshot, rules: Policy) -> None:
    assert all(len(s) == 1 for s in sides_by_asset(plan).values()), plan.orders
    check_transfers(plan, snap, rules)


@PROFILE
@given(cases())
def test_full_runs_trade_each_asset_one_way_and_move_only_needed_cash(
    case: tuple[Snapshot, Policy],
) -> None:
    snap, rules = case
    check_common(plan_rebalance(snap, rules), snap, rules)


@PROFILE
@given(cases(), st.sampled_from(["0.01", "0.2", "0.6", "1.5"]))
def test_withdraw_sells_only_and_raises_the_amount_whenever_the_holdings_allow(
    case: tuple[Snapshot, Policy], share: str
) -> None:
    snap, rules = case
    value = sum((held(snap, a) * D(ASSETS[a][0]) for a in ASSETS), held(snap, "USDT"))
    amount = max(D(1), (value * D(share)).quantize(D("0.01")))
    most = max_raisable(snap, rules)
    if amount > most:
        with pytest.raises(AmountUnavailable) as refused:
            plan_rebalance(snap, rules, RunType.WITHDRAW, amount)
        assert refused.value.available == most
        return
    plan = plan_rebalance(snap, rules, RunType.WITHDRAW, amount)
    assert all(o.side is OrderSide.SELL for o in plan.orders)
    kept = rules.constraints.cash_reserve
    final = final_balances(plan, snap)
    free = sum((max(D(0), final[(v, "USDT")] - kept.get(v, D(0))) for v in snap.venues), D(0))
    assert free >= amount  # raised, on top of every venue's reserve
    check_common(plan, snap, rules)
    # turnover is about the amount: no more than the cash held lacks (and the reserves), give
    # or take the least each order may trade and what its transfers carry
    held_free = sum(
        (max(D(0), s.balance("USDT") - kept.get(v, D(0))) for v, s in snap.venues.items()), D(0)
    )
    lacking = sum((max(D(0), r - snap.venues[v].balance("USDT")) for v, r in kept.items()), D(0))
    need = max(D(0), amount - held_free) + lacking
    proceeds = sum((o.notional for o in plan.orders), D(0))
    slack = sum((least_order(o, snap, rules) for o in plan.orders), D(1))
    for transfer in plan.transfers:  # a route's minimum brings more, and its fee costs
        price = D(1) if transfer.asset == "USDT" else D(ASSETS[transfer.asset][0])
        slack += transfer.amount * price
    assert proceeds <= need * D("1.005") + slack, (need, proceeds)


def least_order(order: PlannedOrder, snap: Snapshot, rules: Policy) -> Decimal:
    """The smallest notional ``order``'s market and policy allow, plus a lot."""
    listed = snap.venues[order.venue].markets[order.symbol]
    price, step = listed.quote.bid, listed.rules.amount_step
    position = held(snap, listed.rules.base) * price
    floors = (
        listed.rules.min_notional,
        listed.rules.min_amount * price,
        rules.constraints.min_trade_notional,
        position * rules.constraints.min_trade_percent_of_position / 100,
    )
    return max(floors) + step * price


@PROFILE
@given(cases())
def test_invest_cash_never_sells(case: tuple[Snapshot, Policy]) -> None:
    snap, rules = case
    plan = plan_rebalance(snap, rules, RunType.INVEST_CASH)

    assert all(o.side is OrderSide.BUY for o in plan.orders)
    check_common(plan, snap, rules)


@PROFILE
@given(cases())
def test_liquidate_never_buys_and_moves_an_asset_only_off_a_venue_that_cannot_sell_it(
    case: tuple[Snapshot, Policy],
) -> None:
    snap, rules = case
    plan = plan_rebalance(snap, rules, RunType.LIQUIDATE)

    assert all(o.side is OrderSide.SELL for o in plan.orders)
    check_transfers(plan, snap, rules)
    for transfer in plan.transfers:
        if transfer.asset == "USDT":
            continue
        state = snap.venues[transfer.source]
        listed = state.markets.get(f"{transfer.asset}/USDT")
        if listed is not None:  # listed, yet what it holds is under the venue's minimum
            mid, holding = listed.quote.bid, state.balance(transfer.asset)
            assert not listed.rules.check_order(holding, mid).ok, transfer
