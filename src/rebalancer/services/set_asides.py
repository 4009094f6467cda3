"""Cash set aside for a withdrawal is kept outside the portfolio until it leaves.

A ``withdraw`` run leaves cash free to pay out; until a person takes it off the exchange it
is still in the venue's balance, where the next check would see cash overweight and a ``full``
run would buy the positions back. ``SetAsideKeeper`` stands between the portfolio's snapshot
source and everything that decides:

- **Kept out**: every snapshot it hands on has each venue's quote balance less what is set
  aside there (``core.set_aside.without_set_asides``), so drift, triggers, request checks
  (``max_raisable`` too) and every plan see only the remaining portfolio. Within one run what
  is held out does not change (a release takes effect after it), or the run's own check of
  each round's balances would read a release as money gone missing.
- **Recorded**: when a withdraw run ends ``FILLED`` or ``PARTIALLY_FILLED`` (``after_run``),
  the cash it left free to pay out (the amount asked, or what was free when it raised less) is
  set aside at the asked venue, or over the venues holding free cash, the most first.
- **Released when it leaves**: the mirror of a deposit (``services.contributions``). Between
  runs, a fall of the venue's quote balance below the balance last seen with no run of ours
  since is the withdrawal being paid out (by at least the amount: all of it; less: that part,
  and the rest stays set aside): no run of ours explains it (none has moved
  since the balance was seen, none is in flight) and none of our transfers is on its way. A run
  that moved since makes the balance it left the new one to watch. The fall releases the
  set-aside and nothing else: the snapshot handed on is the same before and after.
- **Expiry**: with ``set_aside_days``, a set-aside not withdrawn by then counts as cash again;
  a day before (or a quarter of the period, when shorter) a ``SetAsideExpiring`` warns.

Every record and release is a typed event (``SetAsideRecorded``, ``SetAsideReleased``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal

from rebalancer.core.set_aside import held_by_venue, paid_out, spread_set_aside, without_set_asides
from rebalancer.domain.events import (
    SetAsideExpiring,
    SetAsideRecorded,
    SetAsideReduced,
    SetAsideReleased,
)
from rebalancer.domain.money import format_decimal
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import RunRecord
from rebalancer.domain.runs import RunStatus
from rebalancer.domain.set_asides import ReleaseCause, SetAside
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock, EventSink, Store

log = logging.getLogger(__name__)

DAEMON = "daemon"
WARN_BEFORE = timedelta(days=1)
ENDED_WITH_CASH = (RunStatus.FILLED, RunStatus.PARTIALLY_FILLED)


async def kept_out(store: Store, policy: Policy, snapshot: Snapshot) -> Snapshot:
    """``snapshot`` with the portfolio's active set-asides taken out of its quote balances
    (for views and request checks beside the daemon's own snapshots)."""
    active = await store.set_asides(policy.name)
    return without_set_asides(snapshot, policy.quote, held_by_venue(active, policy.quote))


def warn_from(item: SetAside) -> datetime | None:
    """When the coming expiry of ``item`` is announced (None: it never expires)."""
    if item.expires_at is None:
        return None
    period = item.expires_at - item.created_at
    return item.expires_at - min(WARN_BEFORE, period / 4)


class SetAsideKeeper:
    """One portfolio's set-asides: kept out of its snapshots, recorded, released."""

    def __init__(
        self,
        policy: Policy,
        store: Store,
        clock: Clock,
        events: EventSink,
        source: Callable[[], Awaitable[Snapshot]],
        *,
        days: int | None = None,
    ) -> None:
        self._policy = policy
        self._store = store
        self._clock = clock
        self._events = events
        self._source = source
        self._days = days
        self._last_raw: Snapshot | None = None
        # what the latest snapshot held out per venue, and the run it was for (None: between)
        self._held: tuple[str | None, dict[str, Decimal]] | None = None

    async def take_snapshot(self) -> Snapshot:
        """A fresh snapshot with the set-aside cash kept out; between runs, first release what
        left the venues or expired. During a run, what is held out stays as it was in the
        snapshot the run started from (``_held_for``)."""
        raw = await self._source()
        self._last_raw = raw
        quote = self._policy.quote
        running = await self._running()
        if running is not None:
            return without_set_asides(raw, quote, await self._held_for(running))
        active = list(await self._store.set_asides(self._policy.name))
        if active and await self._no_transfer_moving():
            active = await self._expire(active)
            active = await self._watch(raw, active)
        held = held_by_venue(active, quote)
        self._held = (None, held)
        return without_set_asides(raw, quote, held)

    async def _held_for(self, run_id: str) -> dict[str, Decimal]:
        """What is held out for the whole of run ``run_id``: as in the snapshot it started
        from (the last one taken between runs), or read at its first when there was none.

        A run's rounds are checked against each other (``round_checks``: the balances a round
        left against what its fills say); a set-aside a person released in the middle of a run
        would move the cash by its amount between two rounds and read as money gone missing.
        So a release takes effect from the first snapshot after the run.
        """
        if self._held is None or self._held[0] not in (None, run_id):
            active = await self._store.set_asides(self._policy.name)
            self._held = (run_id, held_by_venue(active, self._policy.quote))
        else:
            self._held = (run_id, self._held[1])
        return self._held[1]

    async def after_run(self, run: RunRecord, policy: Policy, snapshot: Snapshot) -> None:
        """Set aside what a withdraw run left free to pay out, from ``snapshot`` (its last)."""
        if run.run_type is not RunType.WITHDRAW or run.status not in ENDED_WITH_CASH:
            return
        if run.amount is None:
            return
        raw = self._last_raw
        if raw is None or raw.taken_at != snapshot.taken_at:
            raw = await self._source()
        now = self._clock.now()
        expires = None if not self._days else now + timedelta(days=self._days)
        for venue, amount in spread_set_aside(snapshot, policy, run.amount, run.venue):
            item = await self._store.record_set_aside(
                policy.name,
                venue,
                policy.quote,
                amount,
                seen_balance=raw.venue(venue).balance(policy.quote),
                run_id=run.id,
                expires_at=expires,
                at=now,
            )
            log.info(
                "%s set aside on %s for the withdrawal (%s): no run spends it",
                _shown(amount, policy.quote),
                venue,
                item.id,
            )
            await self._events.publish(
                SetAsideRecorded(
                    at=now,
                    portfolio=policy.name,
                    run_id=run.id,
                    set_aside_id=item.id,
                    venue=venue,
                    asset=policy.quote,
                    amount=amount,
                    asked=run.amount,
                    expires_at=expires,
                )
            )

    async def _running(self) -> str | None:
        """The id of the portfolio's run in flight (None: between runs)."""
        name = self._policy.name
        return next((r.id for r in await self._store.runs_in_flight() if r.portfolio == name), None)

    async def _no_transfer_moving(self) -> bool:
        """None of our transfers touching the portfolio's venues is on its way."""
        venues = set(self._policy.venues)
        pending = await self._store.pending_transfers()
        return not any({t.source, t.destination} & venues for t in pending)

    async def _expire(self, active: list[SetAside]) -> list[SetAside]:
        """Release what expired, warn of what expires soon; return what stays."""
        now, kept = self._clock.now(), []
        for item in active:
            if item.expires_at is not None and now >= item.expires_at:
                reason = f"not withdrawn by {item.expires_at:%Y-%m-%d %H:%M UTC}"
                await self._release(item, ReleaseCause.EXPIRED, reason)
                continue
            warn = warn_from(item)
            if warn is not None and now >= warn and item.warned_at is None:
                await self._warn(item, now)
            kept.append(item)
        return kept

    async def _warn(self, item: SetAside, now: datetime) -> None:
        """Announce that ``item`` expires soon (once)."""
        assert item.expires_at is not None  # warn_from says when
        await self._store.set_aside_warned(item.id, at=now)
        await self._events.publish(
            SetAsideExpiring(
                at=now,
                portfolio=item.portfolio,
                run_id=item.run_id,
                set_aside_id=item.id,
                venue=item.venue,
                asset=item.asset,
                amount=item.amount,
                expires_at=item.expires_at,
            )
        )

    async def _watch(self, raw: Snapshot, active: list[SetAside]) -> list[SetAside]:
        """Release the set-asides whose cash left its venue; return those that stay."""
        newest = await self._store.list_runs(self._policy.name, limit=1)
        moved_at = newest[0].updated_at if newest else None
        now, kept = self._clock.now(), []
        for venue in sorted({item.venue for item in active}):
            here = [item for item in active if item.venue == venue]
            if venue not in raw.venues:
                kept += here
                continue
            balance = raw.venue(venue).balance(self._policy.quote)
            here = [await self._rebased(item, balance, moved_at, now) for item in here]
            paid = {item.id: part for item, part in paid_out(here, balance)}
            for item in here:
                part = paid.get(item.id)
                if part is not None and part >= item.amount:
                    await self._release(item, ReleaseCause.WITHDRAWN, _fell(item, balance))
                elif part is not None:
                    if (reduced := await self._reduce(item, part, balance)) is not None:
                        kept.append(reduced)
                elif balance > item.seen_balance:  # the high point since: a fall counts from it
                    kept.append(await self._store.set_aside_seen(item.id, balance, at=now))
                else:
                    kept.append(item)
        return kept

    async def _reduce(self, item: SetAside, paid: Decimal, balance: Decimal) -> SetAside | None:
        """Part of ``item`` left: hold the rest, watched from ``balance``."""
        left = item.amount - paid
        reduced = await self._store.reduce_set_aside(
            item.id, left, seen_balance=balance, at=self._clock.now()
        )
        if reduced is None:
            return None  # a person released it meanwhile
        log.info(
            "%s of the %s set aside on %s withdrawn; %s still set aside (%s)",
            _shown(paid, item.asset),
            _shown(item.amount, item.asset),
            item.venue,
            _shown(left, item.asset),
            item.id,
        )
        await self._events.publish(
            SetAsideReduced(
                at=self._clock.now(),
                portfolio=item.portfolio,
                run_id=item.run_id,
                set_aside_id=item.id,
                venue=item.venue,
                asset=item.asset,
                paid=paid,
                left=left,
            )
        )
        return reduced

    async def _rebased(
        self, item: SetAside, balance: Decimal, moved_at: datetime | None, now: datetime
    ) -> SetAside:
        """``item`` watching ``balance`` from now when a run of ours moved since it was seen."""
        if moved_at is None or moved_at <= item.seen_at:
            return item
        return await self._store.set_aside_seen(item.id, balance, at=now)

    async def _release(self, item: SetAside, cause: ReleaseCause, reason: str) -> None:
        released = await self._store.release_set_aside(
            item.id, cause, by=DAEMON, reason=reason, at=self._clock.now()
        )
        if released is None:
            return  # a person released it meanwhile
        log.info(
            "%s set aside on %s %s: %s",
            _shown(item.amount, item.asset),
            item.venue,
            cause.value,
            reason,
        )
        await publish_release(self._events, released)


async def publish_release(events: EventSink, item: SetAside) -> None:
    """Publish ``SetAsideReleased`` for a set-aside just released."""
    assert item.released_at is not None
    assert item.release_cause is not None
    await events.publish(
        SetAsideReleased(
            at=item.released_at,
            portfolio=item.portfolio,
            run_id=item.run_id,
            set_aside_id=item.id,
            venue=item.venue,
            asset=item.asset,
            amount=item.amount,
            cause=item.release_cause,
            by=item.released_by or DAEMON,
            reason=item.release_reason or "",
        )
    )


def _fell(item: SetAside, balance: Decimal) -> str:
    """Why ``item`` counts as withdrawn."""
    fell = format_decimal(item.seen_balance - balance)
    return f"the {item.venue} balance fell by {fell} {item.asset} with no run or transfer of ours"


def _shown(amount: Decimal, asset: str) -> str:
    return f"{format_decimal(amount)} {asset}"
