"""The circuit breaker as the running daemon holds it: persisted, logged, shared by services.

The state machine is pure (``rebalancer.core.breaker``); this keeper loads it from the Store at
start-up, applies trips, failures and resumes, and for every transition writes the new state
with its reasons to the Store, publishes a ``BreakerTransition`` event and logs a WARNING
(REDUCING or a resume) or an ERROR (HALTED).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from rebalancer.core.breaker import (
    Breaker,
    BreakerLimits,
    BreakerTransition,
    TripCause,
    TripReason,
)
from rebalancer.domain import events
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.market import OrderSide
from rebalancer.ports import Clock, EventSink, Store
from rebalancer.services.event_hub import EventHub

log = logging.getLogger(__name__)


def _encode(cause: TripCause) -> str:
    return f"{cause.reason.value}: {cause.detail}"


def _decode(text: str, at: datetime) -> TripCause:
    head, _, detail = text.partition(": ")
    try:
        return TripCause(TripReason(head), detail, at)
    except ValueError:
        return TripCause(TripReason.MANUAL, text, at)


class BreakerKeeper:
    """Owns the daemon's one breaker: every change goes through here."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        limits: BreakerLimits | None = None,
        *,
        events: EventSink | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._events = events or EventHub(store)
        self._breaker = Breaker(limits=limits or BreakerLimits())

    @property
    def breaker(self) -> Breaker:
        """The current breaker value."""
        return self._breaker

    @property
    def state(self) -> BreakerState:
        """ACTIVE, REDUCING or HALTED."""
        return self._breaker.state

    def allows(self, side: OrderSide | None) -> bool:
        """May a new order of ``side`` (None: a transfer) start now?"""
        return self._breaker.allows(side)

    async def load(self) -> Breaker:
        """Restore the persisted state (a HALT survives restarts; resume stays explicit)."""
        record = await self._store.get_breaker()
        if record is not None:
            causes = tuple(_decode(text, record.at) for text in record.reasons)
            self._breaker = Breaker(record.state, causes, 0, self._breaker.limits)
        return self._breaker

    async def trip(
        self, reason: TripReason, detail: str, to: BreakerState | None = None
    ) -> BreakerTransition | None:
        """Trip for ``reason``; persist and log when the state changes."""
        self._breaker, event = self._breaker.trip(reason, detail, self._clock.now(), to)
        return await self._publish(event)

    async def failure(self, detail: str) -> BreakerTransition | None:
        """Count a failed node; trips after the configured streak."""
        self._breaker, event = self._breaker.record_failure(detail, self._clock.now())
        return await self._publish(event)

    def success(self) -> None:
        """A node succeeded: the failure streak starts over."""
        self._breaker = self._breaker.record_success()

    async def slippage(
        self, side: OrderSide, expected: Decimal, actual: Decimal
    ) -> BreakerTransition | None:
        """Check one fill's price against what the plan expected."""
        self._breaker, event = self._breaker.check_slippage(
            side, expected, actual, self._clock.now()
        )
        return await self._publish(event)

    async def resume(self, by: str) -> BreakerTransition | None:
        """A person resumes trading: back to ACTIVE."""
        self._breaker, event = self._breaker.resume(by, self._clock.now())
        return await self._publish(event)

    async def _publish(self, event: BreakerTransition | None) -> BreakerTransition | None:
        if event is None:
            return None
        reasons = [_encode(cause) for cause in self._breaker.causes]
        await self._store.set_breaker(event.state, reasons, at=event.at)
        await self._events.publish(
            events.BreakerTransition(
                at=event.at,
                previous=event.previous,
                state=event.state,
                reason=event.reason.value if event.reason else "resume",
                detail=event.detail,
            )
        )
        level = logging.ERROR if event.state is BreakerState.HALTED else logging.WARNING
        log.log(
            level,
            "circuit breaker %s -> %s: %s",
            event.previous.value,
            event.state.value,
            event.detail,
        )
        return event
