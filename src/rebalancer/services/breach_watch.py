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
* Debounced: after an early check that started no run (the triggers said no, the check was
  skipped or failed), the next early check of that portfolio waits ``min_gap_s`` (the daemon
  uses a quarter of ``check_interval_s``). A check that ran a run opens no gap: the run changed
  the holdings, and a new breach of them is new work. A breach inside a gap is not dropped: a
  timer fires the check when the gap ends, if the portfolio is still breached then; quotes need
  not keep coming (a quiet market sends none).
* Never while a check or run of the portfolio is going: a breach seen then waits (the timer
  looks again every ``busy_poll_s``) and is dropped if the check that ends re-read the portfolio
  as breached (that check has seen it). Never once the daemon is stopping.
* Every check that takes a snapshot re-initialises the monitor from it (``reset``), and so does
  the snapshot the loop takes after a run ends, so the monitor always watches the balances the
  latest check or run left. A breach in the snapshot after a run that ended inside its bands
  is new (prices moved as the run ended) and is checked as soon as the run lets go.

All waiting goes through the ``Clock`` port, so tests move time by hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from rebalancer.core.drift_monitor import DriftMonitor
from rebalancer.domain.policy import Policy
from rebalancer.domain.quotes import Quote
from rebalancer.domain.records import RunRecord
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock
from rebalancer.services.daemon_loop import CheckAction, DaemonLoop
from rebalancer.services.rebalance_cycle import ended_at_goal

log = logging.getLogger(__name__)

BUSY_POLL_S = 0.1


class BreachWatch:
    """Per-portfolio drift monitors fed by quote updates; start early checks on a breach."""

    def __init__(
        self,
        loop: DaemonLoop,
        clock: Clock,
        *,
        min_gap_s: float,
        busy_poll_s: float = BUSY_POLL_S,
    ) -> None:
        if min_gap_s < 0:
            raise ValueError(f"min_gap_s must not be negative (got {min_gap_s})")
        if busy_poll_s <= 0:
            raise ValueError(f"busy_poll_s must be positive (got {busy_poll_s})")
        self._loop = loop
        self._clock = clock
        self._min_gap = timedelta(seconds=min_gap_s)
        self._busy_poll_s = busy_poll_s
        self._monitors: dict[str, DriftMonitor] = {}
        self._armed: dict[str, bool] = {}  # True: inside its bands since the last early check
        self._quiet_until: dict[str, datetime] = {}  # no early check before (after a fruitless one)
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._checks: set[asyncio.Task[None]] = set()
        self.early_checks = 0

    def reset(self, policy: Policy, snapshot: Snapshot, after_run: RunRecord | None = None) -> None:
        """Watch ``policy`` from the balances and quotes of ``snapshot``.

        A check's own snapshot (``after_run`` None) showing a breach disarms the watch: that
        check decides on it. So does the snapshot taken after a run that did not reach its goal
        (it could not fix the breach; the scheduled checks carry on). After a run whose last
        snapshot met its goal (inside every band), a breach here is new (prices moved as the
        run ended): it is checked like a streamed one, once the run lets go.
        """
        name = policy.name
        monitor = DriftMonitor(snapshot, policy)
        self._monitors[name] = monitor
        breached = monitor.breached()
        ended_inside = after_run is not None and ended_at_goal(after_run)
        self._armed[name] = not breached or ended_inside
        if breached and ended_inside:
            self._on_breach(name)

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
                self._on_breach(name)

    def close(self) -> None:
        """Cancel the timers of breaches still waiting (shutdown; running checks drain apart)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def pending(self, name: str) -> bool:
        """True while a breach of ``name`` waits for its gap to end or its check to let go."""
        return name in self._timers

    def _on_breach(self, name: str) -> None:
        if self._loop.stop.is_set() or name in self._timers:
            return  # stopping; or a timer already waits for this breach
        if self._gap_left_s(name) > 0 or self._loop.is_busy(name):
            self._timers[name] = asyncio.get_running_loop().create_task(
                self._check_when_due(name), name=f"early-check-timer:{name}"
            )
            return
        self._start(name)

    def _gap_left_s(self, name: str) -> float:
        quiet_until = self._quiet_until.get(name)
        if quiet_until is None:
            return 0.0
        return (quiet_until - self._clock.now()).total_seconds()

    async def _check_when_due(self, name: str) -> None:
        """Wait out the gap and any running check, then check if the breach still stands."""
        try:
            while not self._loop.stop.is_set():
                wait_s = self._gap_left_s(name)
                if wait_s <= 0 and not self._loop.is_busy(name):
                    break
                await self._clock.sleep(wait_s if wait_s > 0 else self._busy_poll_s)
        finally:
            self._timers.pop(name, None)
        monitor = self._monitors.get(name)
        if self._loop.stop.is_set() or not self._armed.get(name) or monitor is None:
            return  # stopping, or a check re-read the portfolio since (it has seen the breach)
        if monitor.breached():
            self._start(name)

    def _start(self, name: str) -> None:
        self._armed[name] = False
        self.early_checks += 1
        log.info("%s: a quote update breached a drift band; checking now", name)
        task = asyncio.get_running_loop().create_task(
            self._early_check(name), name=f"early-check:{name}"
        )
        self._checks.add(task)
        task.add_done_callback(self._finished)

    async def _early_check(self, name: str) -> None:
        """Run the loop's check; a check that started no run opens the debounce gap."""
        ran = False
        try:
            result = await self._loop.check(name)
            ran = result.action is CheckAction.RAN
        finally:
            if not ran:
                self._quiet_until[name] = self._clock.now() + self._min_gap

    def _finished(self, task: asyncio.Task[None]) -> None:
        """Forget a finished early check; log its failure (a check must never fail silently)."""
        self._checks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("%s failed: %s", task.get_name(), error, exc_info=error)
