"""Market and user-data websockets through unmodified ccxt.pro."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest
from tests.integration.exchange_sim.conftest import user_subscriptions

from rebalancer.exchange_sim.server import SimulatorServer

WAIT_S = 5


async def test_watch_bids_asks_gives_the_best_quotes(exchange: Any) -> None:
    quotes = await asyncio.wait_for(exchange.watch_bids_asks(["BTC/USDT"]), WAIT_S)
    assert (quotes["BTC/USDT"]["bid"], quotes["BTC/USDT"]["ask"]) == (59997.0, 60003.0)


async def test_watch_ticker_named_ticker_carries_bid_and_ask(
    exchange: Any, sim: SimulatorServer
) -> None:
    first = await asyncio.wait_for(exchange.watch_ticker("BTC/USDT", {"name": "ticker"}), WAIT_S)
    assert (first["bid"], first["ask"], first["last"]) == (59997.0, 60003.0, 60000.0)
    sim.control.set_price("BTC/USDT", Decimal("61000"))
    for _ in range(50):
        ticker = await asyncio.wait_for(
            exchange.watch_ticker("BTC/USDT", {"name": "ticker"}), WAIT_S
        )
        if ticker["last"] == 61000.0:
            break
    assert ticker["last"] == 61000.0


async def test_watch_order_book_follows_the_price(exchange: Any, sim: SimulatorServer) -> None:
    book = await asyncio.wait_for(exchange.watch_order_book("BTC/USDT"), WAIT_S)
    assert book["bids"][0][0] == 59997.0
    sim.control.set_price("BTC/USDT", Decimal("50000"))
    for _ in range(100):
        book = await asyncio.wait_for(exchange.watch_order_book("BTC/USDT"), WAIT_S)
        if book["asks"][0][0] < 59000:
            break
    assert book["asks"][0][0] == 50002.5
    assert all(level[0] < 51000 for level in book["bids"]), book["bids"]


async def test_watch_balance_and_orders_see_a_fill(exchange: Any, sim: SimulatorServer) -> None:
    balance_watch = asyncio.ensure_future(exchange.watch_balance())
    orders_watch = asyncio.ensure_future(exchange.watch_orders("BTC/USDT"))
    await user_subscriptions(sim, "binance", 1)
    placed = await exchange.create_order(
        "BTC/USDT", "market", "buy", 0.1, params={"clientOrderId": "ws-1"}
    )
    balance = await asyncio.wait_for(balance_watch, WAIT_S)
    orders = await asyncio.wait_for(orders_watch, WAIT_S)
    assert orders[-1]["id"] == placed["id"]
    assert orders[-1]["clientOrderId"] == "ws-1"
    assert balance["BTC"]["free"] is not None
    for _ in range(10):
        if balance["BTC"]["free"] == pytest.approx(2.0999):
            break
        balance = await asyncio.wait_for(exchange.watch_balance(), WAIT_S)
    assert balance["BTC"]["free"] == pytest.approx(2.0999)


async def test_closing_websockets_fails_pending_watches_and_a_new_watch_reconnects(
    exchange: Any, sim: SimulatorServer
) -> None:
    await asyncio.wait_for(exchange.watch_bids_asks(["BTC/USDT"]), WAIT_S)
    sim.control.silence("binance", ["market"])
    pending = asyncio.ensure_future(exchange.watch_bids_asks(["BTC/USDT"]))
    await asyncio.sleep(0.2)
    assert not pending.done()  # silent stream: nothing arrives
    assert await sim.control.close_websockets("binance") >= 1
    with pytest.raises(ccxtpro.NetworkError):
        await asyncio.wait_for(pending, WAIT_S)
    sim.control.silence("binance", ["market"], silent=False)
    quotes = await asyncio.wait_for(exchange.watch_bids_asks(["BTC/USDT"]), WAIT_S)
    assert quotes["BTC/USDT"]["bid"] == 59997.0


async def test_after_the_user_stream_ends_a_new_watch_subscribes_again(
    exchange: Any, sim: SimulatorServer
) -> None:
    first = asyncio.ensure_future(exchange.watch_balance())
    await user_subscriptions(sim, "binance", 1)
    assert await sim.control.end_user_streams("binance") == 1
    await asyncio.sleep(0.1)
    await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
    await asyncio.sleep(0.2)
    assert not first.done()  # the stream ended: no more events for the old subscription
    again = asyncio.ensure_future(exchange.watch_balance())
    await user_subscriptions(sim, "binance", 1)
    await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
    balance = await asyncio.wait_for(again, WAIT_S)
    assert balance["BTC"]["free"] == pytest.approx(2 + 2 * 0.01 * 0.999)
    first.cancel()


async def test_watch_tickers_without_symbols_uses_the_all_market_stream(exchange: Any) -> None:
    tickers = await asyncio.wait_for(exchange.watch_tickers(), WAIT_S)
    assert set(tickers) <= {"BTC/USDT", "ETH/USDT"}
    assert tickers


async def test_watch_my_trades_reports_a_maker_fill(exchange: Any, sim: SimulatorServer) -> None:
    watch = asyncio.ensure_future(exchange.watch_my_trades("BTC/USDT"))
    await user_subscriptions(sim, "binance", 1)
    order = await exchange.create_order("BTC/USDT", "limit", "sell", 0.01, 61000)
    sim.control.set_price("BTC/USDT", Decimal("61500"))
    trades = await asyncio.wait_for(watch, WAIT_S)
    assert [(t["order"], t["takerOrMaker"], t["price"]) for t in trades] == [
        (order["id"], "maker", 61000.0)
    ]


async def test_combined_streams_wrap_each_event(sim: SimulatorServer) -> None:
    import aiohttp

    _, ws_base = sim.urls("binance")
    async with aiohttp.ClientSession() as http:
        url = f"{ws_base}/stream?streams=btcusdt@bookTicker/ethusdt@bookTicker"
        async with http.ws_connect(url) as ws:
            seen = set()
            for _ in range(20):
                message = await asyncio.wait_for(ws.receive_json(), WAIT_S)
                seen.add(message["stream"])
                assert message["data"]["s"] in ("BTCUSDT", "ETHUSDT")
                if len(seen) == 2:
                    break
    assert seen == {"btcusdt@bookTicker", "ethusdt@bookTicker"}


async def test_a_deposit_is_pushed_as_a_balance_update(exchange: Any, sim: SimulatorServer) -> None:
    exchange.options["watchBalance"]["fetchBalanceSnapshot"] = True  # deltas apply to REST
    watch = asyncio.ensure_future(exchange.watch_balance())
    await user_subscriptions(sim, "binance", 1)
    sim.control.credit_deposit("binance", "USDT", Decimal("25"))
    balance = await asyncio.wait_for(watch, WAIT_S)
    assert balance["USDT"]["free"] == 100025
