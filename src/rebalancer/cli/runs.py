"""``rebalancer runs``: the run history (``runs [--portfolio P] [--json]``, ``runs show ID``).

The list shows the newest runs first: id, portfolio, status, trigger, rounds, when, and why it
ended. ``show`` tells one run's story: what triggered it, each round's plan, every order with
its fill, price and fee, every transfer, the traded notional, the fees in the quote asset and
the event log. ``--json`` prints the same as one JSON document (amounts as decimal strings,
plans as docs/formats.md describes them). ``show RUN_ID --snapshot ROUND`` prints the snapshot
a round was planned from, for ``rebalancer plan --snapshot`` (``rebalancer replay`` compares
every round). Exit status: 0; 1 no database yet; 2 no such run or round, a wrong config or
usage. Nothing is created: a state directory without a database says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rebalancer.domain.records import (
        OrderRecord,
        TransferRecord,
    )
    from rebalancer.services.run_history import RunHistory

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``runs [show RUN_ID]`` and its filters."""
    parser.add_argument(
        "words", nargs="*", metavar="show RUN_ID", help="show one run's whole history"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the daemon's config (default: $REBALANCER_CONFIG)",
    )
    parser.add_argument("--portfolio", default=None, help="only this portfolio's runs")
    parser.add_argument("--limit", type=int, default=20, help="how many runs to list")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--snapshot",
        type=int,
        metavar="ROUND",
        default=None,
        help="with show: print the snapshot round ROUND was planned from (for `plan --snapshot`)",
    )


