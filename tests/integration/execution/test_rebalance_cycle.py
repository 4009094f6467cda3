"""Whole runs: snapshot from the venues, the real planner, execution, rounds, final status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.codecs.plan_json import dump_plan
from rebalancer.codecs.snapshot_json import dump_snapshot
from rebalancer.core.planner import plan_rebalance
from rebalancer.domain.errors import PlanningError
from rebalancer.domain.plan import Plan, RunType
from rebalancer.domain.policy import BandType, DriftBand, Policy, RebalanceTo
from rebalancer.domain.records import RunRecord
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.snapshot import ListedMarket, Snapshot, VenueSnapshot
from rebalancer.services import operations
from rebalancer.services.rebalance_cycle import BOOK_REFILL_PAUSE_S, CycleDeps, RebalanceCycle

from .harness import HurriedClock, World, fast_settings, make_engine, make_world

POLICY = Policy(
    name="core",
    quote="USDT",
    venues=("binance",),
    weights={"BTC": Decimal(50), "USDT": Decimal(50)},
    rebalance_to=RebalanceTo.TARGET,
    drift_band=DriftBand(BandType.ABSOLUTE, Decimal(5)),
)


def deps_for(world: World, venues: tuple[str, ...] = ("binance",)) -> CycleDeps:
    async def take_snapshot() -> Snapshot:
        states = {}
        for name in venues:
            gateway = world.gateways[name]
            markets = await gateway.load_markets()
            for symbol in markets:  # makers refill the book between rounds
                mid = world.engine.venue(name).books[symbol].mid
                world.engine.set_price(name, symbol, mid)
            quotes = await gateway.fetch_quotes(sorted(markets))
            balances = await gateway.fetch_balances()
            states[name] = VenueSnapshot(
                balances={a: b.free for a, b in balances.items()},
                markets={s: ListedMarket(markets[s], quotes[s]) for s in sorted(markets)},
            )
        return Snapshot(taken_at=datetime.now(UTC), venues=states)

    def planner(
        snapshot: Snapshot,
        policy: Policy,
        run_type: RunType,
        amount: Decimal | None,
        /,
        *,
        venue: str | None = None,
        partial: bool = False,
    ) -> Plan:
        return plan_rebalance(snapshot, policy, run_type, amount, venue=venue, partial=partial)

    return CycleDeps(take_snapshot, planner, dump_snapshot, dump_plan)


async def test_drifted_portfolio_is_rebalanced_and_the_run_ends_filled(world: World) -> None:
    world.fund("binance", "BTC", "0.5")  # 30,000 USDT of BTC
    world.fund("binance", "USDT", "10000")  # 75 % BTC against a 50 % target
    cycle = RebalanceCycle(
        world.store, world.clock, world.executor(), world.gateways, deps_for(world)
    )

    run = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)

    assert run.status is RunStatus.FILLED
    btc_value = world.balance("binance", "BTC") * 60000
    total = btc_value + world.balance("binance", "USDT")
    assert abs(btc_value / total * 100 - 50) < 5  # back inside the band
    rounds = await world.store.rounds_for_run(run.id)
    assert len(rounds) == 1
    events = [e for e in await world.store.events(run.id) if e.kind == "RoundPlanned"]
    assert [e.payload["round"] for e in events] == [1]
    assert all(o.state.is_terminal for o in await world.store.orders_for_run(run.id))


async def test_portfolio_inside_its_bands_ends_at_once_with_nothing_sent(world: World) -> None:
    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "30000")
    cycle = RebalanceCycle(
        world.store, world.clock, world.executor(), world.gateways, deps_for(world)
    )

    run = await cycle.start(POLICY, RunType.FULL, Trigger.MANUAL)

    assert run.status is RunStatus.FILLED
    assert run.reason == "nothing to do"
    assert world.engine.order_log() == []


async def test_residual_left_after_max_rounds_ends_partially_filled(tmp_path: Path) -> None:
    from rebalancer.exchange_sim.engine import BookShape

    shallow = make_engine(BookShape(levels=1, level_notional=Decimal(2000)))
    world = await make_world(tmp_path, shallow, replace(fast_settings(), max_rounds=2))
    try:
        world.fund("binance", "BTC", "0.5")
        world.fund("binance", "USDT", "10000")
        cycle = RebalanceCycle(
            world.store, world.clock, world.executor(), world.gateways, deps_for(world)
        )
        run = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)
        assert run.status is RunStatus.PARTIALLY_FILLED
        assert run.reason is not None
        assert "residual" in run.reason
        events = [e for e in await world.store.events(run.id) if e.kind == "RoundPlanned"]
        assert [e.payload["round"] for e in events] == [1, 2]
    finally:
        await world.store.close()


class SleepLog(HurriedClock):
    """Real time whose sleeps pass at once, each recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await super().sleep(seconds)


