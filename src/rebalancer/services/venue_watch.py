"""Notice when a venue's live data goes bad or comes back, and publish it once per change.

Every ``interval_s`` the watch asks the health probe about each venue. A venue that turns
unhealthy (stale prices or balances, a stream down, not reconciled) is published as
``VenueStale`` with its reasons; one that is healthy again as ``VenueRecovered``. Only changes
are published, so a venue that stays stale is reported once, not every few seconds.
"""

from __future__ import annotations

import logging

from rebalancer.domain.events import VenueRecovered, VenueStale
from rebalancer.ports import Clock, EventSink
from rebalancer.services.health import HealthProbe

log = logging.getLogger(__name__)


class VenueWatch:
    """Publishes venue health changes (see the module doc)."""

    def __init__(self, probe: HealthProbe, events: EventSink, clock: Clock) -> None:
        self._probe = probe
        self._events = events
        self._clock = clock
        self._stale: dict[str, tuple[str, ...]] = {}

    async def step(self) -> None:
        """Look at every venue once; publish what changed since the last look."""
        for venue in self._probe.venues:
            status = self._probe.venue(venue)
            was_stale = venue in self._stale
            if status.problems and not was_stale:
                self._stale[venue] = status.problems
                log.warning("venue %s is stale: %s", venue, "; ".join(status.problems))
                await self._events.publish(
                    VenueStale(at=self._clock.now(), venue=venue, reasons=status.problems)
                )
            elif not status.problems and was_stale:
                del self._stale[venue]
                log.info("venue %s recovered", venue)
                await self._events.publish(VenueRecovered(at=self._clock.now(), venue=venue))

    async def run(self, interval_s: float) -> None:
        """Step every ``interval_s`` until cancelled; a failed step is logged, never fatal."""
        while True:
            try:
                await self.step()
            except Exception:
                log.exception("venue watch step failed")
            await self._clock.sleep(interval_s)