def run(args: argparse.Namespace) -> int:
    """List runs or show one."""
    from rebalancer.domain.errors import ConfigError
    from rebalancer.persistence import DatabaseNotReady

    words: list[str] = args.words
    if usage := _usage_problem(args):
        print(f"rebalancer runs: {usage}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if words and args.snapshot is not None:
            return asyncio.run(_show_snapshot(args.config, words[1], args.snapshot))
        if words:
            return asyncio.run(_show(args.config, words[1], as_json=args.json))
        return asyncio.run(_list(args.config, args.portfolio, args.limit, as_json=args.json))
    except ConfigError as error:
        print(f"rebalancer runs: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseNotReady as error:
        print(f"rebalancer runs: {error}", file=sys.stderr)
        return EXIT_FAILURE


def _usage_problem(args: argparse.Namespace) -> str | None:
    words: list[str] = args.words
    if words and (len(words) != 2 or words[0] != "show"):
        return "expected `runs` or `runs show RUN_ID`"
    if args.snapshot is not None and not words:
        return "--snapshot needs `runs show RUN_ID`"
    if args.limit < 1:
        return "--limit must be at least 1"
    return None


async def _list(config: Path, portfolio: str | None, limit: int, *, as_json: bool) -> int:
    from rebalancer.runtime.state import config_store

    async with config_store(config, existing=True) as store:
        runs = await store.list_runs(portfolio, limit)
    if as_json:
        from rebalancer.services.run_documents import run_doc

        print(json.dumps({"version": 1, "runs": [run_doc(r) for r in runs]}, indent=2))
        return EXIT_OK
    if not runs:
        print("no runs yet")
        return EXIT_OK
    print(f"{'RUN':<12} {'PORTFOLIO':<12} {'STATUS':<18} {'TRIGGER':<9} ROUNDS  CREATED (UTC)")
    for r in runs:
        created = r.created_at.strftime("%Y-%m-%d %H:%M:%S")
        reason = f"  {r.reason}" if r.reason else ""
        print(
            f"{r.id:<12} {r.portfolio:<12} {r.status.value:<18} {r.trigger.value:<9} "
            f"{r.rounds:>6}  {created}{reason}"
        )
    return EXIT_OK


async def _show(config: Path, run_id: str, *, as_json: bool) -> int:
    from rebalancer.domain.records import RecordNotFound
    from rebalancer.runtime.state import config_store
    from rebalancer.services.run_history import run_history

    async with config_store(config, existing=True) as store:
        try:
            history = await run_history(store, run_id)
        except RecordNotFound:
            print(f"rebalancer runs: no run {run_id}", file=sys.stderr)
            return EXIT_USAGE
    if as_json:
        from rebalancer.services.run_documents import history_doc

        print(json.dumps(history_doc(history), indent=2))
    else:
        print("\n".join(history_lines(history)))
    return EXIT_OK


async def _show_snapshot(config: Path, run_id: str, round_no: int) -> int:
    """Print the stored snapshot of one round, byte for byte as the run planned from it."""
    from rebalancer.domain.records import RecordNotFound
    from rebalancer.runtime.state import config_store

    async with config_store(config, existing=True) as store:
        try:
            found = await store.get_run(run_id)
        except RecordNotFound:
            print(f"rebalancer runs: no run {run_id}", file=sys.stderr)
            return EXIT_USAGE
        rounds = {saved.round: saved for saved in await store.rounds_for_run(found.id)}
    if round_no not in rounds:
        have = ", ".join(str(r) for r in sorted(rounds)) or "none stored"
        print(f"rebalancer runs: run {found.id} has no round {round_no} ({have})", file=sys.stderr)
        return EXIT_USAGE
    text = rounds[round_no].snapshot_json
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


# -- text -----------------------------------------------------------------------------------


def history_lines(history: RunHistory) -> list[str]:
    """The readable story of one run."""
    from rebalancer.codecs.plan_json import parse_plan
    from rebalancer.services.narration import (
        describe_order,
        describe_plan,
        describe_transfer,
        format_decimal,
        format_money,
    )

    run = history.run
    ending = f" ({run.reason})" if run.reason else ""
    lines = [
        f"run {run.id}: portfolio {run.portfolio}, {run.run_type.value}, "
        f"{run.status.value}{ending}",
        f"  triggered by {run.trigger.value}: {history.trigger_reason or 'no reason recorded'}",
        f"  created {_stamp(run.created_at)}, last change {_stamp(run.updated_at)}",
    ]
    for saved in history.rounds:
        lines.append(f"round {saved.round} (planned {_stamp(saved.created_at)}):")
        lines += [f"  {line}" for line in describe_plan(parse_plan(saved.plan_json))]
    lines.append("orders:" if history.orders else "orders: none")
    lines += [f"  round {o.round}: {describe_order(o)}" for o in history.orders]
    lines.append("transfers:" if history.transfers else "transfers: none")
    lines += [f"  {describe_transfer(t)}" for t in history.transfers]
    notional, fees = _totals(history.orders, history.transfers)
    from rebalancer.services.run_documents import fees_in_quote_of

    quote, in_quote, missing = fees_in_quote_of(history)
    unit = f" {quote}" if quote else ""
    paid = ", ".join(f"{format_decimal(v)} {a}" for a, v in sorted(fees.items()))
    fee_text = "none"
    if paid:
        fee_text = f"{'at least ' if missing else ''}{format_money(in_quote)}{unit} ({paid})"
    if missing:
        fee_text += f"; not converted (no price): {', '.join(missing)}"
    lines.append(f"traded {format_money(notional)}{unit} (quote value of fills); fees {fee_text}")
    lines.append("events:")
    lines += [f"  {_stamp(e.at)} {e.kind} {json.dumps(dict(e.payload))}" for e in history.events]
    return lines


def _stamp(moment: datetime) -> str:
    """A stored time in UTC with its zone: ``2026-12-06T04:22:20Z``."""
    utc = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _totals(
    orders: Sequence[OrderRecord], transfers: Sequence[TransferRecord]
) -> tuple[Decimal, dict[str, Decimal]]:
    """The quote value filled and the fees paid per asset."""
    from rebalancer.services.narration import fees_paid, spent

    return spent(orders), fees_paid(orders, transfers)
