"""What the daemon checks before it trades, checked without trading: ``check-config``'s second half.

``load_config`` proves the file is well formed. The daemon then builds everything it runs on
and stops at the first thing that cannot be built; ``preflight`` builds the same things, opening
no connection, and reports every problem at once:

- each venue's exchange is one ccxt can trade and stream on (``exchange = "okxx"`` is refused,
  naming the closest id);
- a ``sim_connection`` file can be read and names the venue;
- the simulated venues' simulator config exists and serves every one of them;
- each portfolio's policy, execution settings and pre-trade limits can be built;
- the database URL names a driver the store runs on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rebalancer.domain.errors import ConfigError, InvalidValue, Problem
from rebalancer.settings import AppConfig

# Each check imports what it needs when it runs: ccxt alone takes a second or two to import,
# and a paper config never needs it.


def preflight(config: AppConfig, simulator_config: Path | None = None) -> list[Problem]:
    """Every problem the daemon would stop at before trading (empty: none)."""
    source = str(config.source_file) if config.source_file else ""
    return [
        problem if problem.source else Problem(problem.location, problem.message, source)
        for problem in [
            *_venue_problems(config),
            *_simulator_problems(config, simulator_config),
            *_portfolio_problems(config),
            *_database_problems(config),
        ]
    ]


def _venue_problems(config: AppConfig) -> Iterator[Problem]:
    real = {name: venue for name, venue in config.venues.items() if not venue.simulated}
    if not real:
        return  # the embedded simulator decides the protocols
    from rebalancer.runtime.gateways import venue_spec
    from rebalancer.venues.ccxt.instance import exchange_problem

    for name, venue in real.items():
        try:
            spec = venue_spec(name, venue, None)
        except ConfigError as error:
            yield from error.problems
            continue
        if problem := exchange_problem(spec.exchange):
            yield Problem(f"venues.{name}.exchange", problem)


def _simulator_problems(config: AppConfig, given: Path | None) -> Iterator[Problem]:
    if not any(venue.simulated for venue in config.venues.values()):
        return
    from rebalancer.runtime.paper import load_paper_simulator, simulator_config_path

    try:
        load_paper_simulator(config, simulator_config_path(config, given))
    except ConfigError as error:
        yield from error.problems


def _portfolio_problems(config: AppConfig) -> Iterator[Problem]:
    from rebalancer.runtime.assembly import execution_settings, pretrade_limits

    for name in config.portfolios:
        where = f"portfolios.{name}"
        try:
            policy = config.policy(name)
            where = f"portfolios.{name}.execution"
            execution_settings(config, name)
            where = f"portfolios.{name}.limits"
            pretrade_limits(config, policy)
        except (InvalidValue, ValueError) as error:
            yield Problem(where, str(error))


def _database_problems(config: AppConfig) -> Iterator[Problem]:
    from rebalancer.persistence.engine import url_problem

    if problem := url_problem(config.daemon.effective_database_url()):
        yield Problem("daemon.database_url", problem)
