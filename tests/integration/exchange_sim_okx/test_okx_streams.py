"""Unmodified ccxt.pro.okx websockets against the simulator: market data, balances, orders."""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt
import pytest
from tests.integration.exchange_sim_okx.conftest import Sim
from tests.integration.exchange_sim_okx.waiting import eventually, settled


async def test_watch_ticker_has_bid_and_ask_and_follows_the_price(sim: Sim) -> None:
    okx = sim.exchange()
    first = await asyncio.wait_for(okx.watch_ticker("BTC/USDT"), 5)
    assert (first["bid"], first["ask"], first["last"]) == (59994.0, 60006.0, 60000.0)
    sim.price("BTC/USDT", "61000")
    moved = await eventually(lambda: okx.watch_ticker("BTC/USDT"), lambda t: t["last"] == 61000.0)
    assert moved["bid"] < 61000.0 < moved["ask"]


async def test_watch_bids_asks_gives_the_top_of_book(sim: Sim) -> None:
    okx = sim.exchange()
    quotes = await asyncio.wait_for(okx.watch_bids_asks(["ETH/USDT"]), 5)
    assert (quotes["ETH/USDT"]["bid"], quotes["ETH/USDT"]["ask"]) == (2999.7, 3000.3)


async def test_watch_order_book_applies_sequenced_updates(sim: Sim) -> None:
    okx = sim.exchange()
    book = await asyncio.wait_for(okx.watch_order_book("BTC/USDT"), 5)
    assert book["asks"][0][0] == 60006.0
    first_nonce = book["nonce"]
    sim.price("BTC/USDT", "60100")
    book = await eventually(
        lambda: okx.watch_order_book("BTC/USDT"), lambda b: b["bids"][0][0] > 60000
    )
    assert book["nonce"] > first_nonce
    assert book["bids"][0][0] == 60093.9  # the new best bid, older levels removed
    assert len(book["bids"]) == 5


async def test_watch_order_book_of_five_levels_resends_the_top(sim: Sim) -> None:
    okx = sim.exchange()
    book = await asyncio.wait_for(okx.watch_order_book("BTC/USDT", 5), 5)
    assert [level[0] for level in book["asks"]][:2] == [60006.0, 60012.1]
    assert len(book["bids"]) == 5
    sim.price("BTC/USDT", "50000")
    book = await eventually(
        lambda: okx.watch_order_book("BTC/USDT", 5), lambda b: b["asks"][0][0] < 50010
    )
    assert book["asks"][0][0] == 50005.0


async def test_watch_balance_and_orders_see_a_fill(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    initial = await asyncio.wait_for(okx.watch_balance(), 5)
    assert initial["USDT"]["free"] == 100000.0
    balance_task = asyncio.create_task(okx.watch_balance())
    orders_task = asyncio.create_task(okx.watch_orders("ETH/USDT"))
    await asyncio.sleep(0.2)  # let the subscription reach the server before trading
    placed = await okx.create_order("ETH/USDT", "market", "buy", 1, params={"clientOrderId": "w1"})
    await asyncio.wait_for(orders_task, 5)

    def closed() -> dict[str, Any] | None:
        return next(
            (o for o in okx.orders if o["id"] == placed["id"] and o["status"] == "closed"), None
        )

    filled = await settled(closed, lambda: okx.watch_orders("ETH/USDT"))
    assert (filled["clientOrderId"], filled["filled"], filled["average"]) == ("w1", 1.0, 3000.3)
    balance = await asyncio.wait_for(balance_task, 5)
    assert balance["ETH"]["free"] == 0.999
    assert balance["USDT"]["free"] == pytest.approx(100000 - 3000.3)


async def test_watch_my_trades_reports_each_fill(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    await asyncio.wait_for(okx.watch_balance(), 5)  # logs in
    trades_task = asyncio.create_task(okx.watch_my_trades("BTC/USDT"))
    await asyncio.sleep(0.2)
    await okx.create_order("BTC/USDT", "market", "sell", 0.1)
    trades: list[dict[str, Any]] = await asyncio.wait_for(trades_task, 5)
    assert [(t["side"], t["amount"], t["price"]) for t in trades] == [("sell", 0.1, 59994.0)]


async def test_closed_websockets_raise_network_error_and_reconnect(sim: Sim) -> None:
    okx = sim.exchange()
    await asyncio.wait_for(okx.watch_ticker("BTC/USDT"), 5)
    pending = asyncio.create_task(okx.watch_ticker("BTC/USDT"))
    await asyncio.sleep(0.01)
    assert await sim.frontends["okx"].close_websockets() >= 1
    with pytest.raises(ccxt.NetworkError):
        await asyncio.wait_for(pending, 5)
    again = await asyncio.wait_for(okx.watch_ticker("BTC/USDT"), 5)
    assert again["bid"] == 59994.0


async def test_ended_user_stream_drops_private_socket(sim: Sim) -> None:
    okx = sim.exchange()
    await asyncio.wait_for(okx.watch_balance(), 5)
    pending = asyncio.create_task(okx.watch_balance())
    await asyncio.sleep(0.01)
    assert await sim.frontends["okx"].end_user_streams() == 1
    with pytest.raises(ccxt.NetworkError):
        await asyncio.wait_for(pending, 5)


async def test_ws_login_with_a_wrong_secret_is_an_authentication_error(sim: Sim) -> None:
    okx = sim.exchange(secret="not-the-secret")
    with pytest.raises(ccxt.AuthenticationError):
        await asyncio.wait_for(okx.watch_balance(), 5)


async def test_quiet_market_ticker_is_resent_and_silence_stops_it(sim: Sim) -> None:
    okx = sim.exchange()
    first = await asyncio.wait_for(okx.watch_ticker("BTC/USDT"), 5)
    again = await asyncio.wait_for(okx.watch_ticker("BTC/USDT"), 3)  # no price change: heartbeat
    assert again["bid"] == first["bid"]
    sim.frontends["okx"].context.silent.add("market")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(okx.watch_ticker("BTC/USDT"), 1.3)


async def test_books_feed_resumes_after_silence_without_a_sequence_gap(sim: Sim) -> None:
    okx = sim.exchange()
    await asyncio.wait_for(okx.watch_order_book("BTC/USDT"), 5)
    silent = sim.frontends["okx"].context.silent
    silent.add("market")
    sim.price("BTC/USDT", "60100")  # not sent
    await asyncio.sleep(0.1)
    silent.discard("market")
    sim.price("BTC/USDT", "60200")
    book = await eventually(
        lambda: okx.watch_order_book("BTC/USDT"), lambda b: b["bids"][0][0] > 60150
    )
    assert book["bids"][0][0] == 60193.9
    assert [level[0] for level in book["bids"]] == sorted(
        (level[0] for level in book["bids"]), reverse=True
    )
    assert len(book["bids"]) == 5  # levels of 60000 and 60100 were all removed
