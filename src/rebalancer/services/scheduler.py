"""When the daemon checks its portfolios: APScheduler jobs on the running asyncio loop.

Per portfolio, one interval job checks drift, calendar and cooldown every ``check_interval_s``
(the first check runs at once); a portfolio with a calendar also gets a daily job just after
00:00 UTC, so a scheduled date is acted on promptly however long the interval. One more job
retries recovery while a venue is unreconciled.

Every job runs with ``coalesce=True`` (checks missed while the loop was busy run once, not once
each), ``max_instances=1`` and an explicit ``misfire_grace_time``; times are UTC. A job never
raises into APScheduler: a failed check is logged and the next one runs as planned.

``quiet_s`` is how long ago a job last started: the reconcile job starts every interval even
while a long run holds a portfolio's check, so a scheduler that has gone quiet for two
intervals has stopped firing, and the systemd watchdog is no longer fed (``runtime/daemon.py``).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from rebalancer.domain.policy import Policy
from rebalancer.services.daemon_loop import DaemonLoop

log = logging.getLogger(__name__)

RECONCILE_JOB = "reconcile"


def check_job_id(portfolio: str) -> str:
    """The id of a portfolio's interval check."""
    return f"check:{portfolio}"


def calendar_job_id(portfolio: str) -> str:
    """The id of a portfolio's daily calendar check."""
    return f"calendar:{portfolio}"


class CheckScheduler:
    """Owns the APScheduler instance; ``start`` needs a running event loop."""

    def __init__(
        self,
        loop: DaemonLoop,
        policies: Mapping[str, Policy],
        *,
        check_interval_s: float,
        misfire_grace_s: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loop = loop
        self._policies = dict(policies)
        self._interval_s = check_interval_s
        self._misfire_grace_s = misfire_grace_s
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._monotonic = monotonic
        self._last_started = monotonic()

    @property
    def interval_s(self) -> float:
        """The check interval in force (a reload may change it)."""
        return self._interval_s

    def quiet_s(self) -> float:
        """Seconds since a job last started (or since the scheduler was made)."""
        return self._monotonic() - self._last_started

    @property
    def jobs(self) -> list[Any]:
        """Every scheduled APScheduler job, by id."""
        return sorted(self._scheduler.get_jobs(), key=lambda job: str(job.id))

    def start(self) -> None:
        """Add every job and start the scheduler (first checks run right away)."""
        self._last_started = self._monotonic()
        self._add_jobs()
        self._scheduler.start()
        log.info(
            "scheduler started: %d portfolio(s) checked every %.0f s",
            len(self._policies),
            self._interval_s,
        )

    def reschedule(
        self, policies: Mapping[str, Policy], *, check_interval_s: float, misfire_grace_s: int
    ) -> None:
        """Replace every job with those of ``policies`` (after a config reload).

        Running jobs finish; the new interval checks start right away.
        """
        self._policies = dict(policies)
        self._interval_s = check_interval_s
        self._misfire_grace_s = misfire_grace_s
        self._scheduler.remove_all_jobs()
        self._add_jobs()

    def _add_jobs(self) -> None:
        now = self._loop.clock.now()
        interval = IntervalTrigger(seconds=self._interval_s, timezone=UTC)
        extra: dict[str, Any] = {
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": self._misfire_grace_s,
        }
        for name, policy in self._policies.items():
            self._scheduler.add_job(
                self._guard(check_job_id(name), functools.partial(self._loop.check, name)),
                interval,
                id=check_job_id(name),
                name=f"check {name}",
                next_run_time=now,
                **extra,
            )
            if policy.calendar is not None:
                self._scheduler.add_job(
                    self._guard(calendar_job_id(name), functools.partial(self._loop.check, name)),
                    CronTrigger(hour=0, minute=0, second=5, timezone=UTC),
                    id=calendar_job_id(name),
                    name=f"calendar {name}",
                    **extra,
                )
        # Half an interval after the checks: on the checks' own beat it would always find a
        # portfolio busy being checked (and skipped for the very venue it should reconcile).
        self._scheduler.add_job(
            self._guard(RECONCILE_JOB, self._loop.reconcile_again),
            interval,
            id=RECONCILE_JOB,
            name="reconcile unreconciled venues",
            next_run_time=now + timedelta(seconds=self._interval_s / 2),
            **extra,
        )

    def pause(self) -> None:
        """Start no more jobs; running ones go on (the loop drains them)."""
        if self._scheduler.running:
            self._scheduler.pause()

    def resume(self) -> None:
        """Start jobs again after ``pause``."""
        if self._scheduler.running:
            self._scheduler.resume()

    def shutdown(self) -> None:
        """Stop the scheduler. Call it after the loop drained: APScheduler's asyncio executor
        cancels the jobs still running when it shuts down (an order mid-flight included)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def _guard(
        self, job_id: str, call: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            self._last_started = self._monotonic()
            try:
                await call()
            except Exception:
                log.exception("job %s failed; it runs again at its next time", job_id)

        return job
