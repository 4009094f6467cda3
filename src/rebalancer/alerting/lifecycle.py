"""The webhook's event types: lifecycle names a broker's API integrator recognises.

A run goes ``run.new`` → (``run.awaiting_approval``) → ``run.processing`` (the first round
it executes; a run that waited for approval is planned afresh, so that may be its round 2)
→ ``run.updated`` (each further round) → ``run.filled`` | ``run.partially_filled`` |
``run.failed`` | ``run.cancelled``; orders, transfers, the breaker, venues, portfolios and the
daemon have their own ``noun.verb`` names.
"""

from __future__ import annotations

from collections.abc import Mapping

from rebalancer.domain import events as ev

_FIXED: Mapping[type[ev.DomainEvent], str] = {
    ev.RunTriggered: "run.new",
    ev.RunRequested: "run.requested",
    ev.RunAwaitingApproval: "run.awaiting_approval",
    ev.RunApproved: "run.approved",
    ev.RunRejected: "run.rejected",
    ev.RunCancelled: "run.cancelled",
    ev.OrderPlaced: "order.placed",
    ev.OrderFilled: "order.filled",
    ev.OrderFailed: "order.failed",
    ev.TransferSent: "transfer.sent",
    ev.TransferArrived: "transfer.arrived",
    ev.TransferLate: "transfer.late",
    ev.BreakerResumed: "breaker.resumed",
    ev.ReconciliationMismatch: "reconciliation.mismatch",
    ev.VenueStale: "venue.stale",
    ev.VenueRecovered: "venue.recovered",
    ev.PortfolioPaused: "portfolio.paused",
    ev.PortfolioUnpaused: "portfolio.unpaused",
    ev.SetAsideRecorded: "set_aside.recorded",
    ev.SetAsideReleased: "set_aside.released",
    ev.SetAsideReduced: "set_aside.reduced",
    ev.SetAsideExpiring: "set_aside.expiring",
    ev.CommandReceived: "command.received",
    ev.ConfigReloaded: "config.reloaded",
    ev.ConfigRefused: "config.refused",
    ev.DaemonStarted: "daemon.started",
    ev.DaemonStopping: "daemon.stopping",
    ev.Digest: "portfolio.digest",
}


def lifecycle_name(event: ev.DomainEvent, *, first_round: bool | None = None) -> str:
    """The webhook ``type`` of ``event`` (``run.filled``, ``breaker.halted`` ...).

    ``first_round`` says whether a ``RoundPlanned`` is the first round its run executes (None:
    judge by its number).
    """
    if isinstance(event, ev.RoundPlanned):
        first = event.round <= 1 if first_round is None else first_round
        return "run.processing" if first else "run.updated"
    if isinstance(event, ev.RunEnded):
        return f"run.{event.status.value.lower()}"
    if isinstance(event, ev.BreakerTransition):
        return f"breaker.{event.state.value.lower()}"
    name = _FIXED.get(type(event))
    return name if name is not None else f"event.{event.name}"
