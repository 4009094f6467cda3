"""Incremental drift watch for one portfolio: is any asset outside its band, after each quote?

``core.drift`` builds a full ``DriftReport`` from a frozen snapshot (~70 µs for 20 assets plus
the snapshot itself). Run on every quote update that is most of the daemon's CPU, although all
the daemon needs there is one bit: "is a band breached now?". ``DriftMonitor`` answers it from
the balances of one snapshot: a new mid replaces that asset's value and the total in O(1), and
the breach test is one multiplication, one division and two comparisons per asset, with no
objects built.

It agrees exactly with ``drift_of_snapshot`` on the same balances and quotes (the property test
checks it): values are the same ``units * mid`` products, weights the same
``value * 100 / total`` quotients compared with the same ``band_edges``, and a venue's mid is
chosen by the same rule (tightest spread, ties by venue name). The total is kept by adding the
change under a context that traps ``Inexact``; should an addition ever need rounding, the total
is summed afresh in asset order, as ``value_portfolio`` does, so it is never rounded differently.

Balances are frozen at initialisation: when they change (a run traded, a transfer arrived),
build a new monitor from a fresh snapshot. That costs one valuation (tens of µs), which is
nothing next to the check that took the snapshot.
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, getcontext

from rebalancer.core.drift import band_edges
from rebalancer.core.valuation import value_portfolio
from rebalancer.domain.money import HUNDRED, ZERO
from rebalancer.domain.policy import Policy
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import Snapshot


class DriftMonitor:
    """Whether any asset of one portfolio is outside its drift band, kept up to date per mid."""

    __slots__ = (
        "_can_band",
        "_edges",
        "_exact",
        "_listed",
        "_quotes",
        "_total",
        "_units",
        "_values",
        "policy",
    )

    def __init__(self, snapshot: Snapshot, policy: Policy) -> None:
        """Value ``policy``'s assets in ``snapshot`` (units incl. in transit, reference mids)."""
        self.policy = policy
        valuation = value_portfolio(snapshot, policy.quote, policy.venues, policy.assets)
        self._units = dict(valuation.units)
        self._values = dict(valuation.values)  # policy asset order, as value_portfolio sums
        self._total = valuation.total
        self._can_band = policy.drift_band is not None
        self._edges = {asset: band_edges(policy, asset) for asset in policy.assets}
        self._exact = Context(prec=getcontext().prec, traps=[Inexact])
        # (venue, symbol) -> base, for the policy's priced markets; base -> venue -> quote
        self._listed: dict[tuple[str, str], str] = {}
        self._quotes: dict[str, dict[str, Quote]] = {}
        for venue in sorted(policy.venues):
            state = snapshot.venues.get(venue)
            if state is None:
                continue
            for symbol, listed in state.markets.items():
                base = listed.rules.base
                if listed.rules.quote == policy.quote and base in self._units:
                    self._listed[(venue, symbol)] = base
                    self._quotes.setdefault(base, {})[venue] = listed.quote
        self._quotes.pop(policy.quote, None)  # the quote asset is always worth 1

    @property
    def total(self) -> Decimal:
        """The portfolio's value in its quote asset at the latest mids."""
        return self._total

    def watches(self, venue: str, symbol: str) -> bool:
        """True when a quote of ``symbol`` on ``venue`` can move this portfolio's valuation."""
        return (venue, symbol) in self._listed

    def update_quote(self, venue: str, symbol: str, quote: Quote) -> bool:
        """Take a new top of book of ``symbol`` on ``venue``; return whether a band is breached.

        The asset's mid is that of its tightest-spread venue, as in ``core.valuation``.
        """
        base = self._listed.get((venue, symbol))
        if base is None:
            return self.breached()
        by_venue = self._quotes[base]
        by_venue[venue] = quote
        if len(by_venue) == 1:
            return self.update_mid(base, quote.mid)
        best: Quote | None = None
        for name in sorted(by_venue):
            candidate = by_venue[name]
            if best is None or candidate.half_spread < best.half_spread:
                best = candidate
        assert best is not None  # by_venue holds at least this update's quote
        return self.update_mid(base, best.mid)

    def update_mid(self, asset: str, mid: Decimal) -> bool:
        """Value ``asset`` at ``mid`` from now on; return whether any asset breaches its band.

        An asset the policy does not target, and the quote asset itself, change nothing.
        """
        units = self._units.get(asset)
        if units is None or asset == self.policy.quote:
            return self.breached()
        value = units * mid
        old = self._values[asset]
        self._values[asset] = value
        try:
            exact = self._exact
            self._total = exact.add(exact.subtract(self._total, old), value)
        except Inexact:
            self._total = sum(self._values.values(), ZERO)
        return self.breached()

    def breached(self) -> bool:
        """True when at least one targeted asset's weight is strictly outside its band."""
        total = self._total
        if not self._can_band or total <= 0:
            return False
        values = self._values
        for asset, (lower, upper) in self._edges.items():
            weight = values[asset] * HUNDRED / total
            if weight < lower or weight > upper:
                return True
        return False
