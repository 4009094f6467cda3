"""The ccxt gateway on Binance, fed recorded replies at ccxt's transport seam."""

from __future__ import annotations

import decimal
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from tests.unit.venues.replay import Replay, binance_gateway, load

from rebalancer.domain.errors import RetryableVenueError
from rebalancer.domain.market import OrderSide
from rebalancer.domain.orders import OrderStatus, OrderType, SubmitOrder, TimeInForce
from rebalancer.domain.transfers import TransferStatus, WithdrawRequest
from rebalancer.venues.ccxt.gateway import CcxtGateway


def replies(**overrides: Any) -> dict[str, Any]:
    recorded = load("binance_rest.json")
    recorded["GET /api/v3/exchangeInfo"] = load("binance_exchange_info_2024-09-08.json")
    recorded.update(overrides)
    return recorded


@pytest.fixture
async def binance() -> AsyncIterator[tuple[CcxtGateway, Replay]]:
    gateway, replay = binance_gateway(replies())
    try:
        await gateway.load_markets()
        yield gateway, replay
    finally:
        await gateway.close()


async def test_markets_take_steps_and_minimums_from_the_raw_filters(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = binance
    markets = await gateway.load_markets()
    btc = markets["BTC/USDT"]
    assert (btc.amount_step, btc.min_amount, btc.price_tick) == (
        Decimal("0.00001"),
        Decimal("0.00001"),
        Decimal("0.01"),
    )
    assert btc.min_notional == Decimal("5")
    assert btc.max_amount == Decimal("9000")
    assert str(btc.amount_step) == "0.00001"


async def test_market_fees_come_from_the_account_fee_endpoint(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = binance
    markets = await gateway.load_markets()
    assert markets["ETH/USDT"].taker_fee == Decimal("0.00075")
    assert markets["BTC/USDT"].maker_fee == Decimal("0.001")
    assert gateway.fee_source == "venue"


async def test_old_min_notional_filter_is_read_too() -> None:
    gateway, _ = binance_gateway(
        replies(**{"GET /api/v3/exchangeInfo": load("binance_exchange_info_2018-02-10.json")})
    )
    async with gateway:
        markets = await gateway.load_markets()
    assert markets["BTC/USDT"].min_notional == Decimal("10")
    assert markets["BTC/USDT"].amount_step == Decimal("0.000001")


async def test_balances_keep_every_digit_and_drop_empty_assets(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = binance
    balances = await gateway.fetch_balances()
    assert balances["BTC"].free == Decimal("4723846.89208129")
    assert balances["LTC"].locked == Decimal("0.00000001")
    assert balances["USDT"].total == Decimal("1033.51")
    assert "ETH" not in balances


async def test_an_http_200_that_is_not_json_raises_instead_of_reading_as_empty() -> None:
    # ccxt.md §9.9: ccxt returns an empty balance with info = the raw text
    gateway, _ = binance_gateway(replies(**{"GET /api/v3/account": "{not json"}))
    async with gateway:
        with pytest.raises(RetryableVenueError, match="not a JSON object"):
            await gateway.fetch_balances()


async def test_quotes_skip_a_market_without_a_two_sided_book(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = binance
    quotes = await gateway.fetch_quotes(["BTC/USDT", "ETH/USDT"])
    assert set(quotes) == {"BTC/USDT"}
    assert quotes["BTC/USDT"].bid == Decimal("61990")
    assert quotes["BTC/USDT"].ask == Decimal("62010")


async def test_market_order_is_sent_with_our_client_id_and_quantity_not_quote_amount(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, replay = binance
    report = await gateway.create_order(
        SubmitOrder("rb-run1-o1-0", "BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal("0.01"))
    )
    (sent,) = replay.asked("POST", "/api/v3/order")
    assert "newClientOrderId=rb-run1-o1-0" in sent
    assert "quantity=0.01" in sent
    assert "quoteOrderQty" not in sent  # ccxt.md §9.8
    assert report.status is OrderStatus.FILLED
    assert report.filled == Decimal("0.01")
    assert report.average_price == Decimal("62010")
    assert (report.fee, report.fee_asset) == (Decimal("0.00001"), "BTC")


async def test_limit_order_sends_price_and_time_in_force_as_exact_strings(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, replay = binance
    await gateway.create_order(
        SubmitOrder(
            "rb-run1-o2-0",
            "BTC/USDT",
            OrderSide.SELL,
            OrderType.LIMIT,
            Decimal("0.12345"),
            Decimal("60000.01"),
            TimeInForce.IOC,
        )
    )
    (sent,) = replay.asked("POST", "/api/v3/order")
    assert "price=60000.01" in sent
    assert "quantity=0.12345" in sent
    assert "timeInForce=IOC" in sent


async def test_ccxt_does_not_change_our_decimal_context(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = binance
    before = decimal.getcontext().copy()
    await gateway.create_order(
        SubmitOrder("rb-run1-o1-0", "BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal("0.01"))
    )
    after = decimal.getcontext()
    assert (after.rounding, after.traps[decimal.Underflow]) == (
        before.rounding,
        before.traps[decimal.Underflow],
    )


async def test_order_is_looked_up_by_client_id_and_reports_a_partial_fill(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, replay = binance
    report = await gateway.fetch_order_by_client_id("BTC/USDT", "rb-run1-o2-0")
    assert report is not None
    assert "origClientOrderId=rb-run1-o2-0" in replay.asked("GET", "/api/v3/order")[0]
    assert report.status is OrderStatus.OPEN
    assert (report.filled, report.remaining) == (Decimal("0.2"), Decimal("0.3"))
    assert report.average_price == Decimal("60000")
    assert report.price == Decimal("60000")
    # Binance's order query has no fee: it comes from the order's trades
    assert "orderId=29" in replay.asked("GET", "/api/v3/myTrades")[0]
    assert (report.fee, report.fee_asset) == (Decimal("12"), "USDT")


async def test_cancel_reports_our_client_id_not_the_cancel_request_id(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = binance
    report = await gateway.cancel_order("BTC/USDT", "rb-run1-o2-0")
    assert report is not None
    assert report.client_order_id == "rb-run1-o2-0"
    assert report.status is OrderStatus.CANCELED
    assert report.filled == Decimal("0.2")


async def test_open_orders_of_every_symbol_in_one_call(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, replay = binance
    orders = await gateway.fetch_open_orders()
    assert [o.client_order_id for o in orders] == ["rb-run1-o3-0"]
    assert "symbol=" not in replay.asked("GET", "/api/v3/openOrders")[0]


async def test_withdrawal_is_pending_with_the_id_the_venue_gave(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, replay = binance
    report = await gateway.withdraw(
        WithdrawRequest("USDT", "TRX", Decimal("250"), "TXLAQ63Xg1NAzckPwKHvzw7CSEmLMEqcdj")
    )
    assert report.id == "7213fea8e94b4a5593d507237e5a555b"
    assert report.status is TransferStatus.PENDING
    assert report.amount == Decimal("250")
    (sent,) = replay.asked("POST", "/sapi/v1/capital/withdraw/apply")
    assert "amount=250" in sent
    assert "network=TRX" in sent


async def test_withdrawal_and_deposit_history_keep_raw_amounts_and_fees(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = binance
    (withdrawal,) = await gateway.fetch_withdrawals("USDT")
    assert (withdrawal.amount, withdrawal.fee) == (Decimal("28.75"), Decimal("0.25"))
    assert withdrawal.status is TransferStatus.OK
    deposits = await gateway.fetch_deposits()
    assert sorted((d.asset, d.amount, d.status) for d in deposits) == [
        ("BTC", Decimal("0.001"), TransferStatus.PENDING),
        ("USDT", Decimal("4500"), TransferStatus.OK),
    ]


async def test_deposit_address_for_an_asset_and_network(
    binance: tuple[CcxtGateway, Replay],
) -> None:
    gateway, _ = binance
    address = await gateway.fetch_deposit_address("USDT", "TRX")
    assert address.address == "TXLAQ63Xg1NAzckPwKHvzw7CSEmLMEqcdj"
    assert address.tag is None
