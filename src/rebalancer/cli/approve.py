"""``rebalancer approve RUN_ID --config C``: let a run waiting for approval go ahead.

The approval is written to the run's event log (who, when); the daemon sees it on its next
check, plans the run again from fresh prices and carries it out. ``--reject`` cancels the run
instead. Exit status: 0 done; 1 no such run, or the run is not waiting; 2 a wrong config.
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


def run(args: argparse.Namespace) -> int:
    """Approve (or reject) the run through the database."""
    from rebalancer.domain.errors import ConfigError

    try:
        return asyncio.run(_approve(args))
    except ConfigError as error:
        print(f"rebalancer approve: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE


async def _approve(args: argparse.Namespace) -> int:
    from rebalancer.domain.events import RunApproved, RunRejected
    from rebalancer.domain.records import RecordNotFound
    from rebalancer.domain.runs import RunStatus
    from rebalancer.runtime.clock import SystemClock
    from rebalancer.runtime.state import config_store, operator_name
    from rebalancer.services.event_hub import EventHub

    by = operator_name(args.by)
    async with config_store(args.config) as store:
        try:
            found = await store.get_run(args.run_id)
        except RecordNotFound:
            print(f"rebalancer approve: no run {args.run_id}", file=sys.stderr)
            return EXIT_FAILURE
        if found.status is not RunStatus.AWAITING_APPROVAL:
            print(
                f"rebalancer approve: run {found.id} is {found.status.value}, "
                "not AWAITING_APPROVAL",
                file=sys.stderr,
            )
            return EXIT_FAILURE
        events, now = EventHub(store), SystemClock().now()
        if args.reject:
            await events.publish(
                RunRejected(at=now, portfolio=found.portfolio, run_id=found.id, by=by)
            )
            await store.set_run_status(found.id, RunStatus.CANCELLED, f"rejected by {by}")
            print(f"run {found.id} rejected by {by}: CANCELLED")
            return EXIT_OK
        await events.publish(RunApproved(at=now, portfolio=found.portfolio, run_id=found.id, by=by))
        print(f"run {found.id} approved by {by}; the daemon carries it out on its next check")
        return EXIT_OK
