"""``rebalancer resume --config C --reason "..."``: re-arm the circuit breaker.

The breaker stops trading by itself (failures, slippage, stale data, a price jump, a balance
mismatch) and only a person re-arms it. The resume is persisted and audited in the event log
(who, why, from which state); a running daemon picks it up on its next check. Exit status: 0
(also when it was already ACTIVE); 2 a wrong config or an empty reason.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the config, the reason and who resumes."""
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the daemon's config (default: $REBALANCER_CONFIG)",
    )
    parser.add_argument("--reason", required=True, help="why trading may go on (audited)")
    parser.add_argument("--by", default=None, help="who resumes (default: your login name)")


def run(args: argparse.Namespace) -> int:
    """Resume the breaker through the database."""
    from rebalancer.domain.errors import ConfigError

    if not args.reason.strip():
        print("rebalancer resume: --reason must say why", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(_resume(args))
    except ConfigError as error:
        print(f"rebalancer resume: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE


async def _resume(args: argparse.Namespace) -> int:
    from rebalancer.runtime.clock import SystemClock
    from rebalancer.runtime.state import config_store, operator_name
    from rebalancer.services import operations

    by = operator_name(args.by)
    async with config_store(args.config) as store:
        try:
            desk = operations.Desk.of(store, SystemClock())
            resumed = await operations.resume_breaker(desk, by=by, reason=args.reason)
        except operations.OperationRefused as refused:
            print(f"rebalancer resume: {refused}", file=sys.stderr)
            return EXIT_USAGE
    if not resumed.changed:
        print("the circuit breaker is already ACTIVE; nothing to resume")
        return EXIT_OK
    print(
        f"circuit breaker {resumed.before.value} -> {resumed.after.value} (by {by}: {args.reason})"
    )
    return EXIT_OK
