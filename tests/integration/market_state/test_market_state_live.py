"""Market state over real ccxt gateways and the simulator: streams, drops, silence, staleness."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tests.integration.market_state.conftest import FAST, SYMBOLS, until
from tests.integration.venues.conftest import VENUES, GatewayFactory

from rebalancer.core.staleness import FeedMode
from rebalancer.domain.errors import VenueUnavailable
from rebalancer.domain.market import OrderSide
from rebalancer.domain.orders import OrderType, SubmitOrder
from rebalancer.domain.transfers import WithdrawRequest
from rebalancer.exchange_sim.server import SimulatorServer
from rebalancer.services.market_state import MarketState

AMOUNT_STEPS = {"binance": Decimal("0.00001"), "okx": Decimal("0.00000001")}


async def test_snapshot_of_both_venues_holds_balances_rules_and_quotes(
    market_state: MarketState,
) -> None:
    snapshot = market_state.snapshot()
    assert set(snapshot.venues) == set(VENUES)
    for venue in VENUES:
        state = snapshot.venue(venue)
        assert state.balances["USDT"] == Decimal("500000")
        assert set(state.markets) == set(SYMBOLS)
        btc = state.markets["BTC/USDT"]
        assert btc.quote.bid < Decimal(60000) < btc.quote.ask
        # each venue's own rules: Binance's LOT_SIZE step, OKX's lotSz
        assert btc.rules.amount_step == AMOUNT_STEPS[venue]


@pytest.mark.parametrize("venue", VENUES)
async def test_streamed_prices_reach_the_state(
    market_state: MarketState, sim: SimulatorServer, venue: str
) -> None:
    sim.control.set_price("ETH/USDT", Decimal(3300), venue)
    state = market_state.venue(venue)
    await until(lambda: state.quotes["ETH/USDT"].bid > Decimal(3200), "new ETH price")
    assert state.streams["quotes"].messages > 0


@pytest.mark.parametrize("venue", VENUES)
async def test_a_dropped_websocket_reconnects_and_data_flows_again(
    market_state: MarketState, sim: SimulatorServer, venue: str
) -> None:
    state = market_state.venue(venue)
    await until(lambda: state.streams["quotes"].messages > 0, "first quote message")
    closed = await sim.control.close_websockets(venue)
    assert closed > 0
    await until(lambda: state.streams["quotes"].drops > 0, "drop noticed")
    await until(lambda: state.streams["quotes"].reconnects > 0, "reconnected")
    sim.control.set_price("BTC/USDT", Decimal(64000), venue)
    await until(lambda: state.quotes["BTC/USDT"].bid > Decimal(63000), "prices after reconnect")
    await until(lambda: state.streams["quotes"].connected, "stream healthy again")
    assert market_state.readiness(venue).ready


@pytest.mark.parametrize("venue", VENUES)
async def test_a_silent_market_stream_falls_back_to_rest_until_it_speaks(
    market_state: MarketState, sim: SimulatorServer, venue: str
) -> None:
    state = market_state.venue(venue)
    await until(lambda: state.streams["quotes"].messages > 0, "the stream spoke")
    sim.control.silence(venue, ["market"])
    await until(lambda: "quotes" in market_state.quiet_streams(venue), "silence noticed")
    assert market_state.mode(venue) is FeedMode.POLLING
    streamed = state.streams["quotes"].messages
    sim.control.set_price("BTC/USDT", Decimal(58000), venue)  # the stream will not say it
    await until(lambda: state.quotes["BTC/USDT"].ask < Decimal(59000), "price polled over REST")
    assert state.streams["quotes"].messages == streamed  # so it came over REST
    assert state.rest_polls > 0
    assert market_state.readiness(venue).ready
    sim.control.silence(venue, ["market"], silent=False)
    await until(lambda: "quotes" not in market_state.quiet_streams(venue), "stream speaks again")


@pytest.mark.parametrize("venue", VENUES)
async def test_an_ended_user_stream_recovers_and_balances_follow_trades(
    market_state: MarketState, sim: SimulatorServer, make_gateway: GatewayFactory, venue: str
) -> None:
    state = market_state.venue(venue)
    await sim.control.end_user_streams(venue)
    trader = await make_gateway(venue)
    await trader.create_order(
        SubmitOrder("rbms1", "BTC/USDT", OrderSide.SELL, OrderType.MARKET, Decimal(1))
    )
    await until(lambda: state.balances["BTC"].total == Decimal(9), "balance after the trade")
    assert market_state.snapshot([venue]).venue(venue).balances["BTC"] == Decimal(9)


async def test_a_withdrawal_shows_up_in_the_destination_balances(
    market_state: MarketState, sim: SimulatorServer, make_gateway: GatewayFactory
) -> None:
    sender = await make_gateway("binance")
    receiver = await make_gateway("okx")
    address = await receiver.fetch_deposit_address("USDT", "TRC20")
    sent = await sender.withdraw(WithdrawRequest("USDT", "TRC20", Decimal(100), address.address))
    sim.control.complete_withdrawal(sent.id)
    okx = market_state.venue("okx")
    await until(lambda: okx.balances["USDT"].free == Decimal("500099"), "deposit arrived")
    await until(
        lambda: market_state.venue("binance").balances["USDT"].free == Decimal("499900"),
        "withdrawal left",
    )


class SteppedClock:
    """A UTC clock the test moves by hand."""

    def __init__(self) -> None:
        self.current = datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def test_a_venue_whose_data_aged_past_max_age_is_not_ready(
    make_gateway: GatewayFactory,
) -> None:
    clock = SteppedClock()
    gateway = await make_gateway("binance", load=False)
    state = MarketState(
        {"binance": gateway}, {"binance": SYMBOLS}, clock, FAST, rng=random.Random(1)
    )
    await state.start()
    assert state.readiness("binance").ready
    clock.current += timedelta(seconds=FAST.max_age_s + 1)
    assert not state.readiness("binance").ready
    with pytest.raises(VenueUnavailable, match="older than 30s"):
        state.snapshot()
