"""One alert sink as an event subscriber: level, de-duplication, rendering, then its outbox.

The event hub calls ``deliver`` from this sink's own task, one event at a time, in log order.
``deliver`` decides whether the sink sends the event (its level is not ``off``, it is not a
repeat within the de-duplication window), renders it and queues one message per destination
(every Telegram chat, every Slack channel); it never waits for the network. ``flush_due``
sends what de-duplication held back once its window passes.

An event is taken up ``LINGER_S`` after it happened, not at once: the event that starts a run
(or places its first order) is published in the middle of the trading it reports, and the
sinks' work (reading the portfolio's weights, rendering, sending over HTTP) runs on the same
event loop. Waiting a quarter of a second lets the trade go first; a burst of events waits
once, not once each, since the wait counts from each event's own time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from rebalancer.alerting.dedupe import Deduper
from rebalancer.alerting.hints import Hints
from rebalancer.alerting.levels import Level, LevelTable
from rebalancer.alerting.outbox import Outbox, Outgoing
from rebalancer.alerting.render import Renderer, renders
from rebalancer.domain.events import Published
from rebalancer.ports import Clock

log = logging.getLogger(__name__)

LINGER_S = 0.25


@dataclass(frozen=True, slots=True)
class SinkSpec:
    """What makes one sink: its name, destinations, levels and how it words next steps."""

    name: str  # telegram, slack, webhook
    destinations: Sequence[str]
    levels: LevelTable
    hints: Hints


class AlertSink:
    """Subscribes one sink to the event hub (see the module doc)."""

    def __init__(
        self,
        spec: SinkSpec,
        renderer: Renderer,
        outbox: Outbox,
        clock: Clock,
        *,
        dedupe_window_s: float,
        linger_s: float = LINGER_S,
    ) -> None:
        self.name = f"alerts:{spec.name}"
        self.spec = spec
        self.outbox = outbox
        self._renderer = renderer
        self._clock = clock
        self._deduper = Deduper(dedupe_window_s)
        self._linger_s = linger_s
        self._delivering = 0

    @property
    def idle(self) -> bool:
        """True when no event is being taken up (lingering or rendering) right now."""
        return self._delivering == 0

    async def deliver(self, published: Published) -> None:
        """Queue ``published`` for every destination unless it is off or a repeat."""
        event = published.event
        if not renders(type(event)):
            return
        level = self.spec.levels.level(event)
        if level is Level.OFF:
            return
        self._delivering += 1
        try:
            await self._linger(published)
            if not self._deduper.admit(published, self._clock.now()):
                log.debug("alerts %s: %s #%d held back", self.spec.name, event.name, published.id)
                return
            await self._queue(published, level)
        finally:
            self._delivering -= 1

    async def _linger(self, published: Published) -> None:
        """Wait until ``linger_s`` after the event (no wait for an older one)."""
        age_s = (self._clock.now() - published.event.at).total_seconds()
        if 0 <= age_s < self._linger_s:
            await self._clock.sleep(self._linger_s - age_s)

    async def flush_due(self) -> None:
        """Send the alerts de-duplication held back whose window has passed."""
        for held in self._deduper.due(self._clock.now()):
            await self._queue(held, self.spec.levels.level(held.event))

    async def _queue(self, published: Published, level: Level) -> None:
        message = await self._renderer.render(published, self.spec.hints)
        for destination in self.spec.destinations:
            self.outbox.put(Outgoing(destination, message, silent=level is Level.SILENT))
