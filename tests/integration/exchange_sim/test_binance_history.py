"""Binance market history and order history through unmodified ccxt: klines, trades, allOrders,
the first streamed book, and trade and kline streams."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.integration.exchange_sim.conftest import ExchangeFactory

from rebalancer.exchange_sim.server import SimulatorServer

WAIT_S = 5
MINUTE_MS = 60_000


async def test_klines_follow_the_venues_prices_and_fills(
    exchange: Any, sim: SimulatorServer
) -> None:
    await exchange.create_order("BTC/USDT", "market", "buy", 0.1)
    sim.control.set_price("BTC/USDT", Decimal("61000"), venue="binance")
    bars = await exchange.fetch_ohlcv("BTC/USDT", "1m")
    assert all(bar[0] % MINUTE_MS == 0 for bar in bars)
    assert bars[0][1] == 60000.0  # the first quote
    assert bars[-1][4] == 61000.0  # the pinned price closes the latest bar
    assert min(bar[3] for bar in bars) == 60000.0
    assert max(bar[2] for bar in bars) == 61000.0
    assert sum(bar[5] for bar in bars) == 0.1  # the fill is the venue's only volume
    hourly = await exchange.fetch_ohlcv("BTC/USDT", "1h", since=bars[0][0] - 3_600_000)
    assert hourly[-1][4] == 61000.0
    assert sum(bar[5] for bar in hourly) == 0.1


async def test_klines_raw_reply_is_binance_shaped(exchange: Any) -> None:
    rows = await exchange.publicGetKlines({"symbol": "BTCUSDT", "interval": "1w", "limit": 2})
    [row] = rows
    assert len(row) == 12
    assert (row[6] + 1 - row[0]) == 7 * 24 * 3_600_000  # a week's close time
    assert isinstance(row[0], int)
    assert isinstance(row[1], str)
    assert isinstance(row[8], int)


async def test_public_trades_carry_the_takers_side(exchange: Any, sim: SimulatorServer) -> None:
    await exchange.create_order("BTC/USDT", "market", "buy", 0.1)
    await exchange.create_order("BTC/USDT", "limit", "sell", 0.1, 60100)  # rests
    sim.control.set_price("BTC/USDT", Decimal("60200"), venue="binance")  # taken by the market
    trades = await exchange.fetch_trades("BTC/USDT")
    assert [(t["side"], t["price"], t["amount"]) for t in trades] == [
        ("buy", 60003.0, 0.1),
        ("buy", 60100.0, 0.1),  # the resting sell was the maker: the taker bought
    ]
    recent = await exchange.fetch_trades(
        "BTC/USDT", params={"fetchTradesMethod": "publicGetTrades"}
    )
    assert [t["id"] for t in recent] == [t["id"] for t in trades]


async def test_all_orders_lists_open_filled_and_cancelled(exchange: Any) -> None:
    resting = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
    cancelled = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
    await exchange.cancel_order(cancelled["id"], "BTC/USDT")
    filled = await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
    everything = await exchange.fetch_orders("BTC/USDT")
    assert [(o["id"], o["status"]) for o in everything] == [
        (resting["id"], "open"),
        (cancelled["id"], "canceled"),
        (filled["id"], "closed"),
    ]
    assert [o["id"] for o in await exchange.fetch_closed_orders("BTC/USDT")] == [filled["id"]]
    assert [o["id"] for o in await exchange.fetch_canceled_orders("BTC/USDT")] == [cancelled["id"]]
    since_second = await exchange.privateGetAllOrders(
        {"symbol": "BTCUSDT", "orderId": cancelled["id"]}
    )
    assert [str(o["orderId"]) for o in since_second] == [cancelled["id"], filled["id"]]


async def test_the_first_streamed_book_carries_its_time(make_exchange: ExchangeFactory) -> None:
    for _ in range(3):  # fresh clients: every first book, not just a lucky one
        client = await make_exchange()
        book = await asyncio.wait_for(client.watch_order_book("BTC/USDT"), WAIT_S)
        assert book["timestamp"] is not None
        assert book["nonce"] is not None


async def test_a_rest_book_without_streams_shows_the_current_price(
    exchange: Any, sim: SimulatorServer
) -> None:
    before = await exchange.fetch_order_book("BTC/USDT")
    sim.control.set_price("BTC/USDT", Decimal("50000"), venue="binance")
    after = await exchange.fetch_order_book("BTC/USDT")
    assert before["bids"][0][0] == 59997.0
    assert after["bids"][0][0] < 50000.0 < after["asks"][0][0]
    assert after["nonce"] > before["nonce"]


async def test_trade_and_kline_streams(exchange: Any, make_exchange: ExchangeFactory) -> None:
    trader = await make_exchange()
    trades_watch = asyncio.ensure_future(exchange.watch_trades("BTC/USDT"))
    await asyncio.sleep(0.2)  # let the subscription reach the venue
    await trader.create_order("BTC/USDT", "market", "sell", 0.2)
    trades = await asyncio.wait_for(trades_watch, WAIT_S)
    assert [(t["side"], t["amount"]) for t in trades] == [("sell", 0.2)]
    streamed = (await asyncio.wait_for(exchange.watch_ohlcv("BTC/USDT", "1m"), WAIT_S))[-1]
    rest = {bar[0]: bar for bar in await exchange.fetch_ohlcv("BTC/USDT", "1m")}
    assert streamed[:6] == rest[streamed[0]][:6]  # the bar in progress, as REST has it
    assert sum(bar[5] for bar in rest.values()) == 0.2
