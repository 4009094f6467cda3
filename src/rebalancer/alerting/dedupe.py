"""Keep people from hearing the same thing twice within a window (``[alerts] dedupe_window_s``).

Two kinds of repeats are held back:

- the **same condition** again: one venue's staleness, one transfer being late, the same
  reconciliation difference, the same refused config, the same order failure; sent once per
  window. Any other event is held back only when it is the very same logged event again (its
  log id), so a second HALT after a resume is always heard;
- a **flapping condition**: a venue going stale again within the window after its last stale
  alert. Its recovery is then held back too, so what the person last read stays true. A stale
  alert held back and not followed by a recovery is sent once the window has passed
  (``due``), so a venue that stays stale is never left unreported.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta

from rebalancer.domain.events import (
    ConfigRefused,
    OrderFailed,
    Published,
    ReconciliationMismatch,
    TransferLate,
    VenueRecovered,
    VenueStale,
)


def identity(published: Published) -> Hashable:
    """What makes two events "the same alert" (see the module doc)."""
    event = published.event
    if isinstance(event, VenueStale | VenueRecovered):
        return (event.name, event.venue)
    if isinstance(event, TransferLate):
        return (event.name, event.transfer_id)
    if isinstance(event, ReconciliationMismatch):
        return (event.name, event.detail, event.venues)
    if isinstance(event, ConfigRefused):
        return (event.name, event.reason)
    if isinstance(event, OrderFailed):
        return (event.name, event.run_id, event.node_id, event.round, event.reason)
    return ("id", published.id)


class Deduper:
    """Decides, event by event, whether a sink sends it (``admit``) and what is now ``due``."""

    def __init__(self, window_s: float) -> None:
        self._window = timedelta(seconds=window_s)
        self._sent: dict[Hashable, datetime] = {}
        self._held_stale: dict[str, Published] = {}  # venue -> its stale alert held back

    def admit(self, published: Published, now: datetime) -> bool:
        """True when ``published`` should be sent now; records it as sent if so."""
        event = published.event
        self._forget_before(now - self._window)
        if isinstance(event, VenueRecovered):
            # held back when its stale alert was: the person never read that one
            return self._held_stale.pop(event.venue, None) is None
        key = identity(published)
        if key in self._sent:
            if isinstance(event, VenueStale):
                self._held_stale[event.venue] = published
            return False
        self._sent[key] = now
        return True

    def due(self, now: datetime) -> list[Published]:
        """Stale alerts held back whose window has passed with no recovery: send them now."""
        self._forget_before(now - self._window)
        ready = [
            held for venue, held in self._held_stale.items() if identity(held) not in self._sent
        ]
        for held in ready:
            event = held.event
            assert isinstance(event, VenueStale)
            del self._held_stale[event.venue]
            self._sent[identity(held)] = now
        return ready

    def _forget_before(self, cutoff: datetime) -> None:
        for key in [key for key, at in self._sent.items() if at <= cutoff]:
            del self._sent[key]
