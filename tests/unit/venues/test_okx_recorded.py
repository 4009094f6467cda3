"""The ccxt gateway on OKX, fed recorded replies at ccxt's transport seam."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from tests.unit.venues.replay import Replay, load, okx_gateway

from rebalancer.domain.market import OrderSide
from rebalancer.domain.orders import OrderStatus, OrderType, SubmitOrder
from rebalancer.venues.ccxt.gateway import CcxtGateway


@pytest.fixture
async def okx() -> AsyncIterator[tuple[CcxtGateway, Replay]]:
    gateway, replay = okx_gateway(load("okx_rest.json"))
    try:
        await gateway.load_markets()
        yield gateway, replay
    finally:
        await gateway.close()


async def test_markets_take_lot_and_tick_from_the_instrument_strings(
    okx: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = okx
    markets = await gateway.load_markets()
    btc = markets["BTC/USDT"]
    assert (btc.amount_step, btc.min_amount, btc.price_tick) == (
        Decimal("0.00000001"),
        Decimal("0.00001"),
        Decimal("0.1"),
    )
    assert btc.min_notional == 0
    assert markets["ETH/USDT"].max_amount is None


async def test_fees_fall_back_to_ccxt_published_rates_exactly(
    okx: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = okx
    markets = await gateway.load_markets()
    assert gateway.fee_source == "ccxt fee table"
    assert markets["BTC/USDT"].taker_fee == Decimal("0.0015")
    assert markets["BTC/USDT"].maker_fee == Decimal("0.001")


async def test_balances_read_available_and_frozen_not_equity(
    okx: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = okx
    balances = await gateway.fetch_balances()
    assert (balances["USDT"].free, balances["USDT"].locked) == (Decimal("900.5"), Decimal("10"))
    assert balances["BTC"].free == Decimal("0.12345678")


async def test_quotes_come_from_tickers_bid_and_ask(okx: tuple[CcxtGateway, Replay]) -> None:
    gateway, _ = okx
    quotes = await gateway.fetch_quotes(["BTC/USDT"])
    assert (quotes["BTC/USDT"].bid, quotes["BTC/USDT"].ask) == (
        Decimal("61999.9"),
        Decimal("62000.2"),
    )


async def test_an_acknowledged_order_is_looked_up_by_client_id_before_answering(
    okx: tuple[CcxtGateway, Replay],
) -> None:
    # ccxt.md §9.6: OKX create_order returns only an acknowledgement (status None)
    gateway, replay = okx
    report = await gateway.create_order(
        SubmitOrder(
            "rb-run1-o9-0",
            "BTC/USDT",
            OrderSide.BUY,
            OrderType.LIMIT,
            Decimal("0.01"),
            Decimal("62000.1"),
        )
    )
    (sent,) = replay.asked("POST", "/api/v5/trade/batch-orders")
    assert '"clOrdId": "rb-run1-o9-0"' in sent or '"clOrdId":"rb-run1-o9-0"' in sent
    assert "clOrdId=rb-run1-o9-0" in replay.asked("GET", "/api/v5/trade/order")[0]
    assert report.status is OrderStatus.OPEN
    assert (report.amount, report.filled) == (Decimal("0.01"), Decimal("0.004"))
    assert report.average_price == Decimal("62000.1")
    assert (report.fee, report.fee_asset) == (Decimal("0.000004"), "BTC")


async def test_an_acknowledged_cancel_reports_the_order_state(
    okx: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = okx
    report = await gateway.cancel_order("BTC/USDT", "rb-run1-o9-0")
    assert report is not None
    assert report.client_order_id == "rb-run1-o9-0"
