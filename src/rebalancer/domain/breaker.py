"""The circuit breaker's states: what the daemon is allowed to do right now."""

from __future__ import annotations

import enum


class BreakerState(enum.StrEnum):
    """ACTIVE trades freely; REDUCING allows cancels and sells only; HALTED allows nothing new."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"
