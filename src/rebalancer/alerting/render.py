"""Turn a published event into the message a trader reads (``texts_runs``, ``texts_ops``).

The message is rendered when the sink takes the event, with the portfolio's weights as they
are then (from live market state: no venue is asked anything), so an approval request or a
run's end shows where the portfolio stands against its targets and bands.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
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
    ev.SetAsideRecorded: texts_ops.set_aside_recorded,
    ev.SetAsideReleased: texts_ops.set_aside_released,
    ev.SetAsideReduced: texts_ops.set_aside_reduced,
    ev.SetAsideExpiring: texts_ops.set_aside_expiring,
    ev.CommandReceived: texts_ops.command_received,
    ev.ConfigReloaded: texts_ops.config_reloaded,
    ev.ConfigRefused: texts_ops.config_refused,
    ev.DaemonStarted: texts_ops.daemon_started,
    ev.DaemonStopping: texts_ops.daemon_stopping,
    ev.Digest: texts_ops.digest,
}

FIRST_ROUNDS_KEPT = 10_000
STANDINGS_KEPT = 64

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

    def __init__(
        self, lookup: PortfolioLookup, quote_of: Callable[[str], str | None] | None = None
    ) -> None:
        self._lookup = lookup
        self._quote_of = quote_of
        self._first_rounds: dict[str, int] = {}  # run id -> log id of its first RoundPlanned
        self._standings: OrderedDict[int, Standing | None] = OrderedDict()  # by event log id

    def _first_round(self, published: ev.Published) -> bool | None:
        event = published.event
        if not isinstance(event, ev.RoundPlanned) or event.run_id is None:
            return None
        if len(self._first_rounds) > FIRST_ROUNDS_KEPT:
            self._first_rounds.clear()
        return self._first_rounds.setdefault(event.run_id, published.id) == published.id

    async def render(self, published: ev.Published, hints: Hints) -> Message:
        """The message for ``published`` with ``hints``' next steps."""
        event = published.event
        scene = await self._scene(published, hints)
        message = _BUILDERS[type(event)](event, scene)
        return dataclasses.replace(
            message,
            name=event.name,
            event_id=published.id,
            lifecycle=lifecycle_name(event, first_round=self._first_round(published)),
            critical=message.critical or event.critical,
            fields=event.as_json(),
        )

    async def _scene(self, published: ev.Published, hints: Hints) -> Scene:
        event = published.event
        if event.portfolio is None:
            return Scene(hints)
        if type(event) not in _WITH_TABLE and self._quote_of is not None:
            quote = self._quote_of(event.portfolio)  # no weights needed: no lookup
            return Scene(hints, quote) if quote is not None else Scene(hints)
        standing = await self._standing(published, event.portfolio)
        if standing is None:
            return Scene(hints)
        quote, drift = standing
        return Scene(hints, quote, drift if type(event) in _WITH_TABLE else None)

    async def _standing(self, published: ev.Published, portfolio: str) -> Standing | None:
        """The portfolio's standing, looked up once per event however many sinks render it."""
        if published.id in self._standings:
            return self._standings[published.id]
        standing = await self._lookup(portfolio)
        self._standings[published.id] = standing
        while len(self._standings) > STANDINGS_KEPT:
            self._standings.popitem(last=False)
        return standing
