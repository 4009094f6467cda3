"""Early checks: a portfolio whose band is breached by a streamed quote is checked at once.

The scheduler checks every ``check_interval_s`` (60 s by default); a price that leaves a band
just after a check would wait up to that long. ``BreachWatch`` listens to every quote update
market state applies and keeps one ``DriftMonitor`` per portfolio (a few ``Decimal`` operations
per asset per update, no snapshot). When a monitor goes from inside its bands to breached it
starts ``DaemonLoop.check`` of that portfolio: the very check the scheduler runs, so the triggers
(cooldown, breaker, approval, unreconciled venues) decide as always.

* Edge-triggered: one early check per breach. A portfolio that stays breached (a cooldown holds
  it, the breaker is open) is not checked again early until it has been back inside its bands;
  its scheduled checks go on as usual.
* Debounced: at most one early check per portfolio per ``min_gap_s`` (the daemon uses a quarter
  of ``check_interval_s``); a breach seen inside that gap fires on the first update after it.
* Never while a check or run of the portfolio is going (the loop would skip it anyway).
* Every check that takes a snapshot re-initialises the monitor from it (``reset``), and so does
  the snapshot the loop takes after a run ends, so the monitor always watches the balances the
  latest check or run left.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

from rebalancer.core.drift_monitor import DriftMonitor
from rebalancer.domain.policy import Policy
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import Snapshot
from rebalancer.services.daemon_loop import DaemonLoop

log = logging.getLogger(__name__)


class BreachWatch:
    """Per-portfolio drift monitors fed by quote updates; start early checks on a breach."""

    def __init__(
        self,
        loop: DaemonLoop,
        *,
        min_gap_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if min_gap_s < 0:
            raise ValueError(f"min_gap_s must not be negative (got {min_gap_s})")
        self._loop = loop
        self._min_gap_s = min_gap_s
        self._monotonic = monotonic
        self._monitors: dict[str, DriftMonitor] = {}
        self._armed: dict[str, bool] = {}  # True: inside its bands since the last early check
        self._last_early: dict[str, float] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self.early_checks = 0

    def reset(self, policy: Policy, snapshot: Snapshot) -> None:
        """Watch ``policy`` from the balances and quotes of ``snapshot`` (a check's snapshot)."""
        monitor = DriftMonitor(snapshot, policy)
        self._monitors[policy.name] = monitor
        self._armed[policy.name] = not monitor.breached()

    def on_quotes(self, venue: str, quotes: Mapping[str, Quote]) -> None:
        """Market state's quote listener: update each watching monitor, check on a new breach."""
        for name, monitor in self._monitors.items():
            breached: bool | None = None
            for symbol, quote in quotes.items():
                if monitor.watches(venue, symbol):
                    breached = monitor.update_quote(venue, symbol, quote)
            if breached is None:
                continue
            if not breached:
                self._armed[name] = True
            elif self._armed[name]:
                self._maybe_check(name)

    def _maybe_check(self, name: str) -> None:
        now = self._monotonic()
        last = self._last_early.get(name)
        if last is not None and now - last < self._min_gap_s:
            return  # stays armed: fires on an update after the gap
        if self._loop.is_busy(name) or self._loop.stop.is_set():
            return
        self._armed[name] = False
        self._last_early[name] = now
        self.early_checks += 1
        log.info("%s: a quote update breached a drift band; checking now", name)
        task = asyncio.get_running_loop().create_task(
            self._loop.check(name), name=f"early-check:{name}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[object]) -> None:
        """Forget a finished early check; log its failure (a check must never fail silently)."""
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("%s failed: %s", task.get_name(), error, exc_info=error)
