"""Unmodified ccxt.okx trading against the simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest
from tests.integration.exchange_sim_okx.conftest import Sim


async def test_load_markets_gives_spot_markets_with_exchange_rules(sim: Sim) -> None:
    okx = sim.exchange()
    markets = await okx.load_markets()
    assert sorted(markets) == ["BTC/USDT", "ETH/USDT"]
    btc = markets["BTC/USDT"]
    assert (btc["id"], btc["spot"], btc["active"]) == ("BTC-USDT", True, True)
    assert btc["precision"] == {"amount": 0.00000001, "price": 0.1}  # OKX lotSz, tickSz
    assert btc["limits"]["amount"]["min"] == 0.00001
    usdt = okx.currencies["USDT"]
    assert usdt["networks"]["TRC20"]["fee"] == 1.0
    assert usdt["networks"]["TRC20"]["limits"]["withdraw"]["min"] == 10.0
    assert okx.currencies["BTC"]["networks"]["SIM"]["withdraw"] is False


async def test_ticker_and_order_book_show_the_engine_book(sim: Sim) -> None:
    okx = sim.exchange()
    ticker = await okx.fetch_ticker("BTC/USDT")
    assert ticker["bid"] == 59994.0
    assert ticker["ask"] == 60006.0
    assert ticker["last"] == 60000.0
    book = await okx.fetch_order_book("BTC/USDT", limit=3)
    assert [level[0] for level in book["asks"]] == [60006.0, 60012.1, 60018.1]  # on the 0.1 tick
    assert book["bids"][0][:2] == [59994.0, 1.00010001]  # 60,000 USDT on the 1e-8 lot


async def test_balance_shows_free_and_used_per_asset(sim: Sim) -> None:
    okx = sim.exchange()
    balance = await okx.fetch_balance()
    assert balance["USDT"] == {"free": 100000.0, "used": 0.0, "total": 100000.0}
    assert balance["BTC"]["free"] == 2.0


async def test_market_buy_is_acknowledged_then_found_filled_by_client_id(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    ack = await okx.create_order(
        "BTC/USDT", "market", "buy", 0.5, params={"clientOrderId": "rb1a1o10"}
    )
    assert ack["status"] is None  # OKX answers with an acknowledgement only
    assert ack["clientOrderId"] == "rb1a1o10"
    order = await okx.fetch_order(None, "BTC/USDT", {"clientOrderId": "rb1a1o10"})
    assert order["id"] == ack["id"]
    assert (order["status"], order["filled"], order["average"]) == ("closed", 0.5, 60006.0)
    assert order["fee"] == {"cost": 0.0005, "currency": "BTC"}
    balance = await okx.fetch_balance()
    assert Decimal(str(balance["BTC"]["free"])) == Decimal("2.4995")
    assert Decimal(str(balance["USDT"]["free"])) == Decimal("100000") - Decimal("30003")


async def test_limit_order_rests_locks_cash_and_cancels(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    placed = await okx.create_order("ETH/USDT", "limit", "buy", 2, 2500, {"clientOrderId": "lim1"})
    open_orders = await okx.fetch_open_orders("ETH/USDT")
    assert [(o["id"], o["status"], o["price"], o["amount"]) for o in open_orders] == [
        (placed["id"], "open", 2500.0, 2.0)
    ]
    assert (await okx.fetch_balance())["USDT"]["used"] == 5000.0
    canceled = await okx.cancel_order(placed["id"], "ETH/USDT")
    assert canceled["id"] == placed["id"]
    assert await okx.fetch_open_orders("ETH/USDT") == []
    assert (await okx.fetch_order(placed["id"], "ETH/USDT"))["status"] == "canceled"
    assert (await okx.fetch_balance())["USDT"] == {"free": 100000.0, "used": 0.0, "total": 100000.0}


async def test_limit_bigger_than_the_book_fills_partly_and_rests_the_rest(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    # The best ask (60006) holds 60,000 USDT = 0.9999 BTC; the rest of 1.5 BTC rests.
    placed = await okx.create_order("BTC/USDT", "limit", "buy", 1.5, 60006)
    order = await okx.fetch_order(placed["id"], "BTC/USDT")
    assert (order["status"], order["filled"], order["remaining"]) == ("open", 0.9999, 0.5001)
    assert [o["id"] for o in await okx.fetch_open_orders("BTC/USDT")] == [placed["id"]]
    sim.price("BTC/USDT", "59000")  # the market falls through the limit: the rest fills
    order = await okx.fetch_order(placed["id"], "BTC/USDT")
    assert (order["status"], order["filled"]) == ("closed", 1.5)


async def test_market_order_bigger_than_the_book_fills_partly_and_is_cancelled(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    sim.engine.venue("okx").accounts["okx-key"].credit("BTC", Decimal("10"))
    big = await okx.create_order("BTC/USDT", "market", "sell", 6)
    order = await okx.fetch_order(big["id"], "BTC/USDT")
    assert order["status"] == "canceled"
    assert 4.9 < order["filled"] < 5.1


async def test_order_errors_map_to_ccxt_exceptions(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    with pytest.raises(ccxt.InsufficientFunds):
        await okx.create_order("BTC/USDT", "market", "buy", 5)
    await okx.create_order("ETH/USDT", "limit", "buy", 1, 2000, {"clientOrderId": "dup1"})
    with pytest.raises(ccxt.InvalidOrder, match="51016"):
        await okx.create_order("ETH/USDT", "limit", "buy", 1, 2000, {"clientOrderId": "dup1"})
    with pytest.raises(ccxt.OrderNotFound):
        await okx.fetch_order("999", "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound):
        await okx.cancel_order("999", "BTC/USDT")
    with pytest.raises(ccxt.InvalidOrder, match="51020"):  # below ETH-USDT's minSz 0.0001
        await okx.create_order("ETH/USDT", "limit", "buy", 0.00005, 2000)


async def test_okx_accepts_any_order_at_or_above_min_size_whatever_its_notional(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    assert okx.market("BTC/USDT")["limits"]["cost"]["min"] is None  # OKX publishes none
    tiny = await okx.create_order("BTC/USDT", "market", "buy", 0.00001)  # 0.6 USDT, minSz
    order = await okx.fetch_order(tiny["id"], "BTC/USDT")
    assert (order["status"], order["filled"]) == ("closed", 0.00001)
    resting = await okx.create_order("ETH/USDT", "limit", "buy", 0.0001, 2000)  # 0.2 USDT
    assert (await okx.fetch_order(resting["id"], "ETH/USDT"))["status"] == "open"


async def test_fills_and_closed_orders_are_listed(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    placed = await okx.create_order("ETH/USDT", "market", "buy", 1, params={"clientOrderId": "f1"})
    trades = await okx.fetch_my_trades("ETH/USDT")
    assert [(t["order"], t["side"], t["amount"]) for t in trades] == [(placed["id"], "buy", 1.0)]
    closed = await okx.fetch_closed_orders("ETH/USDT")
    assert [o["clientOrderId"] for o in closed] == ["f1"]


async def test_batch_with_one_bad_order_places_the_good_one(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    good, bad = await okx.create_orders(
        [
            {"symbol": "ETH/USDT", "type": "limit", "side": "buy", "amount": 1, "price": 2000},
            {"symbol": "ETH/USDT", "type": "limit", "side": "buy", "amount": 1000, "price": 2000},
        ]
    )
    assert good["id"] is not None
    assert (bad["id"], bad["status"], bad["info"]["sCode"]) == (None, "rejected", "51008")
    assert [o["id"] for o in await okx.fetch_open_orders("ETH/USDT")] == [good["id"]]


async def test_funding_transfer_is_accepted_and_funding_view_shows_the_same_money(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    moved = await okx.transfer("USDT", 10, "trading", "funding")
    assert (moved["amount"], moved["fromAccount"], moved["toAccount"]) == (
        10.0,
        "trading",
        "funding",
    )
    funding = await okx.fetch_balance({"type": "funding"})
    assert funding["USDT"] == {"free": 100000.0, "used": 0.0, "total": 100000.0}
    with pytest.raises(ccxt.InsufficientFunds):
        await okx.transfer("USDT", 1_000_000, "trading", "funding")


async def test_batch_cancel_cancels_each_open_order(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    first = await okx.create_order("ETH/USDT", "limit", "buy", 1, 2000)
    second = await okx.create_order("ETH/USDT", "limit", "buy", 1, 2100)
    await okx.cancel_orders([first["id"], second["id"]], "ETH/USDT")
    assert await okx.fetch_open_orders("ETH/USDT") == []
    with pytest.raises(ccxt.OrderNotFound):  # already cancelled: OKX 51402
        await okx.cancel_order(first["id"], "ETH/USDT")


async def test_market_buy_sized_by_cost_spends_the_quote_amount(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    placed = await okx.create_market_buy_order_with_cost("BTC/USDT", 600)
    order = await okx.fetch_order(placed["id"], "BTC/USDT")
    assert order["status"] == "closed"
    assert order["cost"] == 600.0  # OKX reports sz in the quote asset for tgtCcy=quote_ccy
    assert order["filled"] == pytest.approx(600 / 60006, abs=0.00001)
    assert order["info"]["tgtCcy"] == "quote_ccy"
