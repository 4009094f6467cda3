"""Parsing OKX place-order bodies: what becomes an engine order and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.engine.orders import OrderKind, TimeInForce
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.order_request import parse_order_ref, parse_place_order

LIMIT = {
    "instId": "BTC-USDT",
    "tdMode": "cash",
    "side": "buy",
    "ordType": "limit",
    "sz": "0.015",
    "px": "60000.1",
    "clOrdId": "rb2422o13",
    "tag": "",
    "tgtCcy": "base_ccy",
}


def test_limit_buy_becomes_gtc_limit_in_base_units() -> None:
    order = parse_place_order(LIMIT)
    assert order.symbol == "BTC/USDT"
    assert (order.side, order.kind, order.time_in_force) == (
        OrderSide.BUY,
        OrderKind.LIMIT,
        TimeInForce.GTC,
    )
    assert (order.amount, order.price) == (Decimal("0.015"), Decimal("60000.1"))
    assert order.client_order_id == "rb2422o13"


def test_market_buy_with_quote_target_is_sized_in_quote() -> None:
    order = parse_place_order(
        LIMIT | {"ordType": "market", "px": "", "tgtCcy": "quote_ccy", "sz": "100"}
    )
    assert order.amount is None
    assert order.quote_amount == Decimal("100")
    assert order.price is None


def test_ioc_is_a_limit_that_expires() -> None:
    assert parse_place_order(LIMIT | {"ordType": "ioc"}).time_in_force is TimeInForce.IOC


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"sz": "-1"}, "51000", "sz"),
        ({"sz": "abc"}, "51000", "sz"),
        ({"side": "hold"}, "51000", "side"),
        ({"ordType": "fok"}, "51000", "ordType"),
        ({"tdMode": "cross"}, "51000", "tdMode"),
        ({"px": ""}, "51204", "price"),
        ({"instId": "BTCUSDT"}, "51001", "Instrument"),
        ({"clOrdId": "has-dash"}, "51000", "clOrdId"),
        ({"clOrdId": "x" * 33}, "51000", "clOrdId"),
        ({"sz": ""}, "50014", "sz"),
    ],
)
def test_malformed_order_is_refused_naming_the_field(
    change: dict[str, str], code: str, words: str
) -> None:
    with pytest.raises(OkxRejection) as caught:
        parse_place_order(LIMIT | change)
    assert caught.value.code == code
    assert words in caught.value.msg


def test_lookup_needs_an_order_id_or_client_id() -> None:
    assert parse_order_ref({"instId": "ETH-USDT", "clOrdId": "abc"}) == ("ETH/USDT", "", "abc")
    with pytest.raises(OkxRejection) as caught:
        parse_order_ref({"instId": "ETH-USDT"})
    assert caught.value.code == "51003"
