"""Recurring runs by calendar (``[[portfolios.P.schedule]]``): DCA contributions, withdrawals.

Each entry names a run (``invest_cash`` or ``withdraw``, an amount, a venue) and a calendar
rule, read exactly as ``[portfolios.P.calendar]`` is (weekly, monthly, quarterly, annually; a
day past a month's end means its last day; dates are UTC). An entry is due for the latest of
its dates on or before today, once that date is on or after the day the daemon first saw the
entry: adding an entry on the 15th does not withdraw for the 1st that already passed, but a
daemon that was down on the 1st withdraws when it is back. Each (entry, date) is requested at
most once, ever: the request's key is the entry and the date, and the Store refuses a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from rebalancer.core import calendar
from rebalancer.domain.requests import ScheduledRun
from rebalancer.ports import Clock, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DueRun:
    """A scheduled run whose date has come, and the key that makes it once only."""

    entry: ScheduledRun
    on: date
    key: str

    @property
    def by(self) -> str:
        """Who asks, for the run's history."""
        rule = self.entry.rule
        return f"schedule ({rule.every.value} {rule.day}, due {self.on.isoformat()})"


def schedule_key(portfolio: str, entry: ScheduledRun, on: date) -> str:
    """The request key of ``entry``'s run for the date ``on``."""
    return f"schedule:{portfolio}:{entry.key}:{on.isoformat()}"


def due_date(entry: ScheduledRun, first_seen: datetime, now: datetime) -> date | None:
    """The date ``entry`` is due for at ``now`` (None: none since it was first seen)."""
    latest = calendar.latest_on_or_before(entry.rule, now.date())
    return latest if latest >= first_seen.date() else None


class ScheduleWatch:
    """Says which of one portfolio's recurring runs are due and not yet requested."""

    def __init__(
        self, portfolio: str, entries: tuple[ScheduledRun, ...], store: Store, clock: Clock
    ) -> None:
        self._portfolio = portfolio
        self._entries = entries
        self._store = store
        self._clock = clock
        self._first_seen: dict[str, datetime] = {}
        self._done: set[str] = set()  # keys already requested (the Store knows them too)

    async def due(self) -> list[DueRun]:
        """Every entry due now whose run has not been requested yet, in config order."""
        now = self._clock.now()
        found: list[DueRun] = []
        for entry in self._entries:
            first_seen = await self._seen(entry, now)
            on = due_date(entry, first_seen, now)
            if on is None:
                continue
            key = schedule_key(self._portfolio, entry, on)
            if key in self._done:
                continue
            if await self._store.request_by_key(key) is not None:
                self._done.add(key)
                continue
            found.append(DueRun(entry, on, key))
        return found

    def requested(self, due: DueRun) -> None:
        """``due``'s run was requested (or found requested): do not ask again."""
        self._done.add(due.key)

    async def _seen(self, entry: ScheduledRun, now: datetime) -> datetime:
        if entry.key not in self._first_seen:
            self._first_seen[entry.key] = await self._store.schedule_first_seen(
                self._portfolio, entry.key, at=now
            )
        return self._first_seen[entry.key]
