"""A real engine with two venues, in-process gateways over it and a real SQLite Store.

Every test gets its own engine (prices pinned, accounts funded by the test), its own database
file and fast execution settings (polls in milliseconds) so suites stay quick.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rebalancer.core.breaker import BreakerLimits
from rebalancer.domain.market import Market, OrderSide
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer, RunType
from rebalancer.domain.runs import Trigger
from rebalancer.domain.snapshot import Route
from rebalancer.exchange_sim.engine import Account, BookShape, Engine, ManualClock, Network
from rebalancer.persistence import SqlStore, open_store, sqlite_url
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.execution_settings import (
    ExecutionSettings,
    OrderSettings,
    TransferSettings,
)
from rebalancer.services.executor import Executor, VenueBook
from rebalancer.services.order_placement import RunBudget
from rebalancer.venues.simulated.gateway import SimulatedGateway

VENUES = ("binance", "okx")
USDT_ROUTE_FEE = Decimal(1)


def market(base: str, step: str) -> Market:
    return Market(
        symbol=f"{base}/USDT",
        base=base,
        quote="USDT",
        amount_step=Decimal(step),
        min_amount=Decimal(step),
        min_notional=Decimal(5),
        price_tick=Decimal("0.01"),
        taker_fee=Decimal("0.001"),
    )


MARKETS = (market("BTC", "0.0001"), market("ETH", "0.001"))


class WallClock:
    """The services' clock: real UTC time (deadlines in tests are fractions of a second)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class HurriedClock(WallClock):
    """Real time, except that sleeps pass at once and move "now" on by what was slept.

    For waits whose length is the point, not their passing: a venue's request window that a
    lookup must outlast before "not found" is final, when nothing is held at the venue.
    """

    def __init__(self) -> None:
        self.skipped = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.skipped

    async def sleep(self, seconds: float) -> None:
        self.skipped += timedelta(seconds=max(seconds, 0.0))
        await asyncio.sleep(0)


@dataclass
class World:
    """Everything one test drives: engine, gateways, store, breaker and executor."""

    engine: Engine
    gateways: dict[str, SimulatedGateway]
    store: SqlStore
    clock: WallClock
    breaker: BreakerKeeper
    settings: ExecutionSettings

    def executor(self) -> Executor:
        return Executor(self.store, self.clock, self.breaker, self.settings)

    def venues(self, unreconciled: frozenset[str] = frozenset()) -> VenueBook:
        return VenueBook(
            gateways=dict(self.gateways),
            markets={v: {m.symbol: m for m in MARKETS} for v in VENUES},
            routes=tuple(
                Route("USDT", "TRC20", a, b, USDT_ROUTE_FEE, Decimal(10), 0)
                for a in VENUES
                for b in VENUES
                if a != b
            ),
            unreconciled=unreconciled,
        )

    def fund(self, venue: str, asset: str, amount: str) -> None:
        self.engine.venue(venue).account(f"key-{venue}").credit(asset, Decimal(amount))

    def balance(self, venue: str, asset: str) -> Decimal:
        return self.engine.venue(venue).account(f"key-{venue}").balance(asset).free

    async def new_run(self) -> str:
        run = await self.store.create_run("core", RunType.FULL, Trigger.MANUAL)
        return run.id

    async def execute(self, plan: Plan, run_id: str | None = None, **kwargs: object):
        run = run_id or await self.new_run()
        report = await self.executor().execute(run, 1, plan, self.venues(**kwargs), RunBudget())  # type: ignore[arg-type]
        return run, report


def fast_settings(**orders: object) -> ExecutionSettings:
    return ExecutionSettings(
        orders=OrderSettings(
            **{  # type: ignore[arg-type]
                "poll_interval_s": 0.01,
                "limit_timeout_s": 0.1,
                "ambiguous_grace_s": 0.0,
                "lookup_attempts": 4,
                "lookup_max_wait_s": 0.01,
                **orders,
            }
        ),
        transfers=TransferSettings(arrival_timeout_s=5.0, poll_interval_s=0.01),
    )


def make_engine(shape: BookShape | None = None, delay_s: float = 0.0) -> Engine:
    engine = Engine(ManualClock())
    for name in VENUES:
        engine.add_venue(name, MARKETS, shape or BookShape())
        engine.add_network(
            name,
            Network("USDT", "TRC20", fee=USDT_ROUTE_FEE, min_amount=Decimal(10), delay_s=delay_s),
        )
        engine.add_account(name, Account(f"key-{name}", "secret"))
        engine.set_price(name, "BTC/USDT", Decimal(60000))
        engine.set_price(name, "ETH/USDT", Decimal(3000))
    return engine


async def make_world(
    tmp_path: Path, engine: Engine, settings: ExecutionSettings | None = None
) -> World:
    store = await open_store(sqlite_url(tmp_path))
    clock = WallClock()
    breaker = BreakerKeeper(store, clock, BreakerLimits(max_consecutive_failures=3))
    gateways = {name: SimulatedGateway(engine, name, f"key-{name}") for name in VENUES}
    return World(engine, gateways, store, clock, breaker, settings or fast_settings())


def order(
    node_id: str, venue: str, side: OrderSide, amount: str, *deps: str, symbol: str = "BTC/USDT"
) -> PlannedOrder:
    price = Decimal(60000) if symbol == "BTC/USDT" else Decimal(3000)
    return PlannedOrder(node_id, venue, symbol, side, Decimal(amount), price, deps)


def transfer(
    node_id: str, source: str, destination: str, amount: str, *deps: str
) -> PlannedTransfer:
    return PlannedTransfer(node_id, "USDT", "TRC20", source, destination, Decimal(amount), deps)


def plan_of(*nodes: PlannedOrder | PlannedTransfer) -> Plan:
    return Plan(
        portfolio="core",
        run_type=RunType.FULL,
        orders=tuple(n for n in nodes if isinstance(n, PlannedOrder)),
        transfers=tuple(n for n in nodes if isinstance(n, PlannedTransfer)),
        estimated_cost=Decimal(0),
        weights_before={},
        weights_after={},
    )
