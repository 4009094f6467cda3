"""The frozen input of every plan: balances, quotes and rules per venue, routes, transfers.

A snapshot is everything a decision depends on, so any run can be replayed from its stored
snapshot and gives the same plan. Its JSON form is docs/formats.md (see ``rebalancer.codecs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.market import Market
from rebalancer.domain.money import ZERO
from rebalancer.domain.quotes import Quote

SNAPSHOT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ListedMarket:
    """A market's rules together with its current quote."""

    rules: Market
    quote: Quote


@dataclass(frozen=True, slots=True)
class VenueSnapshot:
    """What one venue holds for the portfolio (free balances) and the markets it lists."""

    balances: Mapping[str, Decimal]
    markets: Mapping[str, ListedMarket]

    def balance(self, asset: str) -> Decimal:
        """The free balance of ``asset`` (zero when absent)."""
        return self.balances.get(asset, ZERO)

    def market_for(self, base: str, quote: str) -> ListedMarket | None:
        """The listed BASE/QUOTE market, if the venue has it."""
        return self.markets.get(f"{base}/{quote}")


@dataclass(frozen=True, slots=True)
class Route:
    """A way to move ``asset`` from one venue to another: fee and minimum in units of the asset."""

    asset: str
    network: str
    source: str
    destination: str
    fee: Decimal
    min_amount: Decimal
    eta_s: int

    @property
    def key(self) -> str:
        """A stable identifier of the route."""
        return f"{self.asset}:{self.network}:{self.source}>{self.destination}"


@dataclass(frozen=True, slots=True)
class InTransit:
    """An amount on its way between venues: valued at the destination, not yet tradable."""

    asset: str
    source: str
    destination: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Snapshot:
    """All inputs of a plan, frozen at ``taken_at``.

    ``reference_prices`` holds last known prices (in the portfolio's quote asset) of assets that
    no venue lists any more, such as a delisted coin: it keeps their value in the portfolio
    while the planner reports them as untradable. Listed assets are valued at market mids.
    """

    taken_at: datetime
    venues: Mapping[str, VenueSnapshot]
    routes: tuple[Route, ...] = ()
    in_transit: tuple[InTransit, ...] = ()
    version: int = field(default=SNAPSHOT_VERSION)
    reference_prices: Mapping[str, Decimal] = field(default_factory=dict)

    def venue(self, name: str) -> VenueSnapshot:
        """The named venue's state (KeyError names it when missing)."""
        return self.venues[name]
