"""``rebalancer pause P --reason TEXT`` and ``rebalancer unpause P``: stop a portfolio trading.

A paused portfolio is still checked: its balances and drift are read and reported every check,
but nothing of it trades (no trigger, no request, no approved run) until it is unpaused. The
pause is kept in the state database (it survives restarts) and audited in the event log (who,
why). A running daemon sees it on its next check; a run already trading finishes first.

Exit status: 0 done; 2 a wrong config, an unknown portfolio, or a pause without a reason.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the portfolio, the reason and who acts."""
    parser.add_argument("portfolio", metavar="PORTFOLIO", help="the portfolio")
    parser.add_argument(
        "--reason", default="", help="why (required to pause; audited in the event log)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the daemon's config (default: $REBALANCER_CONFIG)",
    )
    parser.add_argument("--by", default=None, help="who acts (default: your login name)")


def run(args: argparse.Namespace) -> int:
    """Pause or unpause (by the command's name) through the database."""
    from rebalancer.domain.errors import ConfigError

    command = "unpause" if args.command == "unpause" else "pause"
    try:
        return asyncio.run(_set(args, paused=command == "pause"))
    except ConfigError as error:
        print(f"rebalancer {command}: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE


async def _set(args: argparse.Namespace, *, paused: bool) -> int:
    from rebalancer.runtime.clock import SystemClock
    from rebalancer.runtime.state import config_and_store, operator_name, policies_of
    from rebalancer.services import operations

    by = operator_name(args.by)
    command = "pause" if paused else "unpause"
    async with config_and_store(args.config) as (config, store):
        action = operations.pause if paused else operations.unpause
        try:
            desk = operations.Desk.of(store, SystemClock())
            record = await action(
                desk, policies_of(config), args.portfolio, by=by, reason=args.reason
            )
        except operations.OperationRefused as refused:
            print(f"rebalancer {command}: {refused}", file=sys.stderr)
            return EXIT_USAGE
    state = "paused" if record.paused else "unpaused"
    reason = f": {record.reason}" if record.reason else ""
    print(f"portfolio {record.portfolio} {state} by {record.by}{reason}")
    if record.paused:
        print("  still watched and reported; nothing of it trades until `rebalancer unpause`")
    return EXIT_OK
