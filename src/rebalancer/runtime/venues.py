"""Compose ccxt gateways and market state for one-shot commands (``rebalancer snapshot``).

The daemon keeps market state running (``runtime.daemon``); a one-shot command only needs one
fresh reading: every venue's markets, quotes and balances over REST (the exchange's truth),
checked for freshness, frozen into a snapshot with the configured routes and what is in transit.

In transit is read from the venues themselves: every pending withdrawal whose address is a
deposit address of another venue of the portfolio counts, net of its fee, at that venue.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rebalancer.domain.errors import ConfigError, Problem, VenueError
from rebalancer.domain.snapshot import InTransit, Snapshot
from rebalancer.domain.transfers import TransferReport, TransferStatus
from rebalancer.ports import Clock, VenueGateway
from rebalancer.runtime.assembly import market_data_settings
from rebalancer.runtime.gateways import venue_spec
from rebalancer.runtime.paper import (
    default_simulator_config,
    load_paper_simulator,
    simulated_venues,
    start_paper_simulator,
)
from rebalancer.services.market_state import MarketState
from rebalancer.settings import AppConfig
from rebalancer.venues.ccxt.gateway import CcxtGateway

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which venues and symbols a command looks at (one portfolio, or every portfolio)."""

    venues: tuple[str, ...]
    symbols: Mapping[str, tuple[str, ...]]


def scope_of(config: AppConfig, portfolio: str | None) -> Scope:
    """The venues and ``ASSET/QUOTE`` symbols of ``portfolio`` (None: of every portfolio)."""
    if portfolio is not None and portfolio not in config.portfolios:
        known = ", ".join(sorted(config.portfolios)) or "none"
        raise ConfigError([Problem("portfolio", f"no [portfolios.{portfolio}] (known: {known})")])
    names = [portfolio] if portfolio is not None else sorted(config.portfolios)
    symbols: dict[str, set[str]] = {}
    for name in names:
        table = config.portfolios[name]
        pairs = {f"{asset}/{table.quote}" for asset in table.weights if asset != table.quote}
        for venue in table.venues:
            symbols.setdefault(venue, set()).update(pairs)
    return Scope(tuple(sorted(symbols)), {v: tuple(sorted(s)) for v, s in symbols.items()})


@contextlib.asynccontextmanager
async def open_gateways(
    config: AppConfig, venues: Sequence[str], simulator_config: Path | None = None
) -> AsyncIterator[dict[str, CcxtGateway]]:
    """A ccxt gateway per venue (and the embedded simulator for paper venues); all closed after."""
    async with contextlib.AsyncExitStack() as stack:
        paper: dict[str, Any] | None = None
        if any(name in simulated_venues(config) for name in venues):
            source = config.source_file
            path = simulator_config or (
                default_simulator_config(source) if source else Path("paper-sim.toml")
            )
            server = load_paper_simulator(config, path)
            stack.push_async_callback(server.stop)
            paper = await start_paper_simulator(server)
        gateways: dict[str, CcxtGateway] = {}
        for name in venues:
            gateway = CcxtGateway.from_spec(venue_spec(name, config.venues[name], paper))
            stack.push_async_callback(gateway.close)
            gateways[name] = gateway
        yield gateways


async def take_snapshot(
    config: AppConfig,
    scope: Scope,
    gateways: Mapping[str, VenueGateway],
    clock: Clock,
) -> Snapshot:
    """One fresh, checked snapshot of ``scope`` (``VenueUnavailable`` if a venue is not ready)."""
    state = MarketState(gateways, scope.symbols, clock, market_data_settings(config))
    await state.start()
    routes = [
        route
        for route in config.routes_for_snapshot()
        if route.source in scope.venues and route.destination in scope.venues
    ]
    in_transit = await pending_transfers(gateways)
    return state.snapshot(scope.venues, routes, in_transit)


async def pending_transfers(gateways: Mapping[str, VenueGateway]) -> list[InTransit]:
    """Pending withdrawals from one venue to a deposit address of another, net of fees."""
    pending: list[tuple[str, TransferReport]] = []
    for name, gateway in gateways.items():
        try:
            withdrawals = await gateway.fetch_withdrawals()
        except VenueError as error:
            log.warning("%s: withdrawals not read (%s); in-transit may be incomplete", name, error)
            continue
        pending += [(name, w) for w in withdrawals if w.status is TransferStatus.PENDING]
    addresses = await _deposit_addresses(gateways, {(w.asset, w.network) for _, w in pending})
    moving: list[InTransit] = []
    for source, withdrawal in pending:
        destination = addresses.get((withdrawal.asset, withdrawal.network, withdrawal.address))
        if destination is None or destination == source:
            continue
        amount = withdrawal.amount - (withdrawal.fee or Decimal(0))
        moving.append(InTransit(withdrawal.asset, source, destination, amount))
    return moving


async def _deposit_addresses(
    gateways: Mapping[str, VenueGateway], wanted: set[tuple[str, str | None]]
) -> dict[tuple[str, str | None, str | None], str]:
    """(asset, network, address) → venue, for the assets and networks in ``wanted``."""
    found: dict[tuple[str, str | None, str | None], str] = {}
    for asset, network in sorted(wanted, key=str):
        if network is None:
            continue
        for name, gateway in gateways.items():
            try:
                address = await gateway.fetch_deposit_address(asset, network)
            except VenueError:
                continue
            found[(asset, network, address.address)] = name
    return found
