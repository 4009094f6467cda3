"""Execute one round of a plan: its DAG, venues in parallel, each node when its needs are done.

Nodes are handed out by ``rebalancer.core.dag.PlanGraph`` and run as named tasks in one
``asyncio.TaskGroup``; orders on one venue are limited to ``orders_per_venue`` at a time. A node
that fails skips everything downstream of it. When ``stop`` is set, no new node starts and the
running ones reach a safe point (an order is never abandoned between intent and settlement);
nodes not started stay in the plan for recovery or the next round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.core.dag import PlanGraph, plan_nodes
from rebalancer.domain.errors import VenueUnavailable
from rebalancer.domain.market import Market
from rebalancer.domain.plan import Plan, PlannedOrder, PlannedTransfer
from rebalancer.domain.snapshot import Route
from rebalancer.ports import Clock, EventSink, Store, VenueGateway
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.event_hub import EventHub
from rebalancer.services.execution_settings import ExecutionSettings
from rebalancer.services.order_placement import (
    OrderJob,
    OrderNodeResult,
    OrderPlacement,
    RunBudget,
)
from rebalancer.services.transfers import TransferJob, TransferResult, TransferRunner

log = logging.getLogger(__name__)

NodeResult = OrderNodeResult | TransferResult


@dataclass(frozen=True, slots=True)
class RoundReport:
    """What one round achieved, node by node."""

    orders: Mapping[str, OrderNodeResult] = field(default_factory=dict)
    transfers: Mapping[str, TransferResult] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    not_started: tuple[str, ...] = ()  # left when stopped

    @property
    def nodes(self) -> int:
        """How many nodes the round had."""
        return len(self.orders) + len(self.transfers) + len(self.skipped) + len(self.not_started)

    @property
    def complete(self) -> int:
        """Nodes that did everything they were asked."""
        done = sum(1 for r in self.orders.values() if r.complete)
        return done + sum(1 for r in self.transfers.values() if r.arrived)

    @property
    def cut_short(self) -> bool:
        """Whether an order of the round met a book that ran out before it filled."""
        return any(r.cut_short for r in self.orders.values())

    @property
    def partial(self) -> int:
        """Order nodes that filled some but not all."""
        return sum(1 for r in self.orders.values() if not r.complete and r.filled > 0)


@dataclass(frozen=True, slots=True)
class VenueBook:
    """Each venue's gateway and market rules, and the routes between venues."""

    gateways: Mapping[str, VenueGateway]
    markets: Mapping[str, Mapping[str, Market]]
    routes: tuple[Route, ...] = ()
    unreconciled: frozenset[str] = frozenset()  # venues recovery could not reconcile

    def gateway(self, venue: str) -> VenueGateway:
        """The venue's gateway; a venue not reconciled (or unknown) is unavailable."""
        if venue in self.unreconciled or venue not in self.gateways:
            raise VenueUnavailable(venue, "not reconciled or not configured: not traded")
        return self.gateways[venue]

    def route_fee(self, transfer: PlannedTransfer) -> Decimal:
        """The fee of the route a planned transfer takes (zero when no route is known)."""
        for route in self.routes:
            if (route.asset, route.network, route.source, route.destination) == (
                transfer.asset,
                transfer.network,
                transfer.source,
                transfer.destination,
            ):
                return route.fee
        return Decimal(0)


