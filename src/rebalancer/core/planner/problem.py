"""The planning problem: a snapshot and a policy reduced to what the optimiser works on.

Everything is valued in the portfolio's quote asset at reference mids (``core.valuation``).
The optimiser measures positions in *reference USD* (units × reference price) so that every
coefficient is a plain ratio; this module computes those ratios once, from Decimals.
Only BASE/QUOTE markets on the policy's venues are used. Assets no venue lists are kept in the
portfolio's value but are not tradable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.core.costs import buy_cost_rate, sell_cost_rate
from rebalancer.core.valuation import Valuation, value_portfolio
from rebalancer.domain.market import Market
from rebalancer.domain.money import ZERO
from rebalancer.domain.policy import Policy
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import Route, Snapshot


@dataclass(frozen=True, slots=True)
class MarketOption:
    """A market the planner may trade on, with its rates per reference USD of base."""

    venue: str
    rules: Market
    quote: Quote
    price: Decimal  # the base asset's reference price

    @property
    def asset(self) -> str:
        """The base asset."""
        return self.rules.base

    @property
    def key(self) -> tuple[str, str]:
        """(venue, symbol): the stable sort key of a market."""
        return (self.venue, self.rules.symbol)

    def buy_cash(self) -> float:
        """Quote spent per reference USD bought (ask plus fee)."""
        fee = self.rules.taker_fee
        return float(self.quote.ask * (1 + fee) / self.price)

    def sell_cash(self) -> float:
        """Quote received per reference USD sold (bid less fee)."""
        fee = self.rules.taker_fee
        return float(self.quote.bid * (1 - fee) / self.price)

    def buy_cost(self) -> float:
        """Cost (docs/formats.md) per reference USD bought."""
        return float(buy_cost_rate(self.quote, self.rules.taker_fee) / self.price)

    def sell_cost(self) -> float:
        """Cost (docs/formats.md) per reference USD sold."""
        return float(sell_cost_rate(self.quote, self.rules.taker_fee) / self.price)


@dataclass(frozen=True, slots=True)
class Problem:
    """Holdings, prices, markets and routes of one portfolio, sorted for determinism."""

    quote: str
    venues: tuple[str, ...]
    assets: tuple[str, ...]
    valuation: Valuation
    holdings: Mapping[tuple[str, str], Decimal]  # (asset, venue) -> tradable units
    markets: tuple[MarketOption, ...]
    routes: tuple[Route, ...]

    @property
    def total(self) -> Decimal:
        """The portfolio's value W before trading."""
        return self.valuation.total

    def price(self, asset: str) -> Decimal:
        """The asset's reference price (zero when it has none)."""
        return self.valuation.prices.get(asset, ZERO)

    def held(self, asset: str, venue: str) -> Decimal:
        """Tradable units of ``asset`` on ``venue``."""
        return self.holdings.get((asset, venue), ZERO)

    def tradable(self, asset: str) -> bool:
        """True when some market on the policy's venues trades the asset (or it is the quote)."""
        return asset == self.quote or any(m.asset == asset for m in self.markets)

    def markets_of(self, asset: str) -> tuple[MarketOption, ...]:
        """The markets of ``asset`` in (venue, symbol) order."""
        return tuple(m for m in self.markets if m.asset == asset)

    def fixed_value(self, asset: str) -> Decimal:
        """Value of the asset that is not on any venue yet: amounts in transit."""
        units = self.valuation.units.get(asset, ZERO)
        units -= sum((self.held(asset, v) for v in self.venues), ZERO)
        return units * self.price(asset)


def build_problem(snapshot: Snapshot, policy: Policy) -> Problem:
    """Reduce ``snapshot`` to the policy's venues, assets, markets and usable routes."""
    venues = tuple(sorted(v for v in policy.venues if v in snapshot.venues))
    assets = tuple(sorted({*policy.assets, policy.quote}))  # the cash is always in the portfolio
    valuation = value_portfolio(snapshot, policy.quote, venues, assets)
    holdings: dict[tuple[str, str], Decimal] = {}
    markets: list[MarketOption] = []
    for venue in venues:
        state = snapshot.venues[venue]
        for asset in assets:
            if state.balance(asset) > 0:
                holdings[(asset, venue)] = state.balance(asset)
        for symbol in sorted(state.markets):
            listed = state.markets[symbol]
            base = listed.rules.base
            price = valuation.prices.get(base, ZERO)
            if listed.rules.quote == policy.quote and base in assets and price > 0:
                markets.append(MarketOption(venue, listed.rules, listed.quote, price))
    routes = tuple(
        sorted(
            (
                r
                for r in snapshot.routes
                if r.asset in assets
                and r.source in venues
                and r.destination in venues
                and r.source != r.destination
                and valuation.prices.get(r.asset, ZERO) > 0
            ),
            key=lambda r: r.key,
        )
    )
    return Problem(policy.quote, venues, assets, valuation, holdings, tuple(markets), routes)
