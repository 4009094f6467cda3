"""Simulated venues for bar data: books of unlimited depth, a spread per bar, listings and
delistings, and snapshots read straight from the engine."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.domain.market import Market, OrderSide
from rebalancer.domain.orders import OrderType, SubmitOrder
from rebalancer.domain.snapshot import Route
from rebalancer.domain.transfers import WithdrawRequest
from rebalancer.exchange_sim.engine import ManualClock
from rebalancer.venues.simulated.snapshots import EngineSnapshots
from rebalancer.venues.simulated.world import ACCOUNT, SimulatedVenues, VenueSetup

WHEN = datetime(2024, 3, 1, tzinfo=UTC)


def market(base: str, step: str = "0.0001", fee: str = "0.001") -> Market:
    return Market(
        f"{base}/USDT",
        base,
        "USDT",
        Decimal(step),
        Decimal(step),
        Decimal(5),
        Decimal(0),
        Decimal(fee),
        Decimal(fee),
    )


def world(clock: ManualClock, *, unlisted: frozenset[str] = frozenset()) -> SimulatedVenues:
    routes = [Route("USDT", "TRC20", "a", "b", Decimal(1), Decimal(10), 300)]
    setups = [
        VenueSetup("a", (market("BTC"), market("ETH")), {"USDT": Decimal(100000)}, unlisted),
        VenueSetup("b", (market("BTC", fee="0.0005"),), {}),
    ]
    venues = SimulatedVenues(clock, setups, routes)
    venues.set_mid("a", "BTC/USDT", Decimal(50000), Decimal(10))
    venues.set_mid("b", "BTC/USDT", Decimal(50000), Decimal(10))
    return venues


async def test_any_size_fills_at_the_touch_with_the_bar_spread_and_fee() -> None:
    venues = world(ManualClock())
    report = await venues.gateways["a"].create_order(
        SubmitOrder("c1", "BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal("1.5"))
    )
    assert report.filled == Decimal("1.5")  # far more than any synthetic book level holds
    assert report.average_price == Decimal(50025)  # mid + half of 10 bps
    assert report.fee == Decimal("0.0015")  # 0.1 % of what was bought, in BTC
    assert venues.balances("a")["BTC"] == Decimal("1.4985")


async def test_a_spread_set_with_a_price_lasts_until_the_next_move() -> None:
    venues = world(ManualClock())
    quotes = await venues.gateways["a"].fetch_quotes(["BTC/USDT"])
    assert (quotes["BTC/USDT"].bid, quotes["BTC/USDT"].ask) == (Decimal(49975), Decimal(50025))
    venues.set_mid("a", "BTC/USDT", Decimal(40000), Decimal(2))
    quotes = await venues.gateways["a"].fetch_quotes(["BTC/USDT"])
    assert (quotes["BTC/USDT"].bid, quotes["BTC/USDT"].ask) == (Decimal(39996), Decimal(40004))


async def test_a_late_listing_trades_only_once_listed() -> None:
    venues = world(ManualClock(), unlisted=frozenset({"ETH/USDT"}))
    assert "ETH/USDT" not in await venues.gateways["a"].load_markets()
    venues.list_market("a", "ETH/USDT")
    venues.set_mid("a", "ETH/USDT", Decimal(3000))
    assert "ETH/USDT" in await venues.gateways["a"].load_markets()


async def test_a_delisting_sells_what_it_can_and_keeps_the_last_price() -> None:
    venues = world(ManualClock())
    await venues.gateways["a"].create_order(
        SubmitOrder("c1", "BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal("0.0002"))
    )
    held = venues.balances("a")["BTC"]  # 0.0002 less the fee in BTC: off the lot step
    sold = venues.sell_everything("a", "BTC/USDT", "delist-1")
    last = venues.delist("a", "BTC/USDT")

    assert sold == Decimal("0.0001")
    assert venues.balances("a")["BTC"] == held - sold  # the dust stays
    assert last == Decimal(50000)
    assert "BTC/USDT" not in await venues.gateways["a"].load_markets()


def test_a_deposit_from_outside_is_credited() -> None:
    venues = world(ManualClock())
    venues.credit("b", "USDT", Decimal(250))
    assert venues.balances("b") == {"USDT": Decimal(250)}


def test_routes_from_one_venue_must_agree_on_their_terms() -> None:
    routes = [
        Route("USDT", "TRC20", "a", "b", Decimal(1), Decimal(10), 300),
        Route("USDT", "TRC20", "a", "c", Decimal(2), Decimal(10), 300),
    ]
    setups = [VenueSetup(name, (market("BTC"),)) for name in "abc"]
    with pytest.raises(ValueError, match="one set of terms"):
        SimulatedVenues(ManualClock(), setups, routes)


async def test_snapshots_read_balances_quotes_transit_and_delisted_prices() -> None:
    clock = ManualClock(WHEN.timestamp())
    venues = world(clock)
    snapshots = EngineSnapshots(
        venues.engine,
        ACCOUNT,
        venues=["a", "b"],
        symbols=["BTC/USDT", "ETH/USDT"],
        routes=[Route("USDT", "TRC20", "a", "b", Decimal(1), Decimal(10), 300)],
        now=lambda: datetime.fromtimestamp(clock(), tz=UTC),
    )
    gateway = venues.gateways["a"]
    await gateway.create_order(
        SubmitOrder("c1", "BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal("0.1"))
    )
    address = await venues.gateways["b"].fetch_deposit_address("USDT", "TRC20")
    await gateway.withdraw(
        WithdrawRequest("USDT", "TRC20", Decimal(1000), address.address, client_id="w1")
    )

    moving = snapshots.snapshot()
    assert moving.taken_at == WHEN
    assert set(moving.venue("a").markets) == {"BTC/USDT"}  # ETH has no price yet
    assert moving.venue("a").balances["BTC"] == Decimal("0.0999")
    assert [(t.asset, t.source, t.destination, t.amount) for t in moving.in_transit] == [
        ("USDT", "a", "b", Decimal(999))
    ]
    clock.advance(300)
    arrived = snapshots.snapshot()
    assert arrived.in_transit == ()
    assert arrived.venue("b").balances == {"USDT": Decimal(999)}

    venues.delist("a", "BTC/USDT")
    venues.delist("b", "BTC/USDT")
    gone = snapshots.snapshot()
    assert gone.reference_prices == {"BTC": Decimal(50000)}
    assert gone.venue("a").markets == {}
