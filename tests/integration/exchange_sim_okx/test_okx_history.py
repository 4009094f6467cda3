"""OKX market history, bills, account config and status through unmodified ccxt, and the trade
and candle channels."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.integration.exchange_sim_okx.conftest import Sim
from tests.integration.exchange_sim_okx.waiting import eventually


async def test_candles_follow_the_venues_prices_and_fills(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    await okx.create_order("BTC/USDT", "market", "buy", 0.1)
    sim.clock.advance(60)
    sim.price("BTC/USDT", "61000")
    bars = await okx.fetch_ohlcv("BTC/USDT", "1m")
    assert bars[-1][4] == 61000.0
    assert max(bar[2] for bar in bars) == 61000.0
    assert sum(bar[5] for bar in bars) == 0.1  # volume in the base asset, as ccxt reads it
    older = await okx.fetch_ohlcv("BTC/USDT", "1m", params={"type": "HistoryCandles"})
    assert older == bars


async def test_candles_raw_reply_is_newest_first_with_confirm_flags(sim: Sim) -> None:
    okx = sim.exchange()
    sim.clock.advance(120)
    sim.price("BTC/USDT", "60100")
    rows = (await okx.publicGetMarketCandles({"instId": "BTC-USDT", "bar": "1m"}))["data"]
    assert [len(row) for row in rows] == [9] * len(rows)
    assert int(rows[0][0]) > int(rows[-1][0])  # newest first
    assert [row[8] for row in rows] == ["0"] + ["1"] * (len(rows) - 1)  # only the newest runs


async def test_daily_bars_open_at_hong_kong_midnight_unless_utc_is_asked(sim: Sim) -> None:
    okx = sim.exchange()
    for bar, hour in (("1D", 16), ("1Dutc", 0)):
        row = (await okx.publicGetMarketCandles({"instId": "BTC-USDT", "bar": bar}))["data"][0]
        opened = datetime.fromtimestamp(int(row[0]) / 1000, UTC)
        assert (opened.hour, opened.minute) == (hour, 0)


async def test_public_trades_carry_the_takers_side(sim: Sim) -> None:
    okx = sim.exchange()
    await okx.load_markets()
    await okx.create_order("BTC/USDT", "market", "sell", 0.1)
    await okx.create_order("BTC/USDT", "market", "buy", 0.2)
    trades = await okx.fetch_trades("BTC/USDT")
    assert [(t["side"], t["amount"]) for t in trades] == [("sell", 0.1), ("buy", 0.2)]
    history = await okx.fetch_trades("BTC/USDT", params={"method": "publicGetMarketHistoryTrades"})
    assert [t["id"] for t in history] == [t["id"] for t in trades]


async def test_bills_list_each_fill_and_transfer_with_the_balance_after(sim: Sim) -> None:
    okx, okx2 = sim.exchange(), sim.exchange("okx2")
    await okx.load_markets()
    placed = await okx.create_order("BTC/USDT", "market", "buy", 0.1)
    address = (await okx2.fetch_deposit_address("USDT", {"network": "TRC20"}))["address"]
    await okx.withdraw("USDT", 100, address, params={"network": "TRC20"})
    bills = (await okx.privateGetAccountBills())["data"]
    withdrawal, received, paid = bills  # newest first
    assert (paid["ccy"], paid["type"], paid["subType"], paid["ordId"]) == (
        "USDT",
        "2",
        "1",
        placed["id"],
    )
    assert (received["ccy"], received["sz"], float(received["fee"])) == ("BTC", "0.1", -0.0001)
    assert float(received["balChg"]) == 0.0999
    assert float(received["bal"]) == 2.0999
    assert (withdrawal["type"], withdrawal["subType"], withdrawal["balChg"]) == ("1", "12", "-100")
    assert float(withdrawal["bal"]) == float(paid["bal"]) - 100
    transfers = (await okx.privateGetAccountBillsArchive({"type": "1"}))["data"]
    assert [b["billId"] for b in transfers] == [withdrawal["billId"]]
    entries = await okx.fetch_ledger("BTC")
    assert [(e["type"], e["direction"], e["after"]) for e in entries] == [("trade", "in", 2.0999)]


async def test_account_config_and_status(sim: Sim) -> None:
    okx = sim.exchange()
    [account] = await okx.fetch_accounts()
    assert account["id"].isdigit()
    assert account["type"] == "1"  # OKX's simple (spot) account mode
    assert (await okx.fetch_status())["status"] == "ok"


async def test_trades_and_candles_channels(sim: Sim) -> None:
    okx, trader = sim.exchange(), sim.exchange()
    await trader.load_markets()
    trades_watch = asyncio.ensure_future(okx.watch_trades("ETH/USDT"))
    first_bar = await asyncio.wait_for(okx.watch_ohlcv("ETH/USDT", "1m"), 5)
    assert first_bar[-1][4] == 3000.0
    await trader.create_order("ETH/USDT", "market", "buy", 1)
    trades = await asyncio.wait_for(trades_watch, 5)
    assert [(t["side"], t["amount"]) for t in trades] == [("buy", 1.0)]
    bars = await eventually(lambda: okx.watch_ohlcv("ETH/USDT", "1m"), lambda b: b[-1][5] > 0)
    assert bars[-1][5] == 1.0
