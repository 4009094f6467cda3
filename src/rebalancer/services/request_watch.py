"""Bring what operators write to the running daemon within a poll interval.

``rebalancer request``, ``approve`` and the chat and API commands only write to the state
database (``services.operations``). This watch reads it every ``poll_s`` (a quarter of a
second by default; one indexed query, plus one per run waiting for approval) and starts a
check of every portfolio with a run request waiting to be taken, or an approved run waiting to
be carried out, so that neither waits for the next scheduled check. SQLite has no change
notification across processes, so a short poll it is; it works the same on PostgreSQL.

A check the watch starts that finds the portfolio unable to trade (paused, breaker, a venue not
reconciled, busy) is retried no sooner than ``retry_s`` later, and logs at DEBUG, so a request
waiting for an unpause neither floods the log nor the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta

from rebalancer.domain.runs import RunStatus
from rebalancer.ports import Store
from rebalancer.services.daemon_loop import APPROVED, CheckAction, CheckResult, DaemonLoop
from rebalancer.services.pauses import pause
from rebalancer.services.rebalance_cycle import approvals_since_parked

log = logging.getLogger(__name__)

DEFAULT_POLL_S = 0.25
DEFAULT_RETRY_S = 2.0


class RequestWatch:
    """Polls the Store for waiting requests and approvals; starts prompt checks for them."""

    def __init__(
        self,
        loop: DaemonLoop,
        store: Store,
        *,
        poll_s: float = DEFAULT_POLL_S,
        retry_s: float = DEFAULT_RETRY_S,
    ) -> None:
        self._loop = loop
        self._store = store
        self._poll_s = poll_s
        self._retry = timedelta(seconds=retry_s)
        self._not_before: dict[str, datetime] = {}  # portfolio -> when a skipped one may retry
        self._tasks: set[asyncio.Task[CheckResult]] = set()
        self._failures = 0

    async def run(self) -> None:
        """Poll until the loop's ``stop`` is set; a failed poll is logged and tried again."""
        log.info("request watch: polling for run requests and approvals every %.2f s", self._poll_s)
        while not self._loop.stop.is_set():
            try:
                await self.poll()
                self._failures = 0
            except Exception:
                self._failures += 1
                if self._failures == 1:  # once per streak: the database may be briefly locked
                    log.exception("request watch: polling the state database failed")
            await pause(self._loop.clock, self._poll_s, self._loop.stop)

    async def poll(self) -> list[str]:
        """Start a check of each portfolio with something waiting; return their names."""
        started: list[str] = []
        for name in sorted(await self.waiting()):
            if name not in self._loop.portfolios or self._loop.is_busy(name):
                continue
            not_before = self._not_before.get(name)
            if not_before is not None and self._loop.clock.now() < not_before:
                continue
            self._spawn(name, self._loop.check(name, prompt=True))
            started.append(name)
        return started

    async def waiting(self) -> set[str]:
        """Portfolios with a request not yet taken, or an approved run not yet carried out."""
        names = {
            request.request.portfolio
            for request in await self._store.pending_requests()
            if request.taken_at is None
        }
        for run in await self._store.runs_in_flight():
            waiting = run.status is RunStatus.AWAITING_APPROVAL and run.portfolio not in names
            if waiting and await approvals_since_parked(self._store, run.id, APPROVED):
                names.add(run.portfolio)
        return names

    def _spawn(self, name: str, check: Awaitable[CheckResult]) -> None:
        async def checked() -> CheckResult:
            result = await check
            if result.action is CheckAction.SKIPPED:
                self._not_before[name] = self._loop.clock.now() + self._retry
            else:
                self._not_before.pop(name, None)
            return result

        task = asyncio.create_task(checked(), name=f"request-check:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Wait for the checks this watch started (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
