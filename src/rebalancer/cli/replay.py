"""``rebalancer replay RUN_ID --config C``: plan every round of a run again and compare.

Each stored round is planned again from its stored snapshot, with the portfolio's policy as the
config says now and the daemon's own planner, and the new plan's JSON is compared with the
stored one byte for byte. Identical rounds prove the run can be explained and replicated; a
difference is printed as the fields that changed (the config, the planner version or the data
moved since). ``rebalancer runs show RUN_ID --snapshot ROUND`` prints one stored snapshot for
``rebalancer plan --snapshot``. Nothing is written: the database must exist and is only read.

Exit status: 0 every round identical; 1 a round differs or could not be planned again, or
there is no database; 2 no such run, the run's portfolio is not in the config, or a wrong
config.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rebalancer.domain.records import RoundRecord, RunRecord
    from rebalancer.services.replay import RoundReplay
    from rebalancer.settings import AppConfig

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class UnknownRun(Exception):
    """The run, or its portfolio, is not there."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the run and the config."""
    parser.add_argument("run_id", metavar="RUN_ID", help="the run to replay")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the daemon's config (default: $REBALANCER_CONFIG)",
    )


def run(args: argparse.Namespace) -> int:
    """Replay the run and print a line per round (and what differs)."""
    from rebalancer.domain.errors import ConfigError
    from rebalancer.persistence import DatabaseNotReady
    from rebalancer.settings import load_config

    try:
        config = load_config(args.config)
        run_record, replays = asyncio.run(_replay(config, args.run_id))
    except ConfigError as error:
        print(f"rebalancer replay: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE
    except UnknownRun as error:
        print(f"rebalancer replay: {error}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseNotReady as error:
        print(f"rebalancer replay: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(
        f"run {run_record.id}: portfolio {run_record.portfolio}, {run_record.run_type.value}, "
        f"{len(replays)} round(s) planned again with the config as it is now"
    )
    for replay in replays:
        print(f"  round {replay.round}: {_verdict(replay)}")
        print("\n".join(f"    {line}" for line in replay.difference))
    same = sum(replay.identical for replay in replays)
    print(f"{same} of {len(replays)} round(s) identical")
    return EXIT_OK if same == len(replays) else EXIT_FAILURE


def _verdict(replay: RoundReplay) -> str:
    if replay.identical:
        return "identical"
    if replay.error is not None:
        return f"could not be planned again: {replay.error}"
    return "differs:"


async def _replay(config: AppConfig, run_id: str) -> tuple[RunRecord, list[RoundReplay]]:
    from rebalancer.codecs.plan_json import dump_plan, parse_plan
    from rebalancer.codecs.snapshot_json import parse_snapshot
    from rebalancer.domain.records import RecordNotFound
    from rebalancer.persistence import open_existing_store
    from rebalancer.runtime.assembly import daemon_planner
    from rebalancer.services.replay import replay_rounds

    store = await open_existing_store(config.daemon.effective_database_url())
    try:
        try:
            found = await store.get_run(run_id)
        except RecordNotFound:
            raise UnknownRun(f"no run {run_id}") from None
        rounds = await store.rounds_for_run(found.id)
    finally:
        await store.close()
    if found.portfolio not in config.portfolios:
        known = ", ".join(config.portfolios)
        raise UnknownRun(
            f"run {found.id}'s portfolio {found.portfolio} is not in the config ({known})"
        )
    policy = config.policy(found.portfolio)

    def plan_again(saved: RoundRecord) -> str:
        snapshot = parse_snapshot(saved.snapshot_json)
        amount = found.amount
        if found.amount is not None:  # what is left of an investment after earlier rounds
            amount = parse_plan(saved.plan_json).amount or found.amount
        plan = daemon_planner(
            snapshot, policy, found.run_type, amount, venue=found.venue, partial=found.partial
        )
        return dump_plan(plan)

    return found, replay_rounds(rounds, plan_again)
