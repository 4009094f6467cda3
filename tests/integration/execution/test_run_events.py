"""A run's typed events: logged from trigger to end, and never held up by a subscriber."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

from rebalancer.domain.events import Published
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.services.event_hub import EventHub
from rebalancer.services.executor import Executor
from rebalancer.services.rebalance_cycle import RebalanceCycle

from .harness import World
from .test_rebalance_cycle import POLICY, deps_for


async def test_a_run_logs_typed_events_from_trigger_to_end(world: World) -> None:
    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    cycle = RebalanceCycle(
        world.store, world.clock, world.executor(), world.gateways, deps_for(world)
    )

    run = await cycle.start(POLICY, RunType.FULL, Trigger.DRIFT, why="BTC 75% > 55%")

    logged = list(await world.store.events(run.id))
    kinds = [e.kind for e in logged]
    assert kinds[:2] == ["RunTriggered", "RoundPlanned"]
    assert kinds[-1] == "RunEnded"
    assert {"OrderPlaced", "OrderFilled"} <= set(kinds)
    assert logged[0].payload["reason"] == "BTC 75% > 55%"
    ended = logged[-1].payload
    assert (ended["status"], ended["portfolio"]) == ("FILLED", POLICY.name)
    assert Decimal(str(ended["traded"])) > 0
    assert ended["inside_bands"] is True
    fill = next(e.payload for e in logged if e.kind == "OrderFilled")
    assert fill["side"] == "sell"
    assert Decimal(str(fill["filled"])) > 0


class _Hanging:
    """An event subscriber (an alert sink whose server never answers) that never returns."""

    name = "hanging"

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def deliver(self, published: Published) -> None:
        self.entered.set()
        await asyncio.Event().wait()


class _Keeping:
    name = "keeping"

    def __init__(self) -> None:
        self.names: list[str] = []

    async def deliver(self, published: Published) -> None:
        self.names.append(published.event.name)


async def test_a_hanging_event_subscriber_delays_no_order(world: World) -> None:
    world.fund("binance", "BTC", "0.5")
    world.fund("binance", "USDT", "10000")
    hub = EventHub(world.store)
    hanging, keeping = _Hanging(), _Keeping()
    hub.subscribe(hanging, queue_size=2)
    hub.subscribe(keeping)
    executor = Executor(world.store, world.clock, world.breaker, world.settings, events=hub)
    cycle = RebalanceCycle(
        world.store, world.clock, executor, world.gateways, deps_for(world), events=hub
    )

    run = await asyncio.wait_for(cycle.start(POLICY, RunType.FULL, Trigger.DRIFT), timeout=60)

    assert run.status is RunStatus.FILLED
    assert world.engine.order_log()
    assert hanging.entered.is_set()  # it got the first event and never came back
    stats = hub.stats()["hanging"]
    assert stats.delivered == 0
    assert stats.dropped > 0
    await asyncio.wait_for(_until(lambda: "RunEnded" in keeping.names), timeout=10)
    assert {"RunTriggered", "OrderPlaced", "OrderFilled"} <= set(keeping.names)
    await hub.aclose(timeout_s=0.1)


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
