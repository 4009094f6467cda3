"""A rebalance run's lifecycle, following the brokers' portfolio-order states."""

from __future__ import annotations

import enum


class RunStatus(enum.StrEnum):
    """NEW → AWAITING_APPROVAL? → PROCESSING → FILLED | PARTIALLY_FILLED | FAILED | CANCELLED."""

    NEW = "NEW"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    PROCESSING = "PROCESSING"
    FILLED = "FILLED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        """True when the run is over."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {RunStatus.FILLED, RunStatus.PARTIALLY_FILLED, RunStatus.FAILED, RunStatus.CANCELLED}
)


class Trigger(enum.StrEnum):
    """Why a run started."""

    DRIFT = "drift"
    CALENDAR = "calendar"
    MANUAL = "manual"  # a person asked (``rebalancer request``, ``run --once --force``, chat, API)
    DEPOSIT = "deposit"  # new cash arrived from outside (``[portfolios.P.contributions]``)
    SCHEDULE = "schedule"  # a recurring run came due (``[[portfolios.P.schedule]]``)
