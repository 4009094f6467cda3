"""Simulated time: a ``Clock`` whose sleeps cost nothing, moved on by the backtest bar by bar.

``sleep(seconds)`` moves the clock forward by ``seconds`` at once (and yields to the event loop
so other tasks run), so a transfer's five-minute ETA or a limit order's timeout takes no real
time. Waits of tasks running side by side are taken one after the other: two transfers polled
in parallel move the clock by the sum of their polls, so simulated time can run ahead of what
the same waits would take live; it never runs backwards.

``advance_to`` moves time to a bar's close; listeners (the price feed) hear every move, so
prices follow the clock even while a long run sleeps across a bar's boundary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from rebalancer.domain.errors import InvalidValue

Listener = Callable[[datetime], None]


class SimulatedClock:
    """A UTC clock that moves only when told to or when something sleeps on it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None or start.utcoffset() is None:
            raise InvalidValue(f"simulated clock: start {start.isoformat()} has no time zone")
        self._now = start
        self._listeners: list[Listener] = []
        self.slept_s = 0.0  # total simulated seconds spent in sleeps

    def now(self) -> datetime:
        """The simulated time."""
        return self._now

    def epoch_s(self) -> float:
        """The simulated time in epoch seconds (the exchange engine's clock)."""
        return self._now.timestamp()

    async def sleep(self, seconds: float) -> None:
        """Move time on by ``seconds`` at once, then let other tasks run."""
        if seconds > 0:
            self.slept_s += seconds
            self.advance_to(self._now + timedelta(seconds=seconds))
        await asyncio.sleep(0)

    def advance_to(self, moment: datetime) -> None:
        """Move time forward to ``moment`` (never back) and tell every listener."""
        if moment <= self._now:
            return
        self._now = moment
        for listener in self._listeners:
            listener(moment)

    def on_advance(self, listener: Listener) -> None:
        """Call ``listener(now)`` after every move of the clock."""
        self._listeners.append(listener)
