"""A portfolio as it stands right now: value, each asset's weight against target and band.

Read from live market state (no venue is asked anything), with transfers in flight counted at
their destination as the planner counts them, and cash set aside for withdrawals kept out as
the daemon keeps it out (``services.set_asides``). A portfolio whose venues are not ready has no
weights now; the view says why instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rebalancer.core.drift import DriftReport, drift_of_snapshot
from rebalancer.core.set_aside import held_by_venue, without_set_asides
from rebalancer.domain.errors import VenueError
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import TransferState
from rebalancer.domain.set_asides import SetAside
from rebalancer.domain.snapshot import InTransit
from rebalancer.ports import Store
from rebalancer.services.market_state import MarketState

IN_FLIGHT = (TransferState.SUBMITTED, TransferState.CONFIRMED)


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """A portfolio's policy and, when its venues are ready, its drift now (of what remains
    once the cash set aside for withdrawals is kept out), and those set-asides."""

    policy: Policy
    drift: DriftReport | None
    unavailable: str | None = None  # why there are no weights now
    set_asides: tuple[SetAside, ...] = ()


async def view_portfolio(policy: Policy, market_state: MarketState, store: Store) -> PortfolioView:
    """The portfolio's weights now, or why they cannot be known."""
    venues = set(policy.venues)
    in_transit = [
        InTransit(t.asset, t.source, t.destination, t.amount - (t.fee or Decimal(0)))
        for t in await store.pending_transfers()
        if t.state in IN_FLIGHT and {t.source, t.destination} <= venues
    ]
    set_asides = tuple(await store.set_asides(policy.name))
    try:
        snapshot = market_state.snapshot(policy.venues, (), in_transit)
    except VenueError as error:
        return PortfolioView(policy, None, str(error), set_asides)
    held = held_by_venue(set_asides, policy.quote)
    kept = without_set_asides(snapshot, policy.quote, held)
    return PortfolioView(policy, drift_of_snapshot(kept, policy), set_asides=set_asides)
