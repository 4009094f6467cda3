"""Time for the engine: an injected callable returning epoch seconds.

The engine never reads the system clock itself. The server passes ``time.time``; tests pass a
``ManualClock`` and move it forward explicitly, so nothing ever sleeps to test time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(slots=True)
class ManualClock:
    """A clock that moves only when told to."""

    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        """The current time in epoch seconds."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        self.now += seconds
