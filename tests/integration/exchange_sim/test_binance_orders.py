"""Orders through unmodified ccxt: fills, partials, resting limits, cancels, client ids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from rebalancer.exchange_sim.server import SimulatorServer


async def test_market_buy_fills_at_once_with_the_fee_in_base(exchange: Any) -> None:
    order = await exchange.create_order(
        "BTC/USDT", "market", "buy", 0.1, params={"clientOrderId": "rb-1"}
    )
    assert order["status"] == "closed"
    assert order["filled"] == 0.1
    assert order["average"] == 60003.0
    assert order["clientOrderId"] == "rb-1"
    assert order["fee"] == {"cost": 0.0001, "currency": "BTC"}
    balance = await exchange.fetch_balance()
    assert balance["BTC"]["free"] == pytest.approx(2.0999)


async def test_market_buy_with_a_price_is_sent_as_quote_quantity(exchange: Any) -> None:
    order = await exchange.create_order("BTC/USDT", "market", "buy", 0.001, 60000)
    assert order["status"] == "closed"
    assert order["cost"] <= 60.0
    assert order["filled"] == pytest.approx(0.00099)


async def test_a_market_order_bigger_than_the_book_fills_partially(exchange: Any) -> None:
    order = await exchange.create_order("ETH/USDT", "market", "sell", 80)
    assert order["status"] == "expired"
    assert 0 < order["filled"] < 80
    assert order["remaining"] == pytest.approx(80 - order["filled"])


async def test_resting_limit_fills_when_the_price_moves_through_it(
    exchange: Any, sim: SimulatorServer
) -> None:
    order = await exchange.create_order("BTC/USDT", "limit", "sell", 0.5, 61000)
    assert order["status"] == "open"
    balance = await exchange.fetch_balance()
    assert balance["BTC"]["used"] == 0.5
    sim.control.set_price("BTC/USDT", Decimal("61500"), venue="binance")
    filled = await exchange.fetch_order(order["id"], "BTC/USDT")
    assert filled["status"] == "closed"
    assert filled["average"] == 61000.0
    trades = await exchange.fetch_my_trades("BTC/USDT")
    assert [(t["order"], t["takerOrMaker"]) for t in trades] == [(order["id"], "maker")]


async def test_cancel_an_open_order_and_it_leaves_the_open_list(exchange: Any) -> None:
    order = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
    assert [o["id"] for o in await exchange.fetch_open_orders()] == [order["id"]]
    cancelled = await exchange.cancel_order(order["id"], "BTC/USDT")
    assert cancelled["status"] == "canceled"
    assert await exchange.fetch_open_orders("BTC/USDT") == []
    with pytest.raises(ccxtpro.OrderNotFound):
        await exchange.cancel_order(order["id"], "BTC/USDT")


async def test_an_order_is_found_by_its_client_order_id(exchange: Any) -> None:
    placed = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "rb-run1-n1-a0"}
    )
    found = await exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "rb-run1-n1-a0"})
    assert found["id"] == placed["id"]
    with pytest.raises(ccxtpro.OrderNotFound):
        await exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "never-sent"})


async def test_a_reused_client_order_id_is_refused_as_a_duplicate(exchange: Any) -> None:
    await exchange.create_order("BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "x"})
    with pytest.raises(ccxtpro.InvalidOrder, match="Duplicate order sent"):
        await exchange.create_order(
            "BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "x"}
        )


async def test_exchange_rules_are_enforced_with_binance_codes(exchange: Any) -> None:
    with pytest.raises(ccxtpro.InsufficientFunds):
        await exchange.create_order("BTC/USDT", "limit", "buy", 5, 50000)
    with pytest.raises(ccxtpro.InvalidOrder, match="LOT_SIZE"):
        await exchange.private_post_order(
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.000015"}
        )
    with pytest.raises(ccxtpro.BadRequest, match="NOTIONAL"):
        await exchange.create_order("BTC/USDT", "limit", "buy", 0.00001, 50000)


async def test_partial_gtc_limit_rests_its_remainder(exchange: Any, sim: SimulatorServer) -> None:
    sim.control.set_price("BTC/USDT", Decimal("60000"), venue="binance")  # no book refills
    order = await exchange.create_order("BTC/USDT", "limit", "buy", 1.5, 60010)
    assert order["status"] == "open"
    assert order["filled"] == pytest.approx(0.99995)
    [open_order] = await exchange.fetch_open_orders("BTC/USDT")
    assert open_order["remaining"] == pytest.approx(1.5 - 0.99995)


async def test_cancel_all_orders_of_a_symbol(exchange: Any) -> None:
    for price in (50000, 51000):
        await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, price)
    cancelled = await exchange.cancel_all_orders("BTC/USDT")
    assert sorted(o["status"] for o in cancelled) == ["canceled", "canceled"]
    assert await exchange.fetch_open_orders("BTC/USDT") == []
    assert (await exchange.fetch_balance())["USDT"]["used"] == 0
