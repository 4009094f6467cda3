"""Invariants of the engine under any sequence of orders, cancels and price moves."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.exchange_sim.conftest import BTC_USDT, SHAPE

from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import ZERO
from rebalancer.exchange_sim.engine import (
    Account,
    Engine,
    ManualClock,
    OrderKind,
    Rejected,
    TimeInForce,
)

STEP = Decimal("0.00001")

amounts = st.integers(min_value=1, max_value=200_000).map(lambda units: units * STEP)
prices = st.integers(min_value=5_500_000, max_value=6_500_000).map(lambda c: Decimal(c) / 100)
actions = st.one_of(
    st.tuples(st.just("market"), st.sampled_from(list(OrderSide)), amounts),
    st.tuples(
        st.just("limit"),
        st.sampled_from(list(OrderSide)),
        amounts,
        prices,
        st.sampled_from(list(TimeInForce)),
    ),
    st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("move"), prices),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(actions, max_size=25))
def test_balances_match_the_trades_and_locks_match_the_open_orders(
    steps: list[tuple[object, ...]],
) -> None:
    engine = Engine(ManualClock())
    venue = engine.add_venue("v", [BTC_USDT], SHAPE)
    account = Account("k", "s")
    account.credit("USDT", Decimal("50000"))
    account.credit("BTC", Decimal("1"))
    engine.add_account("v", account)
    engine.set_price("v", "BTC/USDT", Decimal("60000"))
    for step in steps:
        with contextlib.suppress(Rejected):
            _apply(engine, step)
    usdt, btc = account.balance("USDT"), account.balance("BTC")
    assert min(usdt.free, usdt.locked, btc.free, btc.locked) >= 0
    expected_usdt, expected_btc = Decimal("50000"), Decimal("1")
    for trade in venue.trades:
        if trade.side is OrderSide.BUY:
            expected_usdt -= trade.cost
            expected_btc += trade.amount - trade.fee
        else:
            expected_usdt += trade.cost - trade.fee
            expected_btc -= trade.amount
    assert usdt.total == expected_usdt
    assert btc.total == expected_btc
    open_orders = venue.open_orders("k")
    assert usdt.locked == sum((o.locked for o in open_orders if o.side is OrderSide.BUY), ZERO)
    assert btc.locked == sum((o.locked for o in open_orders if o.side is OrderSide.SELL), ZERO)
    for order in venue.orders.values():
        assert order.filled <= order.amount
        assert order.filled == sum((t.amount for t in order.trades), ZERO)


def _apply(engine: Engine, step: tuple[object, ...]) -> None:
    venue = engine.venue("v")
    kind = step[0]
    if kind == "market":
        _, side, amount = step
        assert isinstance(side, OrderSide)
        assert isinstance(amount, Decimal)
        venue.place_order("k", "BTC/USDT", side, OrderKind.MARKET, amount=amount)
    elif kind == "limit":
        _, side, amount, price, tif = step
        assert isinstance(side, OrderSide)
        assert isinstance(amount, Decimal)
        assert isinstance(price, Decimal)
        assert isinstance(tif, TimeInForce)
        venue.place_order(
            "k", "BTC/USDT", side, OrderKind.LIMIT, amount=amount, price=price, time_in_force=tif
        )
    elif kind == "cancel":
        index = step[1]
        assert isinstance(index, int)
        ids = sorted(venue.orders)
        if ids:
            venue.cancel_order("k", order_id=ids[index % len(ids)])
    else:
        price = step[1]
        assert isinstance(price, Decimal)
        engine.set_price("v", "BTC/USDT", price)
