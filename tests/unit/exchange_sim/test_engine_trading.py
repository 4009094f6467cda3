"""Fills, partial fills, fees and resting orders on the engine's synthetic books."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.engine import (
    Engine,
    Event,
    Execution,
    OrderKind,
    OrderState,
    OrderUpdated,
    TimeInForce,
)

BUY, SELL = OrderSide.BUY, OrderSide.SELL
D = Decimal


def test_market_buy_fills_at_best_ask_and_charges_the_taker_fee_in_base(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order("key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.1"))
    assert order.state is OrderState.FILLED
    assert [(t.price, t.amount) for t in order.trades] == [(D("60003.00"), D("0.1"))]
    assert order.trades[0].fee == D("0.0001")
    assert order.trades[0].fee_asset == "BTC"
    account = venue.accounts["key"]
    assert account.balance("BTC").free == D("2.0999")
    assert account.balance("USDT").free == D("100000") - D("6000.300")


def test_market_sell_charges_the_fee_in_the_quote_asset(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order("key", "BTC/USDT", SELL, OrderKind.MARKET, amount=D("0.5"))
    trade = order.trades[0]
    assert (trade.price, trade.fee, trade.fee_asset) == (D("59997.00"), D("29.9985"), "USDT")
    assert venue.accounts["key"].balance("USDT").free == D("100000") + D("29998.5") - D("29.9985")


def test_an_order_bigger_than_the_first_level_walks_the_book(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order("key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("1.5"))
    assert order.state is OrderState.FILLED
    assert [t.price for t in order.trades] == [D("60003.00"), D("60063.01")]
    assert order.average_price is not None
    assert D("60003") < order.average_price < D("60063.01")


def test_a_market_order_bigger_than_the_whole_depth_fills_partially_and_expires(
    engine: Engine,
) -> None:
    venue = engine.venue("alpha")
    venue.accounts["key"].credit("BTC", D("8"))
    order = venue.place_order("key", "BTC/USDT", SELL, OrderKind.MARKET, amount=D("5"))
    depth = sum(lv.quantity for lv in venue.books["BTC/USDT"].depth(10)[0])
    assert depth == 0
    assert order.state is OrderState.EXPIRED
    assert len(order.trades) == 3
    assert D(2) < order.filled < D(5)
    assert venue.accounts["key"].balance("BTC").free == D("10") - order.filled


def test_consumed_liquidity_stays_consumed_until_the_price_moves(engine: Engine) -> None:
    venue = engine.venue("alpha")
    venue.place_order("key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.99995"))
    second = venue.place_order("key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.1"))
    assert second.trades[0].price == D("60063.01")
    engine.set_price("alpha", "BTC/USDT", D("60000"))
    third = venue.place_order("key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.1"))
    assert third.trades[0].price == D("60003.00")


def test_market_buy_sized_in_quote_spends_at_most_that_much(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order("key", "BTC/USDT", BUY, OrderKind.MARKET, quote_amount=D("100"))
    assert order.state is OrderState.FILLED
    assert order.amount == D("0.00166")
    assert order.cost <= D("100")


def test_resting_limit_buy_fills_as_maker_when_the_price_falls_through_it(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order(
        "key", "BTC/USDT", BUY, OrderKind.LIMIT, amount=D("0.1"), price=D("59000")
    )
    usdt = venue.accounts["key"].balance("USDT")
    assert order.state is OrderState.NEW
    assert usdt.locked == D("5900.0")
    engine.set_price("alpha", "BTC/USDT", D("58900"))
    assert order.state is OrderState.FILLED
    trade = order.trades[0]
    assert (trade.price, trade.maker, trade.fee) == (D("59000"), True, D("0.00008"))
    assert usdt.locked == 0
    assert usdt.free == D("100000") - D("5900.0")


def test_resting_limit_sell_fills_when_the_price_rises_through_it(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order(
        "key", "BTC/USDT", SELL, OrderKind.LIMIT, amount=D("0.2"), price=D("61000")
    )
    assert venue.accounts["key"].balance("BTC").locked == D("0.2")
    engine.set_price("alpha", "BTC/USDT", D("60500"))
    assert order.state is OrderState.NEW
    engine.set_price("alpha", "BTC/USDT", D("61100"))
    assert order.state is OrderState.FILLED
    assert venue.accounts["key"].balance("USDT").free == D("100000") + D("12200") - D("9.76")


def test_crossing_gtc_limit_takes_what_it_can_and_rests_the_rest(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order(
        "key", "BTC/USDT", BUY, OrderKind.LIMIT, amount=D("1.5"), price=D("60010")
    )
    assert order.state is OrderState.PARTIALLY_FILLED
    assert order.filled == D("0.99995")
    usdt = venue.accounts["key"].balance("USDT")
    assert usdt.locked == order.remaining * D("60010")
    # the taker fill at 60003 refunded the difference to the 60010 lock
    assert usdt.free + usdt.locked == D("100000") - D("0.99995") * D("60003")
    assert venue.open_orders("key") == [order]


def test_ioc_limit_expires_what_it_cannot_fill_and_unlocks_it(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order(
        "key",
        "BTC/USDT",
        BUY,
        OrderKind.LIMIT,
        amount=D("1.5"),
        price=D("60010"),
        time_in_force=TimeInForce.IOC,
    )
    assert order.state is OrderState.EXPIRED
    assert order.filled == D("0.99995")
    assert venue.accounts["key"].balance("USDT").locked == 0


def test_cancel_releases_the_lock_and_a_second_cancel_is_refused(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order(
        "key",
        "BTC/USDT",
        SELL,
        OrderKind.LIMIT,
        amount=D("1"),
        price=D("70000"),
        client_order_id="c-1",
    )
    venue.cancel_order("key", client_order_id="c-1")
    assert order.state is OrderState.CANCELED
    assert venue.accounts["key"].balance("BTC").free == D("2")
    from rebalancer.exchange_sim.engine import Rejected, RejectReason

    with pytest.raises(Rejected) as second:
        venue.cancel_order("key", order_id=order.id)
    assert second.value.reason is RejectReason.ORDER_NOT_OPEN


def test_events_report_acceptance_trades_and_balances_in_order(engine: Engine) -> None:
    seen: list[Event] = []
    stop = engine.subscribe(seen.append)
    engine.venue("alpha").place_order("key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.1"))
    stop()
    engine.venue("alpha").place_order("key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.1"))
    updates = [e for e in seen if isinstance(e, OrderUpdated)]
    assert [u.execution for u in updates] == [Execution.NEW, Execution.TRADE]
    assert updates[0].order.state is OrderState.NEW  # a copy taken at the time
    assert updates[1].trade is not None
    assert type(seen[-1]).__name__ == "BalancesChanged"
    assert len(seen) == 3
