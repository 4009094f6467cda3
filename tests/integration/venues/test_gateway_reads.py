"""Reads through the real ccxt gateway against the simulator, on both protocols."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.integration.venues.conftest import GatewayFactory

from rebalancer.exchange_sim.server import SimulatorServer
from rebalancer.venues.ccxt.gateway import CcxtGateway

# each venue trades under its own exchange's rules: Binance's filters, OKX's lotSz/tickSz/minSz
VENUE_RULES = {
    "binance": (Decimal("0.00001"), Decimal("0.00001"), Decimal("0.01"), Decimal("5")),
    "okx": (Decimal("0.00000001"), Decimal("0.00001"), Decimal("0.1"), Decimal("0")),
}


async def test_markets_carry_the_venue_rules(gateway: CcxtGateway, venue: str) -> None:
    markets = await gateway.load_markets()
    btc = markets["BTC/USDT"]
    rules = (btc.amount_step, btc.min_amount, btc.price_tick, btc.min_notional)
    assert rules == VENUE_RULES[venue]
    assert btc.taker_fee > 0
    assert set(markets) >= {"BTC/USDT", "ETH/USDT"}


async def test_balances_are_the_account_holdings(gateway: CcxtGateway) -> None:
    balances = await gateway.fetch_balances()
    assert balances["USDT"].free == Decimal("500000")
    assert balances["BTC"].total == Decimal("10")


async def test_rest_quotes_have_bid_below_ask_around_the_price(gateway: CcxtGateway) -> None:
    quotes = await gateway.fetch_quotes(["BTC/USDT", "ETH/USDT"])
    assert quotes["BTC/USDT"].bid < Decimal(60000) < quotes["BTC/USDT"].ask
    assert quotes["ETH/USDT"].bid < Decimal(3000) < quotes["ETH/USDT"].ask


async def test_streamed_quotes_follow_a_price_move(
    gateway: CcxtGateway, sim: SimulatorServer, venue: str
) -> None:
    await asyncio.wait_for(gateway.watch_quotes(["BTC/USDT"]), 5)  # subscribed
    sim.control.set_price("BTC/USDT", Decimal(61000), venue)
    for _ in range(50):
        quotes = await asyncio.wait_for(gateway.watch_quotes(["BTC/USDT"]), 5)
        if "BTC/USDT" in quotes and quotes["BTC/USDT"].bid > Decimal(60500):
            break
    else:
        raise AssertionError("the stream never showed the new price")
    assert quotes["BTC/USDT"].bid < Decimal(61000) < quotes["BTC/USDT"].ask


async def test_deposit_address_for_an_asset_and_network(gateway: CcxtGateway) -> None:
    address = await gateway.fetch_deposit_address("USDT", "TRC20")
    assert address.address
    assert (address.asset, address.network) == ("USDT", "TRC20")


async def test_binance_quotes_stream_from_book_ticker_not_mini_ticker(
    make_gateway: GatewayFactory,
) -> None:
    # ccxt.md §9.4: watch_ticker's miniTicker has no bid/ask; we watch bookTicker
    gateway = await make_gateway("binance")
    quotes = await asyncio.wait_for(gateway.watch_quotes(["BTC/USDT"]), 5)
    assert quotes["BTC/USDT"].bid < quotes["BTC/USDT"].ask
    subscribed = [
        hash_ for client in gateway.exchange.clients.values() for hash_ in client.subscriptions
    ]
    assert any("bookticker" in str(h).lower() for h in subscribed), subscribed
    assert not any("miniticker" in str(h).lower() for h in subscribed)