async def test_a_round_that_emptied_the_book_gives_it_a_moment_before_the_next(
    tmp_path: Path,
) -> None:
    from rebalancer.exchange_sim.engine import BookShape

    shallow = make_engine(BookShape(levels=1, level_notional=Decimal(2000)))
    world = await make_world(tmp_path, shallow, replace(fast_settings(), max_rounds=2))
    world.clock = clock = SleepLog()
    try:
        world.fund("binance", "BTC", "0.5")
        world.fund("binance", "USDT", "10000")
        cycle = RebalanceCycle(
            world.store, world.clock, world.executor(), world.gateways, deps_for(world)
        )
        await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)
        # both rounds met a 2,000 USDT book; each then waits before the next snapshot
        assert clock.slept.count(BOOK_REFILL_PAUSE_S) == 2
    finally:
        await world.store.close()


async def test_a_full_book_costs_no_pause_between_rounds(world: World) -> None:
    world.clock = clock = SleepLog()
    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    cycle = RebalanceCycle(
        world.store, world.clock, world.executor(), world.gateways, deps_for(world)
    )
    await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)
    assert BOOK_REFILL_PAUSE_S not in clock.slept


async def test_venues_disagreeing_on_a_price_stop_the_run_before_any_order(world: World) -> None:
    from rebalancer.core.breaker import TripReason
    from rebalancer.domain.breaker import BreakerState

    world.engine.set_price("okx", "BTC/USDT", Decimal(50000))  # binance says 60,000
    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    both = replace_venues(POLICY, ("binance", "okx"))
    cycle = RebalanceCycle(
        world.store, world.clock, world.executor(), world.gateways, deps_for(world, both.venues)
    )

    run = await cycle.start(both, RunType.FULL, Trigger.DRIFT)

    assert run.status is RunStatus.FAILED
    assert "differs from" in (run.reason or "")
    assert world.breaker.state is BreakerState.HALTED
    assert world.breaker.breaker.causes[0].reason is TripReason.PRICE_CHECK
    assert world.engine.order_log() == []


async def test_a_price_jump_since_the_last_good_quote_stops_the_next_run(world: World) -> None:
    from rebalancer.domain.breaker import BreakerState

    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    cycle = RebalanceCycle(
        world.store, world.clock, world.executor(), world.gateways, deps_for(world)
    )
    first = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)  # trades at 60,000
    assert first.status is RunStatus.FILLED
    world.engine.set_price("binance", "BTC/USDT", Decimal(75000))  # +25 %: drifted, or bad data?
    placed = len(world.engine.order_log())

    jumped = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)

    assert jumped.status is RunStatus.FAILED
    assert "moved" in (jumped.reason or "")
    assert world.breaker.state is BreakerState.HALTED
    assert len(world.engine.order_log()) == placed


async def test_balance_that_vanishes_during_a_round_trips_reconciliation(world: World) -> None:
    from rebalancer.core.breaker import TripReason
    from rebalancer.domain.breaker import BreakerState

    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    honest = deps_for(world)
    calls = 0

    async def snapshot_after_a_theft() -> Snapshot:
        nonlocal calls
        calls += 1
        if calls == 2:  # between the round and the next snapshot, 5,000 USDT leave the account
            world.engine.venue("binance").account("key-binance").debit("USDT", Decimal(5000))
        return await honest.take_snapshot()

    deps = CycleDeps(snapshot_after_a_theft, honest.planner, dump_snapshot, dump_plan)
    cycle = RebalanceCycle(world.store, world.clock, world.executor(), world.gateways, deps)

    run = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)

    assert run.status is RunStatus.PARTIALLY_FILLED
    assert "binance USDT" in (run.reason or "")
    assert world.breaker.state is BreakerState.HALTED
    assert world.breaker.breaker.causes[0].reason is TripReason.RECONCILIATION_MISMATCH


def replace_venues(policy: Policy, venues: tuple[str, ...]) -> Policy:
    return replace(policy, venues=venues)


