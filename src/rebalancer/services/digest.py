"""The daily digest: once a day, at a local time, one ``Digest`` event per portfolio.

Each says where the portfolio stands (value, every asset's weight against its target and
band) and what happened since the previous digest: how many runs, how many failed, what they
traded and paid in fees (from their ``RunEnded`` events, in the quote asset). The previous
digest's time is read back from the event log at start, so a restart neither repeats nor
widens the window; the first digest covers the day before it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from rebalancer.core.daily import next_daily
from rebalancer.core.drift import DriftReport
from rebalancer.domain.events import Digest, RunEnded
from rebalancer.domain.policy import Policy
from rebalancer.domain.runs import RunStatus
from rebalancer.ports import Clock, EventSink, Store

log = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(days=1)
LOG_LOOKBACK = 2000  # events read back at start to find the previous digests
RUNS_LOOKBACK = 500


class DigestSchedule:
    """Publishes every portfolio's digest at ``at`` o'clock in ``zone``, every day."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        events: EventSink,
        policies: Callable[[], Mapping[str, Policy]],
        standing: Callable[[Policy], Awaitable[DriftReport | None]],
        *,
        at: time,
        zone: ZoneInfo,
    ) -> None:
        self._store = store
        self._clock = clock
        self._events = events
        self._policies = policies
        self._standing = standing
        self._at = at
        self._zone = zone
        self._last: dict[str, datetime] = {}

    async def run(self) -> None:
        """Wait for each digest time and publish, until cancelled."""
        await self._recall()
        while True:
            now = self._clock.now()
            due = next_daily(now, self._at, self._zone)
            log.info("next daily digest at %s", due.isoformat())
            await self._clock.sleep((due - now).total_seconds())
            await self.publish_all()

    async def _recall(self) -> None:
        for record in await self._store.events(limit=LOG_LOOKBACK):
            portfolio = record.payload.get("portfolio")
            if record.kind == Digest.__name__ and isinstance(portfolio, str):
                self._last[portfolio] = record.at

    async def publish_all(self) -> None:
        """Publish a digest of every portfolio now (one failing does not stop the others)."""
        for policy in self._policies().values():
            try:
                digest = await self.digest(policy)
            except Exception:
                log.exception("%s: the daily digest could not be made", policy.name)
                continue
            if digest is None:
                log.warning("%s: no daily digest (its venues are not ready)", policy.name)
                continue
            await self._events.publish(digest)
            self._last[policy.name] = digest.at

    async def digest(self, policy: Policy) -> Digest | None:
        """The digest of ``policy`` now (None: its weights cannot be known now)."""
        drift = await self._standing(policy)
        if drift is None:
            return None
        now = self._clock.now()
        since = self._last.get(policy.name)
        runs, failed, traded, cost = await self._runs_since(
            policy.name, since or now - FIRST_WINDOW
        )
        return Digest(
            at=now,
            portfolio=policy.name,
            quote=policy.quote,
            value=drift.total,
            weights={item.asset: item.weight for item in drift.assets},
            targets={item.asset: item.target for item in drift.assets},
            lower={item.asset: item.lower for item in drift.assets},
            upper={item.asset: item.upper for item in drift.assets},
            inside_bands=not drift.any_breached,
            runs=runs,
            failed=failed,
            traded=traded,
            cost=cost,
            since=since,
        )

    async def _runs_since(
        self, portfolio: str, since: datetime
    ) -> tuple[int, int, Decimal, Decimal]:
        runs = [
            run
            for run in await self._store.list_runs(portfolio, RUNS_LOOKBACK)
            if run.created_at >= since
        ]
        failed = sum(1 for run in runs if run.status is RunStatus.FAILED)
        traded = cost = Decimal(0)
        for run in runs:
            for record in await self._store.events(run.id, limit=200):
                if record.kind == RunEnded.__name__:
                    traded += _decimal(record.payload.get("traded"))
                    cost += _decimal(record.payload.get("cost"))
        return len(runs), failed, traded, cost


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
