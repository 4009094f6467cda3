"""Markets, balances and tickers through unmodified ccxt."""

from __future__ import annotations

from typing import Any


async def test_load_markets_gives_the_real_binance_rules(exchange: Any) -> None:
    market = exchange.market("BTC/USDT")
    assert market["id"] == "BTCUSDT"
    assert market["precision"]["amount"] == 0.00001
    assert market["precision"]["price"] == 0.01
    assert market["limits"]["cost"]["min"] == 5
    assert set(exchange.markets) == {"BTC/USDT", "ETH/USDT"}
    assert "TRC20" in exchange.currencies["USDT"]["networks"]


async def test_fetch_balance_reports_free_and_used(exchange: Any) -> None:
    balance = await exchange.fetch_balance()
    assert balance["USDT"]["free"] == 100000
    assert balance["BTC"]["total"] == 2
