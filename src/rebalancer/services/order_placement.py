"""One planned order's lifecycle: gate, intent, send, settle, follow, fall back.

For each slice of a planned order (slices keep every order under the max order notional):

1. the breaker and the pre-trade gate must allow it;
2. its intent (run, node, attempt, client order id, ``PENDING_SUBMIT``) is committed to the Store;
3. it is sent once. A definitive rejection fails the node. An ambiguous outcome is settled by
   looking the client id up (reads retry with backoff; a transport error is raised, never read
   as "not found"); only a definitive "not found" allows a new attempt, with a new attempt
   number and client id, and only once the venue can no longer carry the first out late (its
   ``request_window_s`` after the send, looked up again every ``poll_interval_s`` till then);
4. a limit order is followed until it fills or times out, then cancelled and re-priced at the
   new touch or sent as a market order for the rest (``OrderSettings``).

Every report from the venue is written to the Store as it arrives. An acknowledged order is
published as ``OrderPlaced`` (with the send-to-acknowledgement latency), an order that ends with a
fill as ``OrderFilled`` (with its slippage against the planned price), and a node that ends short
of its amount as ``OrderFailed``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from rebalancer.core.breaker import slippage_bps
from rebalancer.core.client_ids import make_client_order_id
from rebalancer.core.pretrade import check_notional, slice_order
from rebalancer.core.reconcile import order_residual
from rebalancer.domain.errors import AuthenticationFailed, OrderRejected, VenueError
from rebalancer.domain.events import OrderFailed, OrderFilled, OrderPlaced
from rebalancer.domain.market import Market, OrderSide, Rounding
from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.domain.orders import OrderReport, OrderStatus, OrderType, SubmitOrder, TimeInForce
from rebalancer.domain.plan import PlannedOrder
from rebalancer.domain.records import OrderIntentState, OrderRecord
from rebalancer.ports import Clock, EventSink, Store, VenueGateway
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.event_hub import EventHub
from rebalancer.services.execution_settings import (
    ExecutionSettings,
    LimitFallback,
    OrderStyle,
)
from rebalancer.services.pauses import pause
from rebalancer.services.venue_reads import look_up_sent, with_retries

log = logging.getLogger(__name__)

FIRST_ATTEMPT = 1  # attempts count from one, as the Store records them
BPS_PLACES = Decimal("0.01")  # slippage is reported to a hundredth of a basis point


class NodeFailed(Exception):
    """A node could not be carried out; the message says why (for the run's record)."""


@dataclass(frozen=True, slots=True)
class OrderNodeResult:
    """What one order node achieved: base filled, quote spent or received, and any problem."""

    node_id: str
    requested: Decimal
    filled: Decimal
    cost: Decimal
    complete: bool
    reason: str | None = None
    cut_short: bool = False  # a slice filled less than asked: the book ran out


def intent_state(report: OrderReport) -> OrderIntentState:
    """Our record's state for what the venue reports."""
    if report.status is OrderStatus.OPEN:
        return OrderIntentState.PARTIALLY_FILLED if report.filled > 0 else OrderIntentState.OPEN
    if report.status is OrderStatus.FILLED:
        return OrderIntentState.FILLED
    if report.status is OrderStatus.REJECTED:
        return OrderIntentState.REJECTED
    return OrderIntentState.CANCELED  # canceled or expired, possibly after a partial fill


async def save_report(store: Store, report: OrderReport, at_clock: Clock) -> OrderRecord:
    """Write what the venue says about one of our orders into its record."""
    assert report.client_order_id is not None  # we only save our own orders
    return await store.update_order(
        report.client_order_id,
        at=at_clock.now(),
        state=intent_state(report),
        exchange_order_id=report.exchange_order_id,
        filled=report.filled,
        average_price=report.average_price,
        fee=report.fee,
        fee_asset=report.fee_asset,
    )


class RunBudget:
    """Notional sent in this run and today, for the per-run and per-day limits."""

    def __init__(self, day_sent: Decimal = ZERO) -> None:
        self.run_sent = ZERO
        self.day_sent = day_sent

    def spend(self, notional: Decimal) -> None:
        """Count an order about to be sent (negative: give back what it did not fill)."""
        self.run_sent += notional
        self.day_sent += notional


class AttemptCounter:
    """The next attempt number per (run, node), continuing from what the Store already holds."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._next: dict[tuple[str, str], int] = {}
        self._loaded: set[str] = set()
        self._lock = asyncio.Lock()

    async def take(self, run_id: str, node_id: str) -> int:
        """Reserve and return the next attempt number for a node of a run."""
        async with self._lock:
            if run_id not in self._loaded:
                highest: dict[str, int] = defaultdict(lambda: FIRST_ATTEMPT - 1)
                for order in await self._store.orders_for_run(run_id):
                    highest[order.node_id] = max(highest[order.node_id], order.attempt)
                for node, attempt in highest.items():
                    self._next[(run_id, node)] = attempt + 1
                self._loaded.add(run_id)
            attempt = self._next.get((run_id, node_id), FIRST_ATTEMPT)
            self._next[(run_id, node_id)] = attempt + 1
            return attempt


@dataclass(frozen=True, slots=True)
class OrderJob:
    """One planned order of one round of a run, with its market and venue."""

    run_id: str
    round: int
    node: PlannedOrder
    market: Market
    gateway: VenueGateway


class OrderPlacement:
    """Carries out order nodes; shared by every node of a run."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        breaker: BreakerKeeper,
        settings: ExecutionSettings,
        *,
        budget: RunBudget,
        stop: asyncio.Event,
        events: EventSink | None = None,
    ) -> None:
        self._store = store
        self._events = events or EventHub(store)
        self._clock = clock
        self._breaker = breaker
        self._settings = settings
        self._budget = budget
        self._stop = stop
        self._attempts = AttemptCounter(store)

    async def run(self, job: OrderJob) -> OrderNodeResult:
        """Execute every slice of ``job``'s order; never raises for venue problems."""
        node = job.node
        slices = slice_order(
            node.amount, node.price, job.market, self._settings.limits.max_order_notional
        )
        filled, cost, reason, cut_short = ZERO, ZERO, None, False
        try:
            for amount in slices.amounts:
                if self._stop.is_set():
                    reason = "stopped before the next slice"
                    break
                got, spent = await self._slice(job, amount)
                filled, cost = filled + got, cost + spent
                if got < amount:
                    reason = f"slice filled {format_decimal(got)} of {format_decimal(amount)}"
                    cut_short = True
                    break
        except (NodeFailed, VenueError) as error:
            reason = str(error)
        residual = order_residual(
            node_id=node.id,
            venue=node.venue,
            market=job.market,
            side=node.side,
            planned=node.amount,
            filled=filled,
            price=node.price,
        )
        complete = residual is None or residual.dust
        if reason and not complete:
            log.warning("order node %s: %s", node.id, reason)
            await self._events.publish(
                OrderFailed(
                    at=self._clock.now(),
                    run_id=job.run_id,
                    venue=node.venue,
                    symbol=node.symbol,
                    side=node.side,
                    node_id=node.id,
                    round=job.round,
                    requested=node.amount,
                    filled=filled,
                    reason=reason,
                )
            )
        return OrderNodeResult(node.id, node.amount, filled, cost, complete, reason, cut_short)

    async def _slice(self, job: OrderJob, amount: Decimal) -> tuple[Decimal, Decimal]:
        """Fill one slice (with limit fallbacks); return base filled and quote cost."""
        filled, cost, reprices = ZERO, ZERO, 0
        remaining = amount
        orders = self._settings.orders
        while remaining > 0 and job.market.check_order(remaining, job.node.price).ok:
            use_limit = orders.style is OrderStyle.LIMIT and (
                reprices == 0
                or (
                    orders.limit_fallback is LimitFallback.REPRICE
                    and reprices <= orders.max_reprices
                )
            )
            report = await self._one_order(job, remaining, use_limit)
            filled += report.filled
            if report.filled > 0 and report.average_price is not None:
                cost += report.filled * report.average_price
                await self._breaker.slippage(job.node.side, job.node.price, report.average_price)
            remaining = amount - filled
            if not use_limit or self._stop.is_set():
                break  # a market order takes what the book has; its rest is a residual
            reprices += 1
        return filled, cost

    async def _one_order(self, job: OrderJob, amount: Decimal, limit: bool) -> OrderReport:
        """Gate, send and (for a limit) follow one order until it is terminal."""
        side = job.node.side
        if not self._breaker.allows(side):
            raise NodeFailed(f"circuit breaker is {self._breaker.state}: no new {side} orders")
        price = await self._touch(job) if limit else None
        notional = amount * (price if price is not None else job.node.price)
        decision = check_notional(
            notional, self._budget.run_sent, self._budget.day_sent, self._settings.limits
        )
        if not decision.ok:
            raise NodeFailed("pre-trade gate: " + "; ".join(decision.problems))
        self._budget.spend(notional)
        report = await self._send(job, amount, price)
        if report.status is OrderStatus.OPEN:
            report = await self._follow(job, report)
        # what did not fill goes back to the budget (a re-price or fallback sends it again)
        self._budget.spend(-notional * report.remaining / amount)
        if report.filled > 0 and report.average_price is not None:
            await self._tell_filled(job, report)
        return report

    async def _tell_filled(self, job: OrderJob, report: OrderReport) -> None:
        assert report.average_price is not None
        assert report.client_order_id is not None
        node = job.node
        await self._events.publish(
            OrderFilled(
                at=self._clock.now(),
                run_id=job.run_id,
                venue=node.venue,
                symbol=node.symbol,
                side=node.side,
                amount=report.amount,
                filled=report.filled,
                average_price=report.average_price,
                expected_price=node.price,
                slippage_bps=slippage_bps(node.side, node.price, report.average_price).quantize(
                    BPS_PLACES
                ),
                fee=report.fee,
                fee_asset=report.fee_asset,
                client_order_id=report.client_order_id,
                node_id=node.id,
                round=job.round,
            )
        )

    async def _touch(self, job: OrderJob) -> Decimal:
        """The limit price at the touch: our side's best price, on the tick."""
        symbol = job.node.symbol
        reads = self._settings.orders
        quotes = await with_retries(
            lambda: job.gateway.fetch_quotes([symbol]),
            attempts=reads.lookup_attempts,
            max_wait_s=reads.lookup_max_wait_s,
            sleep=self._clock.sleep,
        )
        quote = quotes[symbol]
        if job.node.side is OrderSide.BUY:
            return job.market.round_price(quote.bid, Rounding.DOWN)
        return job.market.round_price(quote.ask, Rounding.UP)

    async def _send(self, job: OrderJob, amount: Decimal, price: Decimal | None) -> OrderReport:
        """Commit the intent, send once, settle an ambiguous outcome; new id only if not found."""
        node = job.node
        settings = self._settings.orders
        for _ in range(settings.max_create_attempts):
            attempt = await self._attempts.take(job.run_id, node.id)
            cid = make_client_order_id(job.run_id, node.id, attempt)
            now = self._clock.now()
            await self._store.record_order_intent(
                OrderRecord(
                    client_order_id=cid,
                    run_id=job.run_id,
                    node_id=node.id,
                    round=job.round,
                    attempt=attempt,
                    venue=node.venue,
                    symbol=node.symbol,
                    side=node.side,
                    amount=amount,
                    state=OrderIntentState.PENDING_SUBMIT,
                    created_at=now,
                    updated_at=now,
                    limit_price=price,
                )
            )
            command = SubmitOrder(
                client_order_id=cid,
                symbol=node.symbol,
                side=node.side,
                type=OrderType.MARKET if price is None else OrderType.LIMIT,
                amount=amount,
                price=price,
                time_in_force=None if price is None else TimeInForce.GTC,
            )
            report = await self._create(job, command)
            if report is not None:
                await save_report(self._store, report, self._clock)
                return report
        raise NodeFailed(f"order not accepted after {settings.max_create_attempts} attempts")

    async def _create(self, job: OrderJob, command: SubmitOrder) -> OrderReport | None:
        """Send once; None when the order definitively does not exist after an ambiguous send."""
        cid = command.client_order_id
        sent = asyncio.get_running_loop().time()
        sent_at = self._clock.now()
        try:
            report = await job.gateway.create_order(command)
        except (OrderRejected, AuthenticationFailed) as error:
            await self._store.update_order(
                cid, at=self._clock.now(), state=OrderIntentState.REJECTED, reason=str(error)
            )
            await self._breaker.failure(str(error))
            raise NodeFailed(f"order {cid} rejected: {error}") from error
        except VenueError as error:
            await self._store.update_order(
                cid, at=self._clock.now(), state=OrderIntentState.UNKNOWN, reason=str(error)
            )
            log.warning("order %s: outcome unknown (%s); looking it up", cid, error)
        else:
            await self._tell_placed(job, command, asyncio.get_running_loop().time() - sent)
            return report
        settings = self._settings.orders
        await self._clock.sleep(settings.ambiguous_grace_s)
        found = await look_up_sent(  # the venue may still carry it out late: look until it can't
            lambda: job.gateway.fetch_order_by_client_id(command.symbol, cid),
            sent_at=sent_at,
            window_s=job.gateway.request_window_s,
            clock=self._clock,
            every_s=settings.poll_interval_s,
            attempts=settings.lookup_attempts,
            max_wait_s=settings.lookup_max_wait_s,
        )
        if found is None:
            await self._store.update_order(
                cid,
                at=self._clock.now(),
                state=OrderIntentState.REJECTED,
                reason="not on the venue after an ambiguous create",
            )
            log.warning("order %s: venue says it does not exist; trying a new attempt", cid)
            return None
        log.info("order %s: found on the venue after an ambiguous create", cid)
        return found

    async def _tell_placed(self, job: OrderJob, command: SubmitOrder, latency_s: float) -> None:
        await self._events.publish(
            OrderPlaced(
                at=self._clock.now(),
                run_id=job.run_id,
                venue=job.node.venue,
                symbol=command.symbol,
                side=command.side,
                amount=command.amount,
                price=command.price,
                client_order_id=command.client_order_id,
                node_id=job.node.id,
                round=job.round,
                latency_s=Decimal(f"{latency_s:.6f}"),
            )
        )

    async def _follow(self, job: OrderJob, report: OrderReport) -> OrderReport:
        """Poll an open order until it is terminal or times out; then cancel and settle it."""
        settings = self._settings.orders
        cid = report.client_order_id
        assert cid is not None
        deadline = self._clock.now() + timedelta(seconds=settings.limit_timeout_s)
        while report.status is OrderStatus.OPEN and self._clock.now() < deadline:
            await pause(self._clock, settings.poll_interval_s, self._stop)
            report = await self._lookup(job, cid, report)
            if self._stop.is_set():
                break
        if report.status is OrderStatus.OPEN:
            await with_retries(
                lambda: job.gateway.cancel_order(job.node.symbol, cid),
                attempts=settings.lookup_attempts,
                max_wait_s=settings.lookup_max_wait_s,
                sleep=self._clock.sleep,
            )
            report = await self._lookup(job, cid, report)
        return report

    async def _lookup(self, job: OrderJob, cid: str, last: OrderReport) -> OrderReport:
        settings = self._settings.orders
        found = await with_retries(
            lambda: job.gateway.fetch_order_by_client_id(job.node.symbol, cid),
            attempts=settings.lookup_attempts,
            max_wait_s=settings.lookup_max_wait_s,
            sleep=self._clock.sleep,
        )
        if found is None:
            raise NodeFailed(f"order {cid} vanished from the venue")
        if found != last:
            await save_report(self._store, found, self._clock)
        return found