class Executor:
    """Runs the rounds' plans through the order and transfer services."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        breaker: BreakerKeeper,
        settings: ExecutionSettings,
        stop: asyncio.Event | None = None,
        *,
        events: EventSink | None = None,
    ) -> None:
        self._store = store
        self._events = events or EventHub(store)
        self._clock = clock
        self._breaker = breaker
        self._settings = settings
        self.stop = stop or asyncio.Event()

    @property
    def settings(self) -> ExecutionSettings:
        """How orders, transfers and rounds are executed."""
        return self._settings

    @property
    def breaker(self) -> BreakerKeeper:
        """The breaker every node consults."""
        return self._breaker

    async def execute(
        self, run_id: str, round_no: int, plan: Plan, venues: VenueBook, budget: RunBudget
    ) -> RoundReport:
        """Run every node of ``plan`` that can run; return what each achieved."""
        nodes = plan_nodes(plan)
        graph = PlanGraph.from_plan(plan)
        orders = OrderPlacement(
            self._store,
            self._clock,
            self._breaker,
            self._settings,
            budget=budget,
            stop=self.stop,
            events=self._events,
        )
        transfers = TransferRunner(
            self._store, self._clock, self._breaker, self._settings, self.stop, events=self._events
        )
        limits = {
            venue: asyncio.Semaphore(self._settings.orders_per_venue) for venue in venues.gateways
        }
        finished: asyncio.Queue[NodeResult] = asyncio.Queue()
        results: dict[str, NodeResult] = {}
        skipped: list[str] = []
        running = 0

        async def run_node(node_id: str) -> None:
            node = nodes[node_id]
            try:
                result = await node_result(node)
            except Exception as error:  # a bug or a broken Store: fail this node, keep the others
                log.exception("node %s failed unexpectedly", node_id)
                result = _failed(node, f"unexpected error: {error!r}")
            await finished.put(result)

        async def node_result(node: PlannedOrder | PlannedTransfer) -> NodeResult:
            if isinstance(node, PlannedOrder):
                result: NodeResult = await self._order(
                    run_id=run_id,
                    round_no=round_no,
                    node=node,
                    venues=venues,
                    orders=orders,
                    limits=limits,
                )
            else:
                result = await self._transfer(
                    run_id=run_id, round_no=round_no, node=node, venues=venues, transfers=transfers
                )
            return result

        async with asyncio.TaskGroup() as group:
            while graph.is_active:
                ready = graph.ready()
                skipped.extend(ready.skipped)
                if not self.stop.is_set():
                    for node_id in ready.start:
                        group.create_task(run_node(node_id), name=f"run {run_id} node {node_id}")
                        running += 1
                elif ready.start:
                    break
                if running == 0:
                    break
                result = await finished.get()
                running -= 1
                results[result.node_id] = result
                if _succeeded(result):
                    graph.done(result.node_id)
                    self._breaker.success()
                else:
                    graph.failed(result.node_id)
            while running:  # stop was set: let started nodes reach their safe point
                result = await finished.get()
                running -= 1
                results[result.node_id] = result
        left = tuple(sorted(set(nodes) - set(results) - set(skipped)))
        if skipped:
            log.warning("skipped %s (what they wait for failed)", ", ".join(skipped))
        return RoundReport(
            orders={k: v for k, v in results.items() if isinstance(v, OrderNodeResult)},
            transfers={k: v for k, v in results.items() if isinstance(v, TransferResult)},
            skipped=tuple(sorted(skipped)),
            not_started=left,
        )

    async def _order(
        self,
        *,
        run_id: str,
        round_no: int,
        node: PlannedOrder,
        venues: VenueBook,
        orders: OrderPlacement,
        limits: Mapping[str, asyncio.Semaphore],
    ) -> OrderNodeResult:
        try:
            gateway = venues.gateway(node.venue)
            market = venues.markets[node.venue][node.symbol]
        except (VenueUnavailable, KeyError) as error:
            return OrderNodeResult(node.id, node.amount, Decimal(0), Decimal(0), False, str(error))
        async with limits[node.venue]:
            return await orders.run(OrderJob(run_id, round_no, node, market, gateway))

    async def _transfer(
        self,
        *,
        run_id: str,
        round_no: int,
        node: PlannedTransfer,
        venues: VenueBook,
        transfers: TransferRunner,
    ) -> TransferResult:
        try:
            source, destination = venues.gateway(node.source), venues.gateway(node.destination)
        except VenueUnavailable as error:
            return TransferResult(node.id, False, str(error))
        fee = venues.route_fee(node)
        return await transfers.run(TransferJob(run_id, round_no, node, source, destination, fee))


def _failed(node: PlannedOrder | PlannedTransfer, reason: str) -> NodeResult:
    if isinstance(node, PlannedOrder):
        return OrderNodeResult(node.id, node.amount, Decimal(0), Decimal(0), False, reason)
    return TransferResult(node.id, False, reason)


def _succeeded(result: NodeResult) -> bool:
    """Dependants may run after a transfer that arrived or an order that filled at all."""
    if isinstance(result, TransferResult):
        return result.arrived
    return result.filled > 0
