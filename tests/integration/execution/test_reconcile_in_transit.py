"""The after-round check reconciles a venue even while money is in transit to it.

It used to skip such a venue, so a double-counted transfer (landed, and still listed in
transit) or a balance that vanished there went unnoticed. A venue's holdings are now its
balances plus what is in transit to it, in both snapshots.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rebalancer.codecs.plan_json import dump_plan
from rebalancer.codecs.snapshot_json import dump_snapshot
from rebalancer.core.breaker import TripReason
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.snapshot import InTransit, Snapshot
from rebalancer.services.rebalance_cycle import CycleDeps, RebalanceCycle

from .harness import World
from .test_rebalance_cycle import POLICY, deps_for


async def test_a_balance_vanishing_where_money_is_in_transit_trips_reconciliation(
    world: World,
) -> None:
    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    honest = deps_for(world)
    calls = 0

    async def snapshot_after_a_theft() -> Snapshot:
        nonlocal calls
        calls += 1
        taken = await honest.take_snapshot()
        if calls < 2:
            return taken
        # 5,000 USDT leave the account while 1,000 are listed on their way to it
        world.engine.venue("binance").account("key-binance").debit("USDT", Decimal(5000))
        taken = await honest.take_snapshot()
        moving = InTransit("USDT", "elsewhere", "binance", Decimal(1000))
        return replace(taken, in_transit=(moving,))

    deps = CycleDeps(snapshot_after_a_theft, honest.planner, dump_snapshot, dump_plan)
    cycle = RebalanceCycle(world.store, world.clock, world.executor(), world.gateways, deps)

    run = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT)

    assert run.status is RunStatus.PARTIALLY_FILLED
    assert "binance USDT" in (run.reason or "")
    assert world.breaker.state is BreakerState.HALTED
    assert world.breaker.breaker.causes[0].reason is TripReason.RECONCILIATION_MISMATCH
