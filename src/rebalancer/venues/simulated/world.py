"""Simulated venues in one process, driven bar by bar: the venues a backtest trades on.

One exchange engine holds every venue, one account per venue (the portfolio's), the transfer
networks of the configured routes, and books of unlimited depth whose mid and spread the
backtest sets at each bar. The daemon reaches the venues through ``SimulatedGateway`` (the
``VenueGateway`` port, no sockets, no ccxt); ``EngineSnapshots`` reads snapshots straight from
the same engine.

Markets can be listed late and delisted, as real ones are; a delisted market's last mid is kept
so its coin can still be valued.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.domain.market import Market, OrderSide, Rounding
from rebalancer.domain.money import ZERO
from rebalancer.domain.snapshot import Route
from rebalancer.exchange_sim.engine import (
    Account,
    BookShape,
    Engine,
    Network,
    OrderKind,
    Trade,
    Withdrawal,
)
from rebalancer.venues.simulated.gateway import SimulatedGateway

ACCOUNT = "portfolio"  # the one account each simulated venue holds
BAR_BOOK = BookShape(
    spread_bps=Decimal(0),
    levels=1,
    level_gap_bps=Decimal(0),
    unlimited_depth=True,
    market_data=False,
)


@dataclass(frozen=True, slots=True)
class VenueSetup:
    """One venue: every market it will ever trade (rules with its fees) and what it holds."""

    name: str
    markets: tuple[Market, ...]
    balances: Mapping[str, Decimal] = field(default_factory=dict)
    unlisted: frozenset[str] = frozenset()  # symbols not listed yet at the start


class SimulatedVenues:
    """The engine, its venues and a gateway per venue; prices and listings set from outside."""

    def __init__(
        self,
        clock_s: Callable[[], float],
        venues: Sequence[VenueSetup],
        routes: Iterable[Route] = (),
    ) -> None:
        self.engine = Engine(clock_s)
        self._waiting: dict[tuple[str, str], Market] = {}
        for setup in venues:
            listed = [m for m in setup.markets if m.symbol not in setup.unlisted]
            self.engine.add_venue(setup.name, listed, BAR_BOOK)
            for market in setup.markets:
                if market.symbol in setup.unlisted:
                    self._waiting[(setup.name, market.symbol)] = market
        _add_networks(self.engine, tuple(routes))
        for setup in venues:
            self.engine.add_account(setup.name, Account(ACCOUNT, "backtest"))
            account = self.engine.venue(setup.name).account(ACCOUNT)
            for asset, amount in setup.balances.items():
                account.credit(asset, amount)
        self.gateways = {
            setup.name: SimulatedGateway(self.engine, setup.name, ACCOUNT) for setup in venues
        }

    @property
    def names(self) -> tuple[str, ...]:
        """Every venue, in set-up order."""
        return tuple(self.engine.venues)

    def set_mid(
        self, venue: str, symbol: str, mid: Decimal, spread_bps: Decimal | None = None
    ) -> None:
        """Move a listed market's mid (and its spread, in basis points, until the next move)."""
        self.engine.venues[venue].set_mid(symbol, mid, spread_bps)

    def is_listed(self, venue: str, symbol: str) -> bool:
        """True while ``venue`` trades ``symbol``."""
        return symbol in self.engine.venues[venue].markets

    def list_market(self, venue: str, symbol: str) -> None:
        """List a market that was waiting for its listing date."""
        self.engine.venue(venue).list_market(self._waiting.pop((venue, symbol)))

    def sell_everything(self, venue: str, symbol: str, client_order_id: str) -> Decimal:
        """Sell the account's whole free base balance at market (what a delisting forces).

        The amount is rounded down to the lot step; what cannot be sold (below the step, the
        minimum amount or the minimum notional) stays as dust. Returns the amount sold.
        """
        trading = self.engine.venue(venue)
        market = trading.market(symbol)
        held = trading.account(ACCOUNT).balance(market.base).free
        amount = market.round_amount(held, Rounding.DOWN).value
        book = trading.books[symbol]
        if amount <= 0 or not market.check_order(amount, book.mid).ok:
            return ZERO
        order = trading.place_order(
            ACCOUNT,
            symbol,
            OrderSide.SELL,
            OrderKind.MARKET,
            amount=amount,
            client_order_id=client_order_id,
        )
        return order.filled

    def delist(self, venue: str, symbol: str) -> Decimal:
        """Delist a market (its open orders are cancelled); return its last mid."""
        return self.engine.venue(venue).delist(symbol)

    def balances(self, venue: str) -> dict[str, Decimal]:
        """Everything the account holds on ``venue`` (free and locked), nonzero only."""
        account = self.engine.venue(venue).account(ACCOUNT)
        return {a: b.total for a, b in account.balances.items() if b.total != 0}

    def trades(self, venue: str) -> list[Trade]:
        """Every fill of the account on ``venue``, oldest first."""
        return self.engine.venue(venue).account_trades(ACCOUNT)

    def withdrawals(self) -> list[Withdrawal]:
        """Every withdrawal the accounts made, oldest first."""
        return list(self.engine.withdrawals.values())

    def credit(self, venue: str, asset: str, amount: Decimal) -> None:
        """Credit a deposit from outside the simulation (money the owner brings in)."""
        if not any(known == asset for known, _ in self.engine.networks[venue]):
            self.engine.add_network(venue, Network(asset, OUTSIDE, withdraw_enabled=False))
        self.engine.credit_deposit(venue, ACCOUNT, asset, amount)

    def take_out(self, venue: str, asset: str, amount: Decimal) -> Decimal:
        """Take up to ``amount`` of free ``asset`` out of the simulation (the owner's withdrawal).

        Returns what was taken: all of it, or what was free when that was less.
        """
        account = self.engine.venue(venue).account(ACCOUNT)
        taken = min(amount, account.balance(asset).free)
        if taken > 0:
            account.debit(asset, taken)
        return taken

    async def close(self) -> None:
        """Close every gateway."""
        for gateway in self.gateways.values():
            await gateway.close()


OUTSIDE = "OUTSIDE"  # the network a deposit from outside the simulation arrives on


def _add_networks(engine: Engine, routes: tuple[Route, ...]) -> None:
    """Each route's network at its source (fee, minimum, delay), deposits-only where it lands.

    A venue withdraws one asset over one network on the same terms whatever the destination,
    as real venues do; two routes from one venue that disagree on those terms are refused.
    """
    terms: dict[tuple[str, str, str], Route] = {}
    for route in routes:
        key = (route.source, route.asset, route.network)
        known = terms.setdefault(key, route)
        if (known.fee, known.min_amount, known.eta_s) != (route.fee, route.min_amount, route.eta_s):
            raise ValueError(
                f"routes {known.key} and {route.key}: one venue withdraws {route.asset} over "
                f"{route.network} on one set of terms (fee, min_amount, eta_s)"
            )
    for (venue, asset, network), route in terms.items():
        engine.add_network(
            venue,
            Network(asset, network, route.fee, route.min_amount, float(route.eta_s)),
        )
    for route in routes:
        if (route.asset, route.network) not in engine.networks[route.destination]:
            engine.add_network(
                route.destination,
                Network(route.asset, route.network, ZERO, ZERO, withdraw_enabled=False),
            )
