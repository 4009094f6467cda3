"""One policy replayed over history through the daemon's own loop.

The world: simulated venues over the exchange engine (``venues.simulated``), a simulated
clock, an in-memory journal, the daemon's breaker, recovery, executor and run cycle, wired as
the composition root wires them for the live daemon. At each bar:

1. the clock moves to the bar's close; the price feed sets every market's mid and spread;
2. markets list and delist as the history says: a delisted coin is sold at its last price and
   its target weight goes where ``on_delisting`` says; a late listing gets its target back;
3. ``DaemonLoop.check`` runs, exactly as the scheduler runs it: triggers, cooldown, breaker,
   planner, pre-trade gate, executor and rounds are the daemon's own code.

The first bar buys the portfolio: one run to target, asked for by hand (``manual``). If a run's
waits carry the clock past later bars, those bars' checks are skipped as a busy daemon's are.
Everything the report needs is read back from the engine (fills, transfers, balances) and the
journal (runs) when the replay ends.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal

from rebalancer.backtest.clock import SimulatedClock
from rebalancer.backtest.feed import PriceFeed
from rebalancer.backtest.listings import policy_for
from rebalancer.backtest.memory_store import MemoryStore
from rebalancer.backtest.prices import PriceTable
from rebalancer.backtest.results import Fill, MarketEvent, ReplayResult, RunSummary, TransferFee
from rebalancer.backtest.sell_all import SellAllCycle
from rebalancer.backtest.spec import BacktestSetup, OnBreaker, Scenario
from rebalancer.codecs.plan_json import dump_plan
from rebalancer.codecs.snapshot_json import dump_snapshot
from rebalancer.core.client_ids import parse_client_order_id
from rebalancer.core.planner import plan_rebalance
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.market import Market
from rebalancer.domain.money import ZERO
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import OrderIntentState
from rebalancer.domain.requests import RunRequest
from rebalancer.services import operations
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.daemon_loop import Assembly, CheckAction, DaemonLoop, PortfolioWork
from rebalancer.services.event_hub import EventHub
from rebalancer.services.executor import Executor
from rebalancer.services.rebalance_cycle import CycleDeps, RebalanceCycle
from rebalancer.services.recovery import Recovery
from rebalancer.venues.simulated.snapshots import EngineSnapshots
from rebalancer.venues.simulated.world import ACCOUNT, SimulatedVenues, VenueSetup

log = logging.getLogger(__name__)

DELISTING_ORDER = "delist"


def replay(
    table: PriceTable,
    setup: BacktestSetup,
    scenario: Scenario,
    *,
    on_bar: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Replay ``scenario`` over ``table`` (see the module doc); blocking."""
    return asyncio.run(Replay(table, setup, scenario).run(on_bar))


