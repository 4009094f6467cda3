"""When live market data can be trusted: staleness, silent streams, readiness, reconnect delays.

Pure functions of ``now`` (and, for the backoff, of a random draw passed in), so market state can
be tested with a controllable clock and never sleeps to test time.

- A value (a quote, the balances) is **stale** when it is older than ``max_age_s``, or missing.
- A stream is **silent** when nothing arrived for ``stream_silent_after_s`` since it last spoke
  (or since it was started, if it never spoke). A silent stream's data is polled over REST.
- A venue is **ready** when its markets are loaded and its balances and every required quote are
  fresh. Nothing is planned on a venue that is not ready; the reasons say why.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


class FeedMode(enum.StrEnum):
    """Where a venue's data currently comes from."""

    STREAMING = "streaming"  # websockets are speaking
    POLLING = "polling"  # a stream is silent or down: REST fills in


@dataclass(frozen=True, slots=True)
class FreshnessRules:
    """The limits of trust: data age and stream silence, in seconds."""

    max_age_s: float
    stream_silent_after_s: float

    def __post_init__(self) -> None:
        if self.max_age_s <= 0:
            raise ValueError(f"max_age_s: must be positive, got {self.max_age_s}")
        if self.stream_silent_after_s <= 0:
            raise ValueError(
                f"stream_silent_after_s: must be positive, got {self.stream_silent_after_s}"
            )


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether a venue may be planned on, and if not, every reason why."""

    venue: str
    reasons: tuple[str, ...]

    @property
    def ready(self) -> bool:
        """True when nothing stands in the way."""
        return not self.reasons


def age_s(then: datetime | None, now: datetime) -> float | None:
    """Seconds from ``then`` to ``now`` (None when ``then`` is unknown)."""
    if then is None:
        return None
    return (now - then).total_seconds()


def is_stale(then: datetime | None, now: datetime, max_age_s: float) -> bool:
    """True when a value stamped ``then`` is missing or older than ``max_age_s`` at ``now``."""
    age = age_s(then, now)
    return age is None or age > max_age_s


def is_silent(
    last_message_at: datetime | None, started_at: datetime, now: datetime, silent_after_s: float
) -> bool:
    """True when a stream started at ``started_at`` has said nothing for ``silent_after_s``."""
    reference = last_message_at if last_message_at is not None else started_at
    return (now - reference).total_seconds() > silent_after_s


def feed_mode(quiet_streams: Iterable[str]) -> FeedMode:
    """POLLING while any stream is silent or down (``quiet_streams`` names them), else STREAMING."""
    return FeedMode.POLLING if tuple(quiet_streams) else FeedMode.STREAMING


def venue_readiness(
    venue: str,
    now: datetime,
    rules: FreshnessRules,
    *,
    markets_loaded: bool,
    balances_at: datetime | None,
    quotes_at: Mapping[str, datetime | None],
    required_symbols: Iterable[str],
) -> Readiness:
    """Decide whether ``venue`` is ready at ``now``; list every reason when it is not."""
    reasons: list[str] = []
    if not markets_loaded:
        reasons.append("markets not loaded")
    if balances_at is None:
        reasons.append("no balances yet")
    elif is_stale(balances_at, now, rules.max_age_s):
        reasons.append(f"balances older than {rules.max_age_s:g}s")
    for symbol in sorted(set(required_symbols)):
        stamped = quotes_at.get(symbol)
        if stamped is None:
            reasons.append(f"no quote for {symbol}")
        elif is_stale(stamped, now, rules.max_age_s):
            reasons.append(f"quote for {symbol} older than {rules.max_age_s:g}s")
    return Readiness(venue, tuple(reasons))


def reconnect_delay_s(attempt: int, initial_s: float, maximum_s: float, draw: float) -> float:
    """The wait before reconnect ``attempt`` (0-based): capped exponential with jitter.

    ``draw`` is a uniform random number in [0, 1) supplied by the caller; the delay lies in
    [half, all] of the capped exponential value, so reconnecting clients spread out but never
    hammer the venue with near-zero waits.
    """
    if not 0 <= draw < 1:
        raise ValueError(f"draw: must be in [0, 1), got {draw}")
    capped = min(maximum_s, initial_s * 2.0 ** max(attempt, 0))
    return capped * (0.5 + 0.5 * draw)
