"""``rebalancer approve RUN_ID --config C``: let a run waiting for approval go ahead.

The approval is written to the run's event log (who, when) through ``services.operations``; a
running daemon sees it within a second, plans the run again from fresh prices and carries it
out. ``--reject`` cancels the run instead. Exit status: 0 done; 1 the run is not waiting; 2 no
such run, or a wrong config (docs/cli.md).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the run and who approves it."""
    parser.add_argument("run_id", metavar="RUN_ID", help="the run waiting for approval")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the daemon's config (default: $REBALANCER_CONFIG)",
    )
    parser.add_argument("--by", default=None, help="who approves (default: your login name)")
    parser.add_argument("--reject", action="store_true", help="cancel the run instead")
    parser.add_argument("--reason", default="", help="with --reject: why (audited)")


def run(args: argparse.Namespace) -> int:
    """Approve (or reject) the run through the database."""
    from rebalancer.domain.errors import ConfigError

    try:
        return asyncio.run(_approve(args))
    except ConfigError as error:
        print(f"rebalancer approve: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE


async def _approve(args: argparse.Namespace) -> int:
    from rebalancer.runtime.clock import SystemClock
    from rebalancer.runtime.state import config_store, operator_name
    from rebalancer.services import operations

    by = operator_name(args.by)
    async with config_store(args.config) as store:
        desk = operations.Desk.of(store, SystemClock())
        try:
            if args.reject:
                run = await operations.reject_run(desk, args.run_id, by=by, reason=args.reason)
                print(f"run {run.id} rejected by {by}: {run.status.value}")
                return EXIT_OK
            run = await operations.approve_run(desk, args.run_id, by=by)
        except operations.RunNotFound as unknown:  # an unknown name: wrong input
            print(f"rebalancer approve: {unknown}", file=sys.stderr)
            return EXIT_USAGE
        except operations.OperationRefused as refused:
            print(f"rebalancer approve: {refused}", file=sys.stderr)
            return EXIT_FAILURE
    print(f"run {run.id} approved by {by}; the running daemon carries it out within a second")
    return EXIT_OK
