"""The exchange's filters and identity rules, each refused with a neutral reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.engine import Engine, OrderKind, Rejected, RejectReason

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL


@pytest.mark.parametrize(
    ("kind", "side", "amount", "price", "reason"),
    [
        (OrderKind.LIMIT, BUY, "0.000015", "50000", RejectReason.LOT_SIZE),
        (OrderKind.LIMIT, BUY, "0.000001", "50000", RejectReason.LOT_SIZE),
        (OrderKind.LIMIT, BUY, "0.001", "50000.001", RejectReason.PRICE_FILTER),
        (OrderKind.LIMIT, BUY, "0.00009", "50000", RejectReason.MIN_NOTIONAL),
        (OrderKind.MARKET, BUY, "0.00008", None, RejectReason.MIN_NOTIONAL),
        (OrderKind.LIMIT, BUY, "3", "50000", RejectReason.INSUFFICIENT_BALANCE),
        (OrderKind.LIMIT, SELL, "2.5", "70000", RejectReason.INSUFFICIENT_BALANCE),
        (OrderKind.MARKET, BUY, "1.8", None, RejectReason.INSUFFICIENT_BALANCE),
    ],
)
def test_orders_breaking_a_rule_are_refused_with_its_reason(
    engine: Engine,
    kind: OrderKind,
    side: OrderSide,
    amount: str,
    price: str | None,
    reason: RejectReason,
) -> None:
    venue = engine.venue("alpha")
    with pytest.raises(Rejected) as refused:
        venue.place_order(
            "key", "BTC/USDT", side, kind, amount=D(amount), price=D(price) if price else None
        )
    assert refused.value.reason is reason
    assert venue.orders == {}
    assert venue.accounts["key"].balance("USDT").locked == 0


def test_unknown_symbol_and_unknown_key_are_refused(engine: Engine) -> None:
    venue = engine.venue("alpha")
    with pytest.raises(Rejected) as symbol:
        venue.place_order("key", "ETH/USDT", BUY, OrderKind.MARKET, amount=D("1"))
    with pytest.raises(Rejected) as key:
        venue.place_order("nope", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("1"))
    assert symbol.value.reason is RejectReason.UNKNOWN_SYMBOL
    assert key.value.reason is RejectReason.UNKNOWN_ACCOUNT


def test_a_client_order_id_cannot_be_reused_even_after_the_order_filled(engine: Engine) -> None:
    venue = engine.venue("alpha")
    venue.place_order(
        "key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.01"), client_order_id="rb-1"
    )
    with pytest.raises(Rejected) as duplicate:
        venue.place_order(
            "key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.01"), client_order_id="rb-1"
        )
    assert duplicate.value.reason is RejectReason.DUPLICATE_CLIENT_ORDER_ID
    assert len(venue.orders) == 1


def test_client_ids_are_per_account_and_lookups_are_scoped_to_the_account(engine: Engine) -> None:
    from rebalancer.exchange_sim.engine import Account

    engine.add_account("alpha", Account("other", "s2"))
    engine.venue("alpha").accounts["other"].credit("USDT", D("1000"))
    venue = engine.venue("alpha")
    mine = venue.place_order(
        "key", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.01"), client_order_id="same"
    )
    theirs = venue.place_order(
        "other", "BTC/USDT", BUY, OrderKind.MARKET, amount=D("0.01"), client_order_id="same"
    )
    assert venue.find_order("other", client_order_id="same") is theirs
    with pytest.raises(Rejected) as foreign:
        venue.find_order("other", order_id=mine.id)
    assert foreign.value.reason is RejectReason.ORDER_NOT_FOUND
