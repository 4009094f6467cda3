"""The checks around every round: data fresh and prices sane before, balances as expected after.

Before a round: a snapshot older than ``max_snapshot_age_s`` trips the breaker (``STALE_DATA``);
a quote that jumped from the last good one or disagrees with another venue trips it
(``PRICE_CHECK``, ``services.price_gate``). After a round: each venue the plan touched must
hold (balances plus what is in transit to it) what the round's fills and transfers say it
should (``rebalancer.core.reconcile``), else ``RECONCILIATION_MISMATCH``.
Each check returns why it stopped the run, or None.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from rebalancer.core.breaker import TripReason
from rebalancer.core.client_ids import make_client_order_id
from rebalancer.core.pretrade import PretradeLimits
from rebalancer.core.reconcile import (
    BalanceMismatch,
    Deltas,
    Fill,
    apply_deltas,
    arrival_deltas,
    compare_balances,
    fill_deltas,
    withdrawal_deltas,
)
from rebalancer.domain.events import ReconciliationMismatch
from rebalancer.domain.plan import Plan
from rebalancer.domain.records import TransferState
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock, EventSink, Store
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.event_hub import EventHub
from rebalancer.services.price_gate import PriceGate

log = logging.getLogger(__name__)


def plan_venues(plan: Plan) -> set[str]:
    """Every venue a plan trades on or moves funds between."""
    venues = {order.venue for order in plan.orders}
    for transfer in plan.transfers:
        venues |= {transfer.source, transfer.destination}
    return venues


class RoundChecks:
    """Checks snapshots (age, prices: ``PriceGate``) and round results."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        breaker: BreakerKeeper,
        limits: PretradeLimits,
        max_snapshot_age_s: float | None,
        *,
        events: EventSink | None = None,
        prices: PriceGate | None = None,
    ) -> None:
        self._store = store
        self._events = events or EventHub(store)
        self._clock = clock
        self._breaker = breaker
        self._max_age_s = max_snapshot_age_s
        self._prices = prices or PriceGate(store, breaker, limits)

    async def before_round(self, snapshot: Snapshot) -> str | None:
        """Refuse a stale snapshot or insane prices (tripping the breaker); else remember them."""
        age_s = (self._clock.now() - snapshot.taken_at).total_seconds()
        if self._max_age_s is not None and age_s > self._max_age_s:
            detail = f"snapshot is {age_s:.0f} s old (limit {self._max_age_s:.0f} s)"
            await self._breaker.trip(TripReason.STALE_DATA, detail)
            return detail
        return await self._prices.check(snapshot)

    async def after_round(
        self, run_id: str, round_no: int, plan: Plan, before: Snapshot, after: Snapshot
    ) -> str | None:
        """Compare each touched venue's holdings with what the round should have left.

        A venue's holdings are its balances plus what is in transit to it. Both snapshots
        count each transfer once (in transit or landed, ``services.transit``), so a venue
        with money on its way is checked like any other: a transfer landing during the round
        only moves an amount from one term to the other.
        """
        expected = await self._expected(run_id, round_no, plan, before)
        mismatches: list[BalanceMismatch] = []
        for venue in sorted(expected):
            if venue not in after.venues:
                continue
            actual = holdings(after, venue)
            mismatches.extend(compare_balances(venue, expected[venue], actual))
        if not mismatches:
            return None
        detail = "; ".join(str(m) for m in mismatches[:5])
        await self._events.publish(
            ReconciliationMismatch(
                at=self._clock.now(),
                run_id=run_id,
                detail=detail,
                venues=tuple(sorted({m.venue for m in mismatches})),
            )
        )
        await self._breaker.trip(TripReason.RECONCILIATION_MISMATCH, detail)
        return detail

    async def _expected(
        self, run_id: str, round_no: int, plan: Plan, before: Snapshot
    ) -> dict[str, Deltas]:
        changes: dict[str, list[Deltas]] = {venue: [] for venue in plan_venues(plan)}
        for order in await self._store.orders_for_run(run_id):
            if order.round != round_no or order.venue not in changes:
                continue
            base, _, quote = order.symbol.partition("/")
            fill = Fill(order.side, order.filled, order.average_price, order.fee, order.fee_asset)
            changes[order.venue].append(fill_deltas(fill, base, quote))
        for node in plan.transfers:
            record = await self._store.get_transfer(make_client_order_id(run_id, node.id, round_no))
            if record is None or record.withdrawal_id is None:
                continue
            if record.state is TransferState.FAILED:
                continue  # the venue failed the withdrawal and refunded it: nothing left
            changes[record.source].append(withdrawal_deltas(record.asset, record.amount))
            fee = record.fee if record.fee is not None else Decimal(0)
            # landed or still on its way: either way the destination's holdings count it
            changes[record.destination].append(arrival_deltas(record.asset, record.amount, fee))
        return {
            venue: apply_deltas(holdings(before, venue), deltas)
            for venue, deltas in changes.items()
            if venue in before.venues
        }


def holdings(snapshot: Snapshot, venue: str) -> dict[str, Decimal]:
    """A venue's balances plus every amount in transit to it."""
    held = dict(snapshot.venue(venue).balances)
    for moving in snapshot.in_transit:
        if moving.destination == venue:
            held[moving.asset] = held.get(moving.asset, Decimal(0)) + moving.amount
    return held
