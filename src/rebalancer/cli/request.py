"""``rebalancer request P --type T [--amount X] [--venue V] [--partial]``: ask for one run.

The request is checked (the portfolio exists, the amount makes sense and the holdings can meet
it) and written to the state database as a run in state NEW; its id is printed. A running
daemon takes it within a second, a stopped one when it starts; either plans and carries it out
under the usual approval, breaker and pre-trade rules. ``runs`` shows it from NEW on.

``rebalancer request --cancel ID`` cancels a request the daemon has not taken yet (or a run
waiting for approval).

Exit status: 0 written (or cancelled); 1 the run to cancel has started; 2 no such run, a wrong
config or a request that is refused (the message names the problem; nothing is written).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
RUN_TYPES = ("full", "invest_cash", "withdraw", "liquidate")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare what is asked, or which request to cancel."""
    parser.add_argument("portfolio", nargs="?", metavar="PORTFOLIO", help="the portfolio")
    parser.add_argument(
        "--type",
        dest="run_type",
        choices=RUN_TYPES,
        default=None,
        help="full: back to target or band edge; invest_cash: buy with cash, never sell; "
        "withdraw: raise --amount of cash by selling; liquidate: everything to cash",
    )
    parser.add_argument(
        "--amount",
        default=None,
        help="withdraw: cash to raise (required); invest_cash: cash to spend (default: the "
        "cash above its target); in the portfolio's quote asset",
    )
    parser.add_argument("--venue", default=None, help="withdraw: raise the cash at this venue")
    parser.add_argument(
        "--partial",
        action="store_true",
        help="withdraw or invest_cash: raise (spend) the most possible when the holdings "
        "cannot meet --amount, instead of refusing",
    )
    parser.add_argument("--cancel", metavar="ID", default=None, help="cancel a waiting request")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the daemon's config (default: $REBALANCER_CONFIG)",
    )
    parser.add_argument("--by", default=None, help="who asks (default: your login name)")
    parser.add_argument(
        "--simulator-config",
        type=Path,
        default=None,
        help="paper mode's simulator TOML, to value the portfolio when the daemon is not running",
    )


def run(args: argparse.Namespace) -> int:
    """Write (or cancel) the request."""
    from rebalancer.domain.errors import ConfigError

    if problem := _usage_problem(args):
        print(f"rebalancer request: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.cancel is not None:
            return asyncio.run(_cancel(args))
        return asyncio.run(_request(args))
    except ConfigError as error:
        print(f"rebalancer request: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.cancel is not None:
        asked = [args.portfolio, args.run_type, args.amount, args.venue, args.partial or None]
        if any(value is not None for value in asked):
            return "--cancel ID takes no portfolio, --type, --amount, --venue or --partial"
        return None
    if args.portfolio is None:
        return "name the portfolio: rebalancer request PORTFOLIO --type TYPE"
    if args.run_type is None:
        return f"--type: required, one of {', '.join(RUN_TYPES)}"
    if args.amount is not None:
        try:
            Decimal(args.amount)
        except InvalidOperation:
            return f"--amount: expected a decimal number such as 5000, got {args.amount!r}"
    return None


async def _request(args: argparse.Namespace) -> int:
    from rebalancer.domain.plan import RunType
    from rebalancer.domain.requests import RunRequest
    from rebalancer.runtime.clock import SystemClock
    from rebalancer.runtime.operator_view import portfolio_view
    from rebalancer.runtime.state import config_store, operator_name, policies_of
    from rebalancer.services import operations
    from rebalancer.settings import load_config

    by = operator_name(args.by)
    request = RunRequest(
        portfolio=args.portfolio,
        run_type=RunType(args.run_type),
        amount=None if args.amount is None else Decimal(args.amount),
        venue=args.venue,
        partial=args.partial,
    )
    config = load_config(args.config)
    policies = policies_of(config)
    try:
        operations.check_request(policies, request)  # before any database or venue is touched
    except operations.OperationRefused as refused:
        print(f"rebalancer request: {refused}", file=sys.stderr)
        return EXIT_USAGE
    clock = SystemClock()
    async with config_store(args.config) as store:
        view = await portfolio_view(
            config, store, request.portfolio, clock, simulator_config=args.simulator_config
        )
        try:
            accepted = await operations.request_run(
                operations.Desk.of(store, clock), policies, request, by=by, snapshot=view.snapshot
            )
        except operations.OperationRefused as refused:
            print(f"rebalancer request: {refused}\n  {view.source}", file=sys.stderr)
            return EXIT_USAGE
    print(accepted.run.id)
    asked = operations.describe_request(request)
    print(
        f"requested {asked} of {request.portfolio} as run {accepted.run.id} (NEW)", file=sys.stderr
    )
    for note in (view.source, *accepted.notes):
        print(f"  {note}", file=sys.stderr)
    return EXIT_OK


async def _cancel(args: argparse.Namespace) -> int:
    from rebalancer.runtime.clock import SystemClock
    from rebalancer.runtime.state import config_store, operator_name
    from rebalancer.services import operations

    by = operator_name(args.by)
    async with config_store(args.config) as store:
        try:
            desk = operations.Desk.of(store, SystemClock())
            run = await operations.cancel_run(desk, args.cancel, by=by)
        except operations.RunNotFound as unknown:  # an unknown name: wrong input
            print(f"rebalancer request: {unknown}", file=sys.stderr)
            return EXIT_USAGE
        except operations.OperationRefused as refused:
            print(f"rebalancer request: {refused}", file=sys.stderr)
            return EXIT_FAILURE
    print(f"run {run.id} {run.status.value} ({run.reason})")
    return EXIT_OK
