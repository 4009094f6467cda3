"""``rebalancer snapshot``: read the venues live and print the snapshot JSON ``plan`` takes.

Every venue of the portfolio (or of every portfolio) is read over REST through ccxt: market
rules, best bid and ask, free balances; pending withdrawals between the venues are in transit.
The output is docs/formats.md JSON on stdout, so ``rebalancer snapshot ... > s.json`` followed by
``rebalancer plan --snapshot s.json`` plans exactly what the daemon would.

Exit status: 0 printed; 1 a venue is not ready or did not answer (the reasons on stderr);
2 the config or the arguments are wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rebalancer.domain.errors import ConfigError, VenueError

if TYPE_CHECKING:
    from rebalancer.settings import AppConfig

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the snapshot command's options."""
    parser.add_argument(
        "--config", metavar="PATH", help="the TOML config file (default: $REBALANCER_CONFIG)"
    )
    parser.add_argument(
        "--portfolio", metavar="NAME", help="only this portfolio's venues (default: all)"
    )
    parser.add_argument(
        "--simulator-config",
        metavar="PATH",
        help="the embedded simulator's config, for venues with simulated = true",
    )


def run(args: argparse.Namespace) -> int:
    """Read the venues, print the snapshot, and return the exit status."""
    from rebalancer.settings import load_config

    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"rebalancer snapshot: config is invalid:\n{error}", file=sys.stderr)
        return EXIT_USAGE
    simulator = Path(args.simulator_config) if args.simulator_config else None
    try:
        text = asyncio.run(_snapshot_text(config, args.portfolio, simulator))
    except ConfigError as error:
        print(f"rebalancer snapshot: {error}", file=sys.stderr)
        return EXIT_USAGE
    except VenueError as error:
        print(f"rebalancer snapshot: {error}", file=sys.stderr)
        return EXIT_FAILURE
    sys.stdout.write(text)
    return EXIT_OK


async def _snapshot_text(config: AppConfig, portfolio: str | None, simulator: Path | None) -> str:
    """Read the venues in scope and render the snapshot (imports ccxt only when it runs)."""
    from rebalancer.codecs.snapshot_json import dump_snapshot
    from rebalancer.runtime.clock import SystemClock
    from rebalancer.runtime.venues import open_gateways, scope_of, take_snapshot

    scope = scope_of(config, portfolio)
    async with open_gateways(config, scope.venues, simulator) as gateways:
        snapshot = await take_snapshot(config, scope, gateways, SystemClock())
    return dump_snapshot(snapshot)