async def test_the_first_round_plans_from_the_snapshot_the_trigger_decided_on(
    world: World,
) -> None:
    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    deps = deps_for(world)
    decided_on = await deps.take_snapshot()
    reads = 0

    async def counting_snapshot() -> Snapshot:
        nonlocal reads
        reads += 1
        return await deps.take_snapshot()

    counted = CycleDeps(counting_snapshot, deps.planner, deps.snapshot_json, deps.plan_json)
    cycle = RebalanceCycle(world.store, world.clock, world.executor(), world.gateways, counted)

    run = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT, snapshot=decided_on)

    assert run.status is RunStatus.FILLED
    [first_round] = await world.store.rounds_for_run(run.id)
    assert first_round.snapshot_json == dump_snapshot(decided_on)
    assert reads == 1  # only the check after the round read the venues again


@dataclass
class WaitingRun:
    """A run parked for approval: 0.5 BTC + 10,000 USDT against 50/50 (~10,000 USDT to sell)."""

    world: World
    cycle: RebalanceCycle
    run: RunRecord


@pytest.fixture
async def waiting(tmp_path: Path) -> AsyncIterator[WaitingRun]:
    settings = replace(fast_settings(), approval_above_notional=Decimal(1000))
    world = await make_world(tmp_path, make_engine(), settings)
    try:
        world.fund("binance", "BTC", "0.5")
        world.fund("binance", "USDT", "10000")
        cycle = RebalanceCycle(
            world.store, world.clock, world.executor(), world.gateways, deps_for(world)
        )
        run = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)
        yield WaitingRun(world, cycle, run)
    finally:
        await world.store.close()


async def test_plan_above_the_approval_notional_waits_for_a_person(waiting: WaitingRun) -> None:
    assert waiting.run.status is RunStatus.AWAITING_APPROVAL
    assert waiting.world.engine.order_log() == []
    assert len(await waiting.world.store.rounds_for_run(waiting.run.id)) == 1


async def approve_and_carry_out(waiting: WaitingRun, by: str) -> RunRecord:
    """What a person and then the daemon do: approve (operations), carry out (the cycle)."""
    store = waiting.world.store
    desk = operations.Desk.of(store, waiting.world.clock)
    approved = await operations.approve_run(desk, waiting.run.id, by=by)
    return await waiting.cycle.carry_out_approved(approved, POLICY)


async def test_approved_run_is_planned_afresh_and_carried_out(waiting: WaitingRun) -> None:
    store = waiting.world.store

    done = await approve_and_carry_out(waiting, "alice")

    assert done.status is RunStatus.FILLED
    assert [r.round for r in await store.rounds_for_run(done.id)] == [1, 2]
    assert {o.round for o in await store.orders_for_run(done.id)} == {2}


async def test_waiting_run_can_be_cancelled_but_not_approved_afterwards(
    waiting: WaitingRun,
) -> None:
    desk = operations.Desk.of(waiting.world.store, waiting.world.clock)
    cancelled = await operations.cancel_run(desk, waiting.run.id, by="bob")

    assert cancelled.status is RunStatus.CANCELLED
    with pytest.raises(operations.WrongRunState, match="CANCELLED"):
        await operations.approve_run(desk, waiting.run.id, by="alice")
    assert waiting.world.engine.order_log() == []


async def test_approved_run_that_grew_past_what_was_approved_waits_for_a_new_approval(
    waiting: WaitingRun,
) -> None:
    world = waiting.world
    world.fund("binance", "BTC", "0.5")  # while it waited: now ~25,000 USDT to sell

    again = await approve_and_carry_out(waiting, "alice")

    assert again.status is RunStatus.AWAITING_APPROVAL
    assert "approve again" in (again.reason or "")
    assert world.engine.order_log() == []
    done = await approve_and_carry_out(waiting, "alice")
    assert done.status is RunStatus.FILLED
    assert [r.round for r in await world.store.rounds_for_run(done.id)] == [1, 2, 3]
    assert {o.round for o in await world.store.orders_for_run(done.id)} == {3}