class Replay:
    """The world of one replay and the bar loop over it."""

    def __init__(self, table: PriceTable, setup: BacktestSetup, scenario: Scenario) -> None:
        policy = scenario.policy
        self.table = table
        self.setup = setup
        self.scenario = scenario
        self.quote = policy.quote
        missing = [a for a in policy.weights if a != policy.quote and a not in table.assets]
        if missing:
            raise InvalidValue(f"no prices for {', '.join(sorted(missing))}")
        self.clock = SimulatedClock(table.close_time(0))
        self.venues = SimulatedVenues(self.clock.epoch_s, self._venue_setups(), setup.routes)
        names = policy.venues
        self.feed = PriceFeed(table, self.venues, names, self.quote, setup.spread)
        self.feed.catch_up(self.clock.now())
        self.clock.on_advance(self.feed.catch_up)
        symbols = [f"{a}/{self.quote}" for a in policy.weights if a != self.quote]
        self.snapshots = EngineSnapshots(
            self.venues.engine,
            ACCOUNT,
            venues=names,
            symbols=symbols,
            routes=setup.routes,
            now=self.clock.now,
        )
        self.store = MemoryStore(self.clock)
        self.hub = EventHub(self.store)
        events = self.hub.scoped(policy.name)
        self.breaker = BreakerKeeper(self.store, self.clock, scenario.breaker, events=self.hub)
        self.stop = asyncio.Event()
        self.deps = CycleDeps(
            take_snapshot=self.snapshots.take,
            planner=plan_rebalance,
            snapshot_json=functools.partial(dump_snapshot, compact=True),
            plan_json=functools.partial(dump_plan, compact=True),
            keep_latest=False,
            plan_aside=False,
        )
        executor = Executor(
            self.store, self.clock, self.breaker, scenario.execution, self.stop, events=events
        )
        gateways = dict(self.venues.gateways)
        cycle_type = SellAllCycle if scenario.sell_all else RebalanceCycle
        self.cycle = cycle_type(
            self.store, self.clock, executor, gateways, self.deps, events=events
        )
        self.recovery = Recovery(
            self.store,
            self.clock,
            self.breaker,
            dict.fromkeys(names, scenario.execution),
            gateways,
            events=self.hub,
        )
        self.tradable = self._listed_assets()
        self.policy = policy_for(policy, self.tradable, setup.on_delisting)
        self.loop = DaemonLoop(
            self._assembly(self.policy), self.store, self.clock, stop=self.stop, events=self.hub
        )
        self.targets: list[tuple[int, Mapping[str, Decimal]]] = [(0, dict(self.policy.weights))]
        self.events: list[MarketEvent] = []
        self.desk = operations.Desk.of(self.store, self.clock, self.hub)
        self._flows = sorted(setup.cash_flows, key=lambda f: f.at)
        self.flows: list[tuple[int, str, Decimal]] = []
        self.checks: dict[str, int] = {}
        self.busy_bars = 0
        self.trips = 0
        self._describe_late_listings()

    # -- set-up -------------------------------------------------------------------------------

    def _venue_setups(self) -> list[VenueSetup]:
        policy, setup = self.scenario.policy, self.setup
        split = setup.start_split or {
            venue: Decimal(1) / len(policy.venues) for venue in policy.venues
        }
        given = ZERO
        setups = []
        for index, venue in enumerate(policy.venues):
            fee = setup.fees.get(venue)
            if fee is None:
                raise InvalidValue(f"[backtest] fees: no fee for venue {venue}")
            share = split.get(venue, ZERO)
            cash = (setup.start_value * share).quantize(Decimal("0.00000001"))
            if index == len(policy.venues) - 1:
                cash = setup.start_value - given if share > 0 else ZERO
            given += cash
            markets = tuple(self._market(asset, fee) for asset in sorted(policy.weights))
            unlisted = frozenset(
                f"{a}/{self.quote}"
                for a in policy.weights
                if a != self.quote and self.table.assets[a].first != 0
            )
            balances = {self.quote: cash} if cash > 0 else {}
            setups.append(
                VenueSetup(venue, tuple(m for m in markets if m is not None), balances, unlisted)
            )
        return setups

    def _market(self, asset: str, fee: Decimal) -> Market | None:
        if asset == self.quote:
            return None
        symbol = f"{asset}/{self.quote}"
        rules = self.setup.markets.get(symbol)
        if rules is None:
            raise InvalidValue(f"no market rules for {symbol}: give an exchange_info file or rules")
        # Ticks are left out: today's ticks are coarse for old prices (DOGE's 0.00001 was 0.5 %
        # of its 2019 price); the spread model alone decides where a bar's book sits.
        return replace(rules, price_tick=ZERO, taker_fee=fee, maker_fee=fee)

    def _listed_assets(self) -> frozenset[str]:
        venue = self.scenario.policy.venues[0]
        return frozenset(
            a
            for a in self.scenario.policy.weights
            if a != self.quote and self.venues.is_listed(venue, f"{a}/{self.quote}")
        )

    def _assembly(self, policy: Policy) -> Assembly:
        work = PortfolioWork(policy, self.cycle, self.deps)
        return Assembly({policy.name: work}, self.breaker, self.recovery)

    def _describe_late_listings(self) -> None:
        for asset in sorted(self.scenario.policy.weights):
            bars = self.table.assets.get(asset)
            if bars is None or asset == self.quote:
                continue
            if bars.first == -1:
                self._event(0, "never listed", f"{asset} has no bar in this period")
            elif bars.first > 0:
                when = self.table.open_time(bars.first).date().isoformat()
                self._event(0, "not yet listed", f"{asset} lists on {when}")

    def _event(self, bar: int, kind: str, text: str) -> None:
        self.events.append(MarketEvent(bar, kind, text))

    # -- the bar loop -------------------------------------------------------------------------

    async def run(self, on_bar: Callable[[int], None] | None = None) -> ReplayResult:
        """Invest the start value at the first bar, then check every bar; return what happened.

        The start value is on the venues as cash; an ``invest_cash`` run request buys the
        targets with it, as it would after a deposit. Later deposits and withdrawals are run
        requests too (``invest_cash`` and ``withdraw``), taken by the same bar's check.
        """
        started = time.perf_counter()
        await self.breaker.load()
        name = self.policy.name
        request = await self._request(RunRequest(name, RunType.INVEST_CASH))
        first = await self.loop.check(name)
        self._count(first.action)
        initial = request if first.run is not None and first.run.id == request else None
        await self._cash_flows(0)
        if on_bar is not None:
            on_bar(0)
        for index in range(1, len(self.table)):
            close = self.table.close_time(index)
            if self.clock.now() > close:
                self.busy_bars += 1
            else:
                self.clock.advance_to(close)
                self._markets_at(index)
                await self._rearm(index)
                result = await self.loop.check(name)
                self._count(result.action)
                await self._cash_flows(index)
            if on_bar is not None:
                on_bar(index)
        for gateway in self.venues.gateways.values():
            await gateway.close()
        return self._result(initial, time.perf_counter() - started)

    async def _request(self, request: RunRequest) -> str:
        """Ask the daemon for a run, as ``rebalancer request`` does; return the run's id."""
        accepted = await operations.request_run(
            self.desk,
            {self.policy.name: self.policy},
            request,
            by="backtest",
            snapshot=self.snapshots.snapshot(),
        )
        return accepted.run.id

    async def _cash_flows(self, index: int) -> None:
        """Deposits and withdrawals due by this bar's close, each carried out as a run request.

        A deposit is credited to its venue, then invested by an ``invest_cash`` run; a
        withdrawal raises its cash with a ``withdraw`` run (``partial``: as much as can be
        raised), then the cash leaves the account.
        """
        close = self.table.close_time(index)
        while self._flows and self._flows[0].at <= close:
            flow = self._flows.pop(0)
            venue = flow.venue or self.scenario.policy.venues[0]
            name = self.policy.name
            day = flow.at.date().isoformat()
            if flow.amount > 0:
                self.venues.credit(venue, self.quote, flow.amount)
                self.flows.append((index, self.quote, flow.amount))
                await self._request(RunRequest(name, RunType.INVEST_CASH, flow.amount))
                self._event(index, "deposit", f"{flow.amount} {self.quote} on {venue} ({day})")
            else:
                wanted = -flow.amount
                await self._request(RunRequest(name, RunType.WITHDRAW, wanted, venue, True))
                await self.loop.check(name)
                taken = self.venues.take_out(venue, self.quote, wanted)
                self.flows.append((index, self.quote, -taken))
                self._event(
                    index, "withdrawal", f"{taken} of {wanted} {self.quote} from {venue} ({day})"
                )
            result = await self.loop.check(name)
            self._count(result.action)

    def _count(self, action: CheckAction) -> None:
        self.checks[action.value] = self.checks.get(action.value, 0) + 1

    async def _rearm(self, index: int) -> None:
        """Re-arm a tripped breaker at the next bar when the setup says a person would."""
        if self.breaker.state is BreakerState.ACTIVE:
            return
        record = await self.store.get_breaker()
        why = "; ".join(record.reasons) if record is not None else "unknown"
        self.trips += 1
        self._event(index, "breaker", f"circuit breaker {self.breaker.state.value}: {why}")
        if self.setup.on_breaker is OnBreaker.RESUME:
            await operations.resume_breaker(
                self.desk, by="backtest", reason="on_breaker = resume: re-armed at the next bar"
            )

    def _markets_at(self, index: int) -> None:
        """List and delist markets as the history does at bar ``index``."""
        changed = False
        for asset, bars in self.table.assets.items():
            if asset == self.quote or asset not in self.scenario.policy.weights:
                continue
            symbol = f"{asset}/{self.quote}"
            if bars.first == index and asset not in self.tradable:
                self._list(asset, symbol)
                changed = True
            elif bars.delisted and bars.last < index and asset in self.tradable:
                self._delist(asset, symbol, index)
                changed = True
        if changed:
            self.policy = policy_for(self.scenario.policy, self.tradable, self.setup.on_delisting)
            self.loop.replace(self._assembly(self.policy))
            self.targets.append((index, dict(self.policy.weights)))

    def _list(self, asset: str, symbol: str) -> None:
        for venue in self.scenario.policy.venues:
            self.venues.list_market(venue, symbol)
        self.feed.apply_one(self.feed.applied - 1, symbol)
        self.tradable |= {asset}
        index = self.feed.applied - 1
        when = self.table.open_time(index).date().isoformat()
        self._event(index, "listing", f"{asset} listed on {when}: it gets its target")

    def _delist(self, asset: str, symbol: str, index: int) -> None:
        """Sell the coin at its last price on every venue, then delist its market."""
        sold, last = ZERO, ZERO
        for venue in self.scenario.policy.venues:
            cid = f"{DELISTING_ORDER}-{asset}-{venue}"
            sold += self.venues.sell_everything(venue, symbol, cid)
            last = self.venues.delist(venue, symbol)
        self.tradable -= {asset}
        where = "cash" if self.setup.on_delisting.value == "cash" else "the other assets"
        when = self.table.open_time(index - 1).date().isoformat()
        self._event(
            index,
            "delisting",
            f"{asset} delisted after {when}: sold {sold} at its last price {last}; "
            f"its target goes to {where}",
        )

    # -- the result ---------------------------------------------------------------------------

    def _result(self, initial: str | None, wall_s: float) -> ReplayResult:
        closes = [self.table.close_time(i).timestamp() for i in range(len(self.table))]
        fills = tuple(self._fills(closes))
        fees = tuple(self._transfer_fees(closes))
        runs = tuple(self._runs(closes))
        in_transit: dict[str, Decimal] = {}
        for moving in self.snapshots.snapshot().in_transit:
            in_transit[moving.asset] = in_transit.get(moving.asset, ZERO) + moving.amount
        return ReplayResult(
            label=self.scenario.label,
            configured=self.scenario.policy,
            targets=tuple(self.targets),
            start_value=self.setup.start_value,
            fills=fills,
            transfer_fees=fees,
            runs=runs,
            events=tuple(sorted(self.events, key=lambda e: e.bar)),
            checks=dict(self.checks),
            busy_bars=self.busy_bars,
            final_balances={v: self.venues.balances(v) for v in self.venues.names},
            in_transit=in_transit,
            final_prices=self._final_prices(),
            initial_run=initial,
            wall_s=wall_s,
            slept_s=self.clock.slept_s,
            breaker_trips=self.trips,
            flows=tuple(self.flows),
            refused=self._refusals(),
        )

    def _final_prices(self) -> dict[str, Decimal]:
        prices: dict[str, Decimal] = {self.quote: Decimal(1)}
        for asset, bars in self.table.assets.items():
            carried = bars.carried()
            if len(carried) and carried[-1] == carried[-1]:  # not NaN
                prices[asset] = Decimal(repr(float(carried[-1])))
        return prices

    def _fills(self, closes: list[float]) -> list[Fill]:
        found: list[Fill] = []
        for venue in self.venues.names:
            orders = self.venues.engine.venue(venue).orders
            for trade in self.venues.trades(venue):
                cid = orders[trade.order_id].client_order_id
                ref = parse_client_order_id(cid)
                at_s = trade.time_ms / 1000
                found.append(
                    Fill(
                        bar=_bar_of(closes, at_s),
                        at_s=at_s,
                        venue=venue,
                        symbol=trade.symbol,
                        side=trade.side,
                        amount=trade.amount,
                        price=trade.price,
                        fee=trade.fee,
                        fee_asset=trade.fee_asset,
                        run_id=ref.run_id if ref is not None else None,
                    )
                )
        found.sort(key=lambda f: f.at_s)
        return found

    def _transfer_fees(self, closes: list[float]) -> list[TransferFee]:
        return [
            TransferFee(
                _bar_of(closes, w.applied_ms / 1000),
                w.asset,
                w.amount,
                w.fee,
                w.venue,
                w.destination.venue if w.destination is not None else "outside",
            )
            for w in self.venues.withdrawals()
        ]

    def _refusals(self) -> dict[str, int]:
        """Orders the venues refused, counted by reason (amounts left out)."""
        counts: dict[str, int] = {}
        for record in self.store.all_orders():
            if record.state is OrderIntentState.REJECTED:
                words = (record.reason or "no reason given").split(": ")
                kind = ": ".join(words[1:3]) if len(words) > 2 else words[-1]
                counts[kind] = counts.get(kind, 0) + 1
        return counts

    def _runs(self, closes: list[float]) -> list[RunSummary]:
        filled: dict[str, int] = {}
        for record in self.store.all_orders():
            if record.filled > 0:
                filled[record.run_id] = filled.get(record.run_id, 0) + 1
        return [
            RunSummary(
                id=run.id,
                bar=_bar_of(closes, run.created_at.timestamp()),
                trigger=run.trigger.value,
                run_type=run.run_type.value,
                status=run.status.value,
                reason=run.reason,
                orders=filled.get(run.id, 0),
            )
            for run in self.store.all_runs()
        ]


def _bar_of(closes: list[float], at_s: float) -> int:
    """The bar in force at ``at_s``: the last one closed at or before it."""
    return max(0, bisect.bisect_right(closes, at_s) - 1)
