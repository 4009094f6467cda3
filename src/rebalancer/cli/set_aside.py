"""``rebalancer set-aside P [--all] [--json]``, ``set-aside P --release ID``: cash held for a
withdrawal.

A ``withdraw`` run leaves its cash free to pay out and the daemon sets it aside: no run spends
it, and weights are of the rest, until the cash leaves the venue (the daemon sees the balance
fall and releases it), a person releases it here, or it expires (``set_aside_days``). Listing
shows the active set-asides (``--all``: released ones too); ``--release ID`` gives one back to
the portfolio, whose next run may then invest it. Both go through the state database, so they
work whether or not the daemon runs; a release is in the event log (who, why) and reaches the
alert sinks and the webhook through the running daemon.

Exit status: 0 listed or released; 1 the set-aside was already released; 2 a wrong config, an
unknown portfolio or set-aside.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from rebalancer.domain.set_asides import SetAside

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the portfolio, what to release, and how to list."""
    parser.add_argument("portfolio", metavar="PORTFOLIO", help="the portfolio")
    parser.add_argument(
        "--release", metavar="ID", default=None, help="give this set-aside back to the portfolio"
    )
    parser.add_argument("--reason", default="", help="why it is released (in the event log)")
    parser.add_argument("--all", action="store_true", help="list released set-asides too")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the daemon's config (default: $REBALANCER_CONFIG)",
    )
    parser.add_argument("--by", default=None, help="who acts (default: your login name)")


def run(args: argparse.Namespace) -> int:
    """List or release set-asides through the database."""
    from rebalancer.domain.errors import ConfigError

    try:
        return asyncio.run(_act(args))
    except ConfigError as error:
        print(f"rebalancer set-aside: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE


async def _act(args: argparse.Namespace) -> int:
    from rebalancer.runtime.clock import SystemClock
    from rebalancer.runtime.state import config_and_store, operator_name, policies_of
    from rebalancer.services import operations

    async with config_and_store(args.config) as (config, store):
        desk = operations.Desk.of(store, SystemClock())
        policies = policies_of(config)
        try:
            if args.release is not None:
                item = await operations.release_set_aside(
                    desk,
                    policies,
                    args.portfolio,
                    args.release,
                    by=operator_name(args.by),
                    reason=args.reason,
                )
                _print([item], args.json, released=True)
                return EXIT_OK
            items = await operations.set_asides_of(desk, policies, args.portfolio, every=args.all)
        except operations.AlreadyReleased as refused:
            print(f"rebalancer set-aside: {refused}", file=sys.stderr)
            return EXIT_FAILURE
        except operations.OperationRefused as refused:
            print(f"rebalancer set-aside: {refused}", file=sys.stderr)
            return EXIT_USAGE
    _print(items, args.json, released=False)
    return EXIT_OK


def _print(items: Sequence[SetAside], as_json: bool, *, released: bool) -> None:
    if as_json:
        print(json.dumps([set_aside_json(item) for item in items], indent=2))
        return
    if released:
        item = items[0]
        print(f"set-aside {item.id} released: {_amount(item)} on {item.venue} is cash again")
        print("  it counts as the portfolio's cash; the next run may invest it")
        return
    if not items:
        print("no cash set aside")
        return
    for item in items:
        print(set_aside_line(item))


def _amount(item: SetAside) -> str:
    from rebalancer.domain.money import format_decimal

    return f"{format_decimal(item.amount)} {item.asset}"


def set_aside_line(item: SetAside) -> str:
    """``sa-1f2e3d4c  5000 USDT on binance  since 2026-12-06 09:00 UTC (run 3fa..)``."""
    since = f"since {item.created_at:%Y-%m-%d %H:%M UTC}"
    run = f", run {item.run_id}" if item.run_id else ""
    if item.active:
        expires = f", expires {item.expires_at:%Y-%m-%d %H:%M UTC}" if item.expires_at else ""
        state = f"{since}{expires}{run}"
    else:
        assert item.released_at is not None
        cause = item.release_cause.value if item.release_cause else "released"
        state = f"{since}{run}; {cause} {item.released_at:%Y-%m-%d %H:%M UTC}"
        if item.released_by:
            state += f" by {item.released_by}"
    return f"{item.id}  {_amount(item)} on {item.venue}  {state}"


def set_aside_json(item: SetAside) -> dict[str, object]:
    """One set-aside as JSON (amounts as decimal strings, times as ISO 8601)."""
    from rebalancer.domain.money import format_decimal

    def stamp(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "id": item.id,
        "portfolio": item.portfolio,
        "venue": item.venue,
        "asset": item.asset,
        "amount": format_decimal(item.amount),
        "run_id": item.run_id,
        "created_at": stamp(item.created_at),
        "expires_at": stamp(item.expires_at),
        "active": item.active,
        "released_at": stamp(item.released_at),
        "released_by": item.released_by,
        "release_cause": item.release_cause.value if item.release_cause else None,
        "release_reason": item.release_reason,
    }
