"""How a command beside the daemon sees a portfolio: the snapshot it checks a request against.

A running daemon keeps the snapshot of every check in the Store, so while it runs that one is
fresh (at most a check interval old) and is used: it is exactly what the daemon sees, paper
venues included. Otherwise the venues are read live, as ``rebalancer snapshot`` does, and the cash
set aside for withdrawals is kept out as the daemon keeps it out. When
neither works the request is still accepted: the daemon checks the amount against a fresh
snapshot when it takes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rebalancer.codecs.snapshot_json import parse_snapshot
from rebalancer.domain.errors import RebalancerError
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock, Store
from rebalancer.services.set_asides import kept_out
from rebalancer.settings import AppConfig

log = logging.getLogger(__name__)

MIN_FRESH_S = 120.0


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """A snapshot to check a request against (None: none could be had) and where it came from."""

    snapshot: Snapshot | None
    source: str


def fresh_for(config: AppConfig) -> timedelta:
    """How old a kept snapshot may be and still stand for the running daemon's view."""
    return timedelta(seconds=max(2 * config.daemon.check_interval_s, MIN_FRESH_S))


async def portfolio_view(
    config: AppConfig,
    store: Store,
    portfolio: str,
    clock: Clock,
    *,
    simulator_config: Path | None = None,
) -> PortfolioView:
    """The kept snapshot when fresh, else a live one, else none (see the module doc)."""
    kept = await store.latest_snapshot(portfolio)
    now = clock.now()
    if kept is not None and now - kept[1] <= fresh_for(config):
        age = (now - kept[1]).total_seconds()
        return PortfolioView(
            parse_snapshot(kept[0]), f"valued from the daemon's check {age:.0f} s ago"
        )
    try:
        live = await _live(config, portfolio, clock, simulator_config)
        snapshot = await kept_out(store, config.policy(portfolio), live)
    except (RebalancerError, OSError) as error:
        if kept is not None:
            stamp = _stamp(kept[1])
            return PortfolioView(
                parse_snapshot(kept[0]),
                f"the venues did not answer ({error}); valued from the daemon's check at {stamp}",
            )
        return PortfolioView(
            None,
            f"the venues did not answer ({error}); the daemon checks the amount when it takes "
            "the request",
        )
    return PortfolioView(snapshot, "valued from the venues just now")


async def _live(
    config: AppConfig, portfolio: str, clock: Clock, simulator_config: Path | None
) -> Snapshot:
    from rebalancer.runtime.venues import open_gateways, scope_of, take_snapshot

    scope = scope_of(config, portfolio)
    async with open_gateways(config, scope.venues, simulator_config) as gateways:
        return await take_snapshot(config, scope, gateways, clock)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
