"""Turn a published event into the message a trader reads (``texts_runs``, ``texts_ops``).

The message is rendered when the sink takes the event, with the portfolio's weights as they
are then (from live market state: no venue is asked anything), so an approval request or a
run's end shows where the portfolio stands against its targets and bands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rebalancer.alerting import texts_ops, texts_runs
from rebalancer.alerting.hints import Hints
from rebalancer.alerting.lifecycle import lifecycle_name
from rebalancer.alerting.message import Message
from rebalancer.alerting.scene import Scene
from rebalancer.core.drift import DriftReport
from rebalancer.domain import events as ev

Standing = tuple[str, DriftReport | None]
"""A portfolio's quote asset and its drift now (None: its venues are not ready)."""

PortfolioLookup = Callable[[str], Awaitable[Standing | None]]
"""The standing of a portfolio by name (None: no such portfolio)."""

_BUILDERS: Mapping[type[ev.DomainEvent], Callable[[Any, Scene], Message]] = {
    ev.RunTriggered: texts_runs.run_triggered,
    ev.RunRequested: texts_runs.run_requested,
    ev.RunAwaitingApproval: texts_runs.run_awaiting_approval,
    ev.RunApproved: texts_runs.run_approved,
    ev.RunRejected: texts_runs.run_rejected,
    ev.RunCancelled: texts_runs.run_rejected,
    ev.RoundPlanned: texts_runs.round_planned,
    ev.OrderPlaced: texts_runs.order_placed,
    ev.OrderFilled: texts_runs.order_filled,
    ev.OrderFailed: texts_runs.order_failed,
    ev.TransferSent: texts_runs.transfer_sent,
    ev.TransferArrived: texts_runs.transfer_arrived,
    ev.TransferLate: texts_runs.transfer_late,
    ev.RunEnded: texts_runs.run_ended,
    ev.BreakerTransition: texts_ops.breaker_transition,
    ev.BreakerResumed: texts_ops.breaker_resumed,
    ev.ReconciliationMismatch: texts_ops.reconciliation_mismatch,
    ev.VenueStale: texts_ops.venue_stale,
    ev.VenueRecovered: texts_ops.venue_recovered,
    ev.PortfolioPaused: texts_ops.portfolio_paused,
    ev.PortfolioUnpaused: texts_ops.portfolio_unpaused,
    ev.CommandReceived: texts_ops.command_received,
    ev.ConfigReloaded: texts_ops.config_reloaded,
    ev.ConfigRefused: texts_ops.config_refused,
    ev.DaemonStarted: texts_ops.daemon_started,
    ev.DaemonStopping: texts_ops.daemon_stopping,
    ev.Digest: texts_ops.digest,
}

# events whose message shows the portfolio's weights now
_WITH_TABLE = frozenset(
    {
        ev.RunTriggered,
        ev.RunAwaitingApproval,
        ev.RunEnded,
        ev.TransferLate,
        ev.PortfolioPaused,
        ev.PortfolioUnpaused,
    }
)


def renders(event_type: type[ev.DomainEvent]) -> bool:
    """True when there is a message for this event type."""
    return event_type in _BUILDERS


class Renderer:
    """Renders events for one daemon (its portfolios looked up by ``lookup``)."""

    def __init__(self, lookup: PortfolioLookup) -> None:
        self._lookup = lookup

    async def render(self, published: ev.Published, hints: Hints) -> Message:
        """The message for ``published`` with ``hints``' next steps."""
        event = published.event
        scene = await self._scene(event, hints)
        message = _BUILDERS[type(event)](event, scene)
        return dataclasses.replace(
            message,
            name=event.name,
            event_id=published.id,
            lifecycle=lifecycle_name(event),
            critical=message.critical or event.critical,
            fields=event.as_json(),
        )

    async def _scene(self, event: ev.DomainEvent, hints: Hints) -> Scene:
        if event.portfolio is None:
            return Scene(hints)
        standing = await self._lookup(event.portfolio)
        if standing is None:
            return Scene(hints)
        quote, drift = standing
        return Scene(hints, quote, drift if type(event) in _WITH_TABLE else None)
