"""Check a config against what the venues actually offer, as one snapshot shows it."""

from __future__ import annotations

from rebalancer.domain.errors import Problem
from rebalancer.domain.snapshot import Snapshot
from rebalancer.settings.app import AppConfig


def check_against_snapshot(
    config: AppConfig, portfolio_name: str, snapshot: Snapshot
) -> list[Problem]:
    """Every way the named portfolio cannot be traded on the venues in ``snapshot``.

    Each of the portfolio's venues must be in the snapshot, and every asset with a target
    (other than the quote) needs an ``ASSET/QUOTE`` market on at least one of those venues
    where the portfolio may hold it. Problems carry the config file as their source.
    """
    portfolio = config.portfolio(portfolio_name)
    source = str(config.source_file or "")
    where = f"portfolios.{portfolio_name}"
    present = [venue for venue in portfolio.venues if venue in snapshot.venues]
    problems = [
        Problem(f"{where}.venues", f"venue {venue} is not in the snapshot", source)
        for venue in portfolio.venues
        if venue not in snapshot.venues
    ]
    for asset in sorted(portfolio.weights):
        if asset == portfolio.quote:
            continue
        listed = [v for v in present if snapshot.venue(v).market_for(asset, portfolio.quote)]
        allowed = [v for v in listed if asset not in portfolio.forbidden_assets.get(v, ())]
        symbol = f"{asset}/{portfolio.quote}"
        if not listed:
            venues = ", ".join(present) or "none"
            message = f"no venue of the portfolio lists {symbol} (venues in snapshot: {venues})"
            problems.append(Problem(f"{where}.weights.{asset}", message, source))
        elif not allowed:
            message = f"{symbol} is listed only on venues that forbid {asset} ({', '.join(listed)})"
            problems.append(Problem(f"{where}.weights.{asset}", message, source))
    return problems
