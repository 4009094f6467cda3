"""How loud each kind of event is on a sink: ``on``, ``silent`` (no notification sound), ``off``.

A critical event (a HALT, a reconciliation mismatch, a late transfer, a stop with work parked)
is always ``on``, whatever the table says: a person must hear of it on every sink.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from rebalancer.domain.events import EVENT_TYPES, DomainEvent


class Level(enum.StrEnum):
    """How one event reaches a sink."""

    ON = "on"
    SILENT = "silent"
    OFF = "off"


CHAT_DEFAULTS: Mapping[str, Level] = {
    "RunTriggered": Level.ON,
    "RunRequested": Level.SILENT,
    "RunAwaitingApproval": Level.ON,
    "RunApproved": Level.SILENT,
    "RunRejected": Level.SILENT,
    "RunCancelled": Level.SILENT,
    "RoundPlanned": Level.SILENT,
    "OrderPlaced": Level.OFF,
    "OrderFilled": Level.OFF,
    "OrderFailed": Level.ON,
    "TransferSent": Level.SILENT,
    "TransferArrived": Level.SILENT,
    "TransferLate": Level.ON,
    "RunEnded": Level.ON,
    "BreakerTransition": Level.ON,
    "BreakerResumed": Level.ON,
    "ReconciliationMismatch": Level.ON,
    "VenueStale": Level.ON,
    "VenueRecovered": Level.SILENT,
    "PortfolioPaused": Level.ON,
    "PortfolioUnpaused": Level.ON,
    "SetAsideRecorded": Level.SILENT,
    "SetAsideReleased": Level.SILENT,
    "SetAsideReduced": Level.SILENT,
    "SetAsideExpiring": Level.ON,
    "CommandReceived": Level.OFF,
    "ConfigReloaded": Level.SILENT,
    "ConfigRefused": Level.ON,
    "DaemonStarted": Level.SILENT,
    "DaemonStopping": Level.ON,
    "Digest": Level.SILENT,
}
"""What a chat (Telegram, Slack) gets unless the config says otherwise: the run's start and end,
what needs a person, and no per-order chatter (``RunEnded`` sums the orders up)."""


@dataclass(frozen=True, slots=True)
class LevelTable:
    """Each event name's level on one sink, and the level of names the table does not list."""

    levels: Mapping[str, Level] = field(default_factory=dict)
    default: Level = Level.ON

    @classmethod
    def for_chat(cls, *overrides: Mapping[str, Level]) -> LevelTable:
        """The chat defaults, then each override in turn (``[alerts.levels]``, the sink's)."""
        merged = dict(CHAT_DEFAULTS)
        for table in overrides:
            merged.update(table)
        return cls(merged, Level.ON)

    @classmethod
    def for_machine(cls, *overrides: Mapping[str, Level]) -> LevelTable:
        """Every event on (a webhook's receiver decides what it wants), then the overrides."""
        merged = dict.fromkeys(EVENT_TYPES, Level.ON)
        for table in overrides:
            merged.update(table)
        return cls(merged, Level.ON)

    def level(self, event: DomainEvent) -> Level:
        """How ``event`` reaches the sink (a critical one: always ``on``)."""
        if event.critical:
            return Level.ON
        return self.levels.get(event.name, self.default)