class RejectsFirstOrder:
    """A gateway whose first order is refused by the venue (as a definitive rejection)."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.rejected = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def create_order(self, order: object) -> object:
        from rebalancer.domain.errors import OrderRejected

        if self.rejected == 0:
            self.rejected += 1
            raise OrderRejected("binance", "-2010: simulated rejection")
        return await self._inner.create_order(order)  # type: ignore[attr-defined]


async def test_run_inside_its_bands_after_a_rejected_order_ends_filled_and_keeps_the_rejection(
    world: World,
) -> None:
    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    gateways = dict(world.gateways)
    gateways["binance"] = RejectsFirstOrder(world.gateways["binance"])  # type: ignore[assignment]
    band_edge = replace(POLICY, rebalance_to=RebalanceTo.BAND_EDGE)
    cycle = RebalanceCycle(world.store, world.clock, world.executor(), gateways, deps_for(world))

    run = await cycle.start(band_edge, RunType.FULL, Trigger.DRIFT)

    assert run.status is RunStatus.FILLED
    assert run.reason == "inside the bands"
    failed = [e.payload for e in await world.store.events(run.id) if e.kind == "OrderFailed"]
    assert len(failed) == 1
    assert failed[0]["round"] == 1
    assert "simulated rejection" in failed[0]["reason"]
    assert len(await world.store.rounds_for_run(run.id)) == 2


async def test_calendar_run_to_target_in_a_moving_market_ends_filled_within_tolerance(
    world: World,
) -> None:
    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    calendar_only = replace(POLICY, drift_band=None)
    deps = deps_for(world)
    ticks = iter(range(1, 100))

    async def moving_snapshot() -> Snapshot:
        mid = Decimal(60000) * (1 + Decimal("0.002") * next(ticks))  # 0.2 % up every read
        world.engine.set_price("binance", "BTC/USDT", mid)
        return await deps.take_snapshot()

    moving = replace(deps, take_snapshot=moving_snapshot)
    cycle = RebalanceCycle(world.store, world.clock, world.executor(), world.gateways, moving)

    run = await cycle.start(calendar_only, RunType.FULL, Trigger.CALENDAR)

    assert run.status is RunStatus.FILLED
    assert run.reason == "within 0.5 points of every target"
    assert len(await world.store.rounds_for_run(run.id)) == 1


async def test_the_per_day_limit_counts_what_earlier_runs_traded_today(tmp_path: Path) -> None:
    base = fast_settings()
    capped = replace(base, limits=replace(base.limits, max_day_notional=Decimal(12000)))
    world = await make_world(tmp_path, make_engine(), capped)
    try:
        world.fund("binance", "BTC", "0.5")  # 75 % BTC: the first run sells ~10,000 USDT of it
        world.fund("binance", "USDT", "10000")
        cycle = RebalanceCycle(
            world.store, world.clock, world.executor(), world.gateways, deps_for(world)
        )
        first = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)
        assert first.status is RunStatus.FILLED
        sent = len(world.engine.order_log())

        world.fund("binance", "BTC", "0.1")  # 56 % BTC again: ~3,000 more to sell, 13,000 today
        second = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)

        assert second.status is RunStatus.FAILED
        assert len(world.engine.order_log()) == sent  # refused before anything was sent
    finally:
        await world.store.close()


async def test_an_invest_run_with_an_amount_spends_it_once_over_its_rounds(tmp_path: Path) -> None:
    from rebalancer.exchange_sim.engine import BookShape

    shallow = make_engine(BookShape(levels=1, level_notional=Decimal(2000)))
    world = await make_world(tmp_path, shallow, replace(fast_settings(), max_rounds=4))
    try:
        world.fund("binance", "BTC", "0.1")
        world.fund("binance", "USDT", "30000")
        cycle = RebalanceCycle(
            world.store, world.clock, world.executor(), world.gateways, deps_for(world)
        )
        run = await cycle.start(POLICY, RunType.INVEST_CASH, Trigger.MANUAL, amount=Decimal(5000))

        spent = Decimal(30000) - world.balance("binance", "USDT")
        assert Decimal(4900) <= spent <= Decimal(5010)  # once, not once per round
        assert len(await world.store.rounds_for_run(run.id)) >= 2  # the book made it take rounds
        assert run.status is RunStatus.FILLED
    finally:
        await world.store.close()


async def test_a_plan_that_fails_beside_the_trigger_event_raises_after_the_event_is_kept(
    world: World,
) -> None:
    deps = deps_for(world)
    decided_on = await deps.take_snapshot()

    def failing_planner(
        snapshot: Snapshot,
        policy: Policy,
        run_type: RunType,
        amount: Decimal | None,
        /,
        *,
        venue: str | None = None,
        partial: bool = False,
    ) -> Plan:
        raise PlanningError("no feasible plan")

    broken = CycleDeps(deps.take_snapshot, failing_planner, deps.snapshot_json, deps.plan_json)
    cycle = RebalanceCycle(world.store, world.clock, world.executor(), world.gateways, broken)

    with pytest.raises(PlanningError, match="no feasible plan"):
        await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT, snapshot=decided_on)

    [run] = await world.store.list_runs()
    assert [e.kind for e in await world.store.events(run.id)] == ["RunTriggered"]
    assert world.engine.order_log() == []
