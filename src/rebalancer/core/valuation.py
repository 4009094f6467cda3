"""Valuation of a portfolio at mid prices, in its quote asset.

Each asset is valued at the mid of a BASE/QUOTE market. Where several venues list it, the mid of
the venue with the tightest spread is used (ties: venue name order), so the valuation does not
depend on which venue happens to hold the asset. Amounts in transit count at their destination.
An asset no venue lists (delisted) is valued at the snapshot's ``reference_prices`` if it has
one, so its value still counts in the portfolio although it cannot be traded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.money import HUNDRED, ZERO
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class Valuation:
    """Holdings of each asset (units, all venues plus in transit) and their value in the quote."""

    quote: str
    units: Mapping[str, Decimal]
    prices: Mapping[str, Decimal]  # mid price per asset in the quote; the quote itself is 1
    values: Mapping[str, Decimal]
    total: Decimal

    def weight_percent(self, asset: str) -> Decimal:
        """The asset's share of the portfolio value, in percent (0 for an empty portfolio)."""
        if self.total == 0:
            return ZERO
        return self.values.get(asset, ZERO) * HUNDRED / self.total

    def weights_percent(self) -> dict[str, Decimal]:
        """Every valued asset's weight in percent."""
        return {asset: self.weight_percent(asset) for asset in sorted(self.values)}


def mid_prices(snapshot: Snapshot, quote: str, venues: Iterable[str]) -> dict[str, Decimal]:
    """The reference mid of every asset quoted against ``quote`` on any of ``venues``."""
    # Runs on every quote update: spreads are compared only where two venues list an asset.
    best: dict[str, Quote] = {}
    for venue in sorted(venues):
        state = snapshot.venues.get(venue)
        if state is None:
            continue
        for listed in state.markets.values():
            rules = listed.rules
            if rules.quote != quote:
                continue
            current = best.get(rules.base)
            # Venues come in name order, so on a tie the first venue's quote stays.
            if current is None or listed.quote.half_spread < current.half_spread:
                best[rules.base] = listed.quote
    prices = {asset: top.mid for asset, top in best.items()}
    for asset, price in snapshot.reference_prices.items():
        prices.setdefault(asset, price)
    prices[quote] = Decimal(1)
    return prices


def value_portfolio(
    snapshot: Snapshot, quote: str, venues: Iterable[str], assets: Iterable[str]
) -> Valuation:
    """Value ``assets`` held on ``venues`` (plus in transit to them) at mids in ``quote``.

    An asset without any market or reference price is valued at zero here; the planner reports
    it as a residual.
    """
    venue_names = tuple(sorted(venues))
    prices = mid_prices(snapshot, quote, venue_names)
    units: dict[str, Decimal] = dict.fromkeys(assets, ZERO)
    for venue in venue_names:
        state = snapshot.venues.get(venue)
        if state is None:
            continue
        for asset in units:
            units[asset] += state.balance(asset)
    for transfer in snapshot.in_transit:
        if transfer.destination in venue_names and transfer.asset in units:
            units[transfer.asset] += transfer.amount
    values = {asset: amount * prices.get(asset, ZERO) for asset, amount in units.items()}
    return Valuation(quote, units, prices, values, sum(values.values(), ZERO))
