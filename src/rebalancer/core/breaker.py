"""The circuit breaker: a pure state machine over ACTIVE, REDUCING and HALTED.

ACTIVE trades freely. REDUCING allows cancels and sells but no new buys. HALTED allows no new
orders or transfers at all. The breaker trips automatically (repeated failures, slippage beyond
a limit, a reconciliation mismatch, stale data, a failed price check, an overdue transfer) and
only ever towards more caution; going back to ACTIVE is an explicit ``resume`` by a person.

Every method returns the new breaker together with the transition it caused (or None), so the
service that owns it can persist the new state and log or alert the event. Time is a parameter.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.market import OrderSide

_RANK = {BreakerState.ACTIVE: 0, BreakerState.REDUCING: 1, BreakerState.HALTED: 2}


class TripReason(enum.StrEnum):
    """Why the breaker left ACTIVE."""

    REPEATED_FAILURES = "repeated_failures"
    SLIPPAGE = "slippage"
    RECONCILIATION_MISMATCH = "reconciliation_mismatch"
    STALE_DATA = "stale_data"
    PRICE_CHECK = "price_check"
    TRANSFER_OVERDUE = "transfer_overdue"
    MANUAL = "manual"


# The state each reason moves the breaker to unless the caller says otherwise. Slippage alone
# still lets the daemon reduce; everything else means its picture of the world is wrong.
DEFAULT_SEVERITY: dict[TripReason, BreakerState] = {
    TripReason.REPEATED_FAILURES: BreakerState.HALTED,
    TripReason.SLIPPAGE: BreakerState.REDUCING,
    TripReason.RECONCILIATION_MISMATCH: BreakerState.HALTED,
    TripReason.STALE_DATA: BreakerState.HALTED,
    TripReason.PRICE_CHECK: BreakerState.HALTED,
    TripReason.TRANSFER_OVERDUE: BreakerState.HALTED,
    TripReason.MANUAL: BreakerState.HALTED,
}


@dataclass(frozen=True, slots=True)
class BreakerLimits:
    """When the breaker trips by itself.

    ``max_consecutive_failures``: failed orders or transfers in a row before HALTED.
    ``max_slippage_bps``: fill price worse than expected by more than this (basis points).
    """

    max_consecutive_failures: int = 3
    max_slippage_bps: Decimal = Decimal(100)


@dataclass(frozen=True, slots=True)
class TripCause:
    """One recorded reason the breaker is not ACTIVE: what, in words, and when."""

    reason: TripReason
    detail: str
    at: datetime


@dataclass(frozen=True, slots=True)
class BreakerTransition:
    """An event: the breaker moved from one state to another, and why."""

    previous: BreakerState
    state: BreakerState
    reason: TripReason | None  # None for a resume
    detail: str
    at: datetime

    @property
    def is_resume(self) -> bool:
        """True when this transition returned the breaker to ACTIVE."""
        return self.state is BreakerState.ACTIVE


@dataclass(frozen=True, slots=True)
class Breaker:
    """The breaker's state, the causes that put it there and the current failure streak."""

    state: BreakerState = BreakerState.ACTIVE
    causes: tuple[TripCause, ...] = ()
    consecutive_failures: int = 0
    limits: BreakerLimits = BreakerLimits()

    def allows(self, side: OrderSide | None) -> bool:
        """May a new order of ``side`` (None: a transfer) be started now?

        Cancels are always allowed and are not asked about.
        """
        if self.state is BreakerState.ACTIVE:
            return True
        return self.state is BreakerState.REDUCING and side is OrderSide.SELL

    def trip(
        self,
        reason: TripReason,
        detail: str,
        now: datetime,
        to: BreakerState | None = None,
    ) -> tuple[Breaker, BreakerTransition | None]:
        """Record ``reason`` and move to its severity (or ``to``), never to a milder state."""
        target = to if to is not None else DEFAULT_SEVERITY[reason]
        if target is BreakerState.ACTIVE:
            raise ValueError("trip: target must be REDUCING or HALTED; use resume() for ACTIVE")
        cause = TripCause(reason, detail, now)
        if _RANK[target] <= _RANK[self.state]:
            return replace(self, causes=(*self.causes, cause)), None
        event = BreakerTransition(self.state, target, reason, detail, now)
        return replace(self, state=target, causes=(*self.causes, cause)), event

    def record_failure(
        self, detail: str, now: datetime
    ) -> tuple[Breaker, BreakerTransition | None]:
        """Count a failed order or transfer; trip when the streak reaches the limit."""
        counted = replace(self, consecutive_failures=self.consecutive_failures + 1)
        if counted.consecutive_failures < self.limits.max_consecutive_failures:
            return counted, None
        streak = f"{counted.consecutive_failures} failures in a row, last: {detail}"
        return counted.trip(TripReason.REPEATED_FAILURES, streak, now)

    def record_success(self) -> Breaker:
        """A node succeeded: the failure streak starts over."""
        return replace(self, consecutive_failures=0) if self.consecutive_failures else self

    def check_slippage(
        self, side: OrderSide, expected: Decimal, actual: Decimal, now: datetime
    ) -> tuple[Breaker, BreakerTransition | None]:
        """Trip when a fill at ``actual`` is worse than ``expected`` by more than the limit."""
        bps = slippage_bps(side, expected, actual)
        if bps <= self.limits.max_slippage_bps:
            return self, None
        detail = (
            f"{side} filled at {actual} against {expected} expected: "
            f"{bps.quantize(Decimal('0.1'))} bps > {self.limits.max_slippage_bps} bps"
        )
        return self.trip(TripReason.SLIPPAGE, detail, now)

    def resume(self, by: str, now: datetime) -> tuple[Breaker, BreakerTransition | None]:
        """Return to ACTIVE explicitly (a person decided); clears causes and the streak."""
        fresh = Breaker(limits=self.limits)
        if self.state is BreakerState.ACTIVE:
            return fresh, None
        return fresh, BreakerTransition(
            self.state, BreakerState.ACTIVE, None, f"resumed by {by}", now
        )


def slippage_bps(side: OrderSide, expected: Decimal, actual: Decimal) -> Decimal:
    """How much worse than ``expected`` a fill at ``actual`` is, in basis points (≥ 0 is worse)."""
    if expected <= 0:
        return Decimal(0)
    worse = actual - expected if side is OrderSide.BUY else expected - actual
    return worse * Decimal(10_000) / expected
