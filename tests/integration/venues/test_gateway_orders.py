"""Orders through the real ccxt gateway against the simulator, on both protocols."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from tests.integration.venues.conftest import GatewayFactory

from rebalancer.domain.errors import AmbiguousOrderOutcome, OrderRejected
from rebalancer.domain.market import OrderSide
from rebalancer.domain.orders import OrderStatus, OrderType, SubmitOrder, TimeInForce
from rebalancer.venues.ccxt.gateway import CcxtGateway


def market_order(cid: str, side: OrderSide, amount: str, symbol: str = "BTC/USDT") -> SubmitOrder:
    return SubmitOrder(cid, symbol, side, OrderType.MARKET, Decimal(amount))


def limit_order(cid: str, side: OrderSide, amount: str, price: str) -> SubmitOrder:
    return SubmitOrder(
        cid, "BTC/USDT", side, OrderType.LIMIT, Decimal(amount), Decimal(price), TimeInForce.GTC
    )


async def test_market_buy_fills_fully_and_moves_the_balances(gateway: CcxtGateway) -> None:
    report = await gateway.create_order(market_order("rbfull1", OrderSide.BUY, "0.5"))
    assert report.status is OrderStatus.FILLED
    assert report.client_order_id == "rbfull1"
    assert report.filled == Decimal("0.5")
    assert report.average_price is not None
    assert Decimal(60000) < report.average_price < Decimal(60300)
    balances = await gateway.fetch_balances()
    assert balances["BTC"].total > Decimal("10.49")
    assert balances["USDT"].free < Decimal("500000") - Decimal("30000")


async def test_market_order_bigger_than_the_book_fills_partly(gateway: CcxtGateway) -> None:
    report = await gateway.create_order(market_order("rbpart1", OrderSide.BUY, "5"))
    assert report.status.is_terminal
    assert Decimal(0) < report.filled < Decimal(5)
    assert report.remaining == Decimal(5) - report.filled


async def test_limit_below_the_market_rests_until_cancelled(gateway: CcxtGateway) -> None:
    placed = await gateway.create_order(limit_order("rbrest1", OrderSide.BUY, "0.1", "50000"))
    assert (placed.status, placed.filled) == (OrderStatus.OPEN, Decimal(0))
    assert placed.price == Decimal(50000)
    assert [o.client_order_id for o in await gateway.fetch_open_orders()] == ["rbrest1"]
    assert [o.client_order_id for o in await gateway.fetch_open_orders("BTC/USDT")] == ["rbrest1"]
    found = await gateway.fetch_order_by_client_id("BTC/USDT", "rbrest1")
    assert found is not None
    assert found.status is OrderStatus.OPEN
    cancelled = await gateway.cancel_order("BTC/USDT", "rbrest1")
    assert cancelled is not None
    assert cancelled.status is OrderStatus.CANCELED
    assert cancelled.client_order_id == "rbrest1"
    assert await gateway.fetch_open_orders() == []
    assert await gateway.cancel_order("BTC/USDT", "rbrest1") in (None, cancelled)


async def test_an_order_nobody_placed_is_not_found(gateway: CcxtGateway) -> None:
    assert await gateway.fetch_order_by_client_id("BTC/USDT", "rbneverplaced") is None
    assert await gateway.cancel_order("BTC/USDT", "rbneverplaced") is None


async def test_the_order_stream_reports_a_fill(gateway: CcxtGateway) -> None:
    watching = asyncio.create_task(gateway.watch_orders())
    await asyncio.sleep(0.3)  # subscribed before we trade (ccxt.md §9.2)
    await gateway.create_order(market_order("rbwatch1", OrderSide.SELL, "0.2"))
    seen = []
    for _ in range(10):
        updates = await asyncio.wait_for(watching, 5)
        seen.extend(updates)
        if any(o.client_order_id == "rbwatch1" and o.status is OrderStatus.FILLED for o in seen):
            break
        watching = asyncio.create_task(gateway.watch_orders())
    else:
        raise AssertionError(f"no fill reported: {seen}")
    filled = next(o for o in seen if o.status is OrderStatus.FILLED)
    assert (filled.side, filled.filled) == (OrderSide.SELL, Decimal("0.2"))


async def test_the_balance_stream_reports_what_a_trade_changed(gateway: CcxtGateway) -> None:
    watching = asyncio.create_task(gateway.watch_balances())
    await asyncio.sleep(0.3)
    await gateway.create_order(market_order("rbbal1", OrderSide.SELL, "1"))
    for _ in range(10):
        update = await asyncio.wait_for(watching, 5)
        if "BTC" in update and update["BTC"].total != 10:  # OKX first sends a snapshot
            break
        watching = asyncio.create_task(gateway.watch_balances())
    else:
        raise AssertionError("the balance stream never reported BTC")
    assert update["BTC"].total == Decimal(9)


async def test_insufficient_funds_is_a_definitive_rejection(gateway: CcxtGateway) -> None:
    with pytest.raises(OrderRejected):
        await gateway.create_order(market_order("rbpoor1", OrderSide.SELL, "11"))
    assert await gateway.fetch_order_by_client_id("BTC/USDT", "rbpoor1") is None


async def test_an_amount_off_the_lot_step_is_rejected(gateway: CcxtGateway) -> None:
    with pytest.raises(OrderRejected):
        await gateway.create_order(market_order("rbdust1", OrderSide.BUY, "0.000001"))


async def test_reusing_a_client_id_is_ambiguous_not_rejected(gateway: CcxtGateway) -> None:
    # the first order exists: a "duplicate" reply must send the caller to look it up
    await gateway.create_order(market_order("rbdup1", OrderSide.BUY, "0.01"))
    with pytest.raises(AmbiguousOrderOutcome):
        await gateway.create_order(market_order("rbdup1", OrderSide.BUY, "0.01"))
    found = await gateway.fetch_order_by_client_id("BTC/USDT", "rbdup1")
    assert found is not None
    assert found.filled == Decimal("0.01")


async def test_the_okx_venue_fills_what_okx_rules_allow_and_refuses_below_min_size(
    make_gateway: GatewayFactory,
) -> None:
    """The daemon reads OKX's minSz/lotSz (no minimum notional) from the listing, and the venue
    enforces exactly those: an order worth 0.6 USDT is a valid OKX order."""
    okx = await make_gateway("okx")
    btc = (await okx.load_markets())["BTC/USDT"]
    assert (btc.min_amount, btc.amount_step, btc.min_notional) == (
        Decimal("0.00001"),
        Decimal("0.00000001"),
        Decimal(0),
    )
    tiny = await okx.create_order(market_order("okxtiny1", OrderSide.BUY, "0.00001"))
    assert (tiny.status, tiny.filled) == (OrderStatus.FILLED, Decimal("0.00001"))
    with pytest.raises(OrderRejected, match="51020"):
        await okx.create_order(market_order("okxtiny2", OrderSide.BUY, "0.000005"))
