"""Warnings about an unreachable venue, rate-limited: one line per venue per minute, then a sum.

An offline venue makes every stream drop and every REST refresh fail, several times a second;
logging each one buries the journal (an offline venue once printed 37 warnings in 37 s). The
first warning about a venue is logged at once; others within the next minute are counted and
held back; the first one after the minute says how many were held back and the last of them;
when the venue answers again, one line sums up what was held back since.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from rebalancer.ports import Clock

WINDOW_S = 60.0


@dataclass(slots=True)
class _Held:
    """Warnings about one venue since its last logged one."""

    since: datetime
    count: int = 0
    last: str = ""


class VenueWarnings:
    """Rate-limits warnings per venue (see the module doc)."""

    def __init__(self, clock: Clock, window_s: float = WINDOW_S) -> None:
        self._clock = clock
        self._window_s = window_s
        self._held: dict[str, _Held] = {}

    def warn(self, logger: logging.Logger, venue: str, message: str) -> None:
        """Log ``message`` about ``venue`` now, or count it if one was logged within the window."""
        now = self._clock.now()
        held = self._held.get(venue)
        if held is not None and (now - held.since).total_seconds() < self._window_s:
            held.count += 1
            held.last = message
            return
        logger.warning("%s%s", message, self._summary(venue, held, ""))
        self._held[venue] = _Held(since=now)

    def recovered(self, logger: logging.Logger, venue: str, message: str) -> None:
        """``venue`` answers again: say so once, with what was held back, if anything was."""
        held = self._held.pop(venue, None)
        if held is not None:
            logger.info("%s%s", message, self._summary(venue, held, " meanwhile"))

    def _summary(self, venue: str, held: _Held | None, when: str) -> str:
        if held is None or held.count == 0:
            return ""
        return (
            f" ({held.count} more warning(s) about {venue}{when} held back since "
            f"{held.since:%H:%M:%S}Z; the last: {held.last})"
        )
