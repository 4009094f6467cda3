"""Is the daemon healthy? The answer ``/health``, ``rebalancer status`` and the metrics share.

Healthy means all of:

- a check completed within ``max_check_age_s`` (or one is running now: a long run keeps its
  portfolio busy, and the systemd watchdog is what catches a wedged loop);
- every venue is reconciled, ready (fresh prices and balances) and none of its streams is down;
- the circuit breaker is ACTIVE.

A stream is **down** when it dropped and has not spoken since, and its last drop is recent
(within ``stream_down_window_s``): a reconnect that keeps failing keeps dropping, while a stream
that reconnected but has nothing to say (a balance stream on an idle account) stops counting as
down once the window passes. A stream that is merely silent is not down; its venue's data is
polled over REST and readiness says whether that data is fresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rebalancer.core.staleness import age_s
from rebalancer.domain.breaker import BreakerState
from rebalancer.ports import Clock
from rebalancer.services.daemon_loop import DaemonLoop
from rebalancer.services.market_state import MarketState
from rebalancer.services.streams import StreamHealth


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """One websocket stream of a venue, as an operator sees it."""

    name: str
    connected: bool
    down: bool
    age_s: float | None  # since its last message (None: never spoke)
    messages: int
    drops: int
    reconnects: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class VenueStatus:
    """One venue: reconciled, ready, how its data arrives, and what is wrong (if anything)."""

    venue: str
    ready: bool
    reconciled: bool
    mode: str  # streaming | polling
    streams: tuple[StreamStatus, ...]
    problems: tuple[str, ...]

    @property
    def healthy(self) -> bool:
        """True when nothing is wrong with the venue."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The daemon's health at ``at``, with every problem in words."""

    at: datetime
    healthy: bool
    last_check_at: datetime | None
    last_reconciled_at: datetime | None
    checking: tuple[str, ...]  # portfolios with a check or run going now
    breaker: BreakerState
    venues: tuple[VenueStatus, ...]
    problems: tuple[str, ...]


def stream_status(health: StreamHealth, now: datetime, down_window_s: float) -> StreamStatus:
    """How one stream stands at ``now``."""
    drop_age = age_s(health.last_drop_at, now)
    down = not health.connected and drop_age is not None and drop_age <= down_window_s
    return StreamStatus(
        name=health.name,
        connected=health.connected,
        down=down,
        age_s=age_s(health.last_message_at, now),
        messages=health.messages,
        drops=health.drops,
        reconnects=health.reconnects,
        last_error=health.last_error,
    )


class HealthProbe:
    """Reads the running daemon's parts and says how healthy they are."""

    def __init__(
        self,
        loop: DaemonLoop,
        market_state: MarketState,
        clock: Clock,
        *,
        max_check_age_s: float,
        breaker: Callable[[], BreakerState] | None = None,
    ) -> None:
        self._loop = loop
        self._market_state = market_state
        self._clock = clock
        self.max_check_age_s = max_check_age_s
        self._breaker = breaker or (lambda: loop.breaker_state)
        settings = market_state.settings
        self.stream_down_window_s = (
            settings.reconnect_max_backoff_s + settings.stream_silent_after_s
        )

    @property
    def venues(self) -> tuple[str, ...]:
        """Every venue the daemon watches."""
        return self._market_state.venues

    def venue(self, name: str) -> VenueStatus:
        """One venue's status now."""
        now = self._clock.now()
        state = self._market_state.venue(name)
        streams = tuple(
            stream_status(health, now, self.stream_down_window_s)
            for _, health in sorted(state.streams.items())
        )
        readiness = self._market_state.readiness(name)
        reconciled = name not in self._loop.unreconciled
        problems = list(readiness.reasons)
        problems += [f"{s.name} stream down ({s.last_error})" for s in streams if s.down]
        if not reconciled:
            problems.append("not reconciled")
        return VenueStatus(
            venue=name,
            ready=readiness.ready,
            reconciled=reconciled,
            mode=self._market_state.mode(name).value,
            streams=streams,
            problems=tuple(problems),
        )

    def report(self) -> HealthReport:
        """The whole daemon's health now."""
        now = self._clock.now()
        venues = tuple(self.venue(name) for name in self.venues)
        checking = tuple(name for name in self._loop.portfolios if self._loop.is_busy(name))
        breaker = self._breaker()
        problems = [f"{v.venue}: {p}" for v in venues for p in v.problems]
        last_check = self._loop.last_check_at
        check_age = age_s(last_check, now)
        if not checking and (check_age is None or check_age > self.max_check_age_s):
            problems.append(
                "no check has completed yet"
                if check_age is None
                else f"no check completed for {check_age:.0f} s (limit {self.max_check_age_s:g} s)"
            )
        if breaker is not BreakerState.ACTIVE:
            problems.append(f"circuit breaker is {breaker.value}")
        return HealthReport(
            at=now,
            healthy=not problems,
            last_check_at=last_check,
            last_reconciled_at=self._loop.last_reconciled_at,
            checking=checking,
            breaker=breaker,
            venues=venues,
            problems=tuple(problems),
        )
