"""``rebalancer plan``: plan a rebalance from a stored snapshot, offline, and print it.

The same pure planner the daemon uses, fed from files: a config, a portfolio name and a snapshot
(docs/formats.md). Without ``--json`` it prints readable tables; with ``--json`` it prints the
plan (docs/formats.md) on stdout and nothing else, byte for byte the same for the same inputs.

Bad input (a malformed snapshot or config, an unknown portfolio, a withdraw without an amount)
is reported on stderr naming the field, with exit status 2 and no traceback; so is an amount the
holdings cannot meet (a withdraw above what selling can raise, an invest_cash above the cash
that may be spent), saying how much can be, unless ``--partial`` asks for that most instead. A
planner that cannot produce any plan exits with 1. Nothing here talks to an exchange or a
database, so this command imports neither ccxt nor SQLAlchemy.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rebalancer.domain.errors import (
    AmountUnavailable,
    ConfigError,
    InvalidValue,
    PlanningError,
    SnapshotError,
)
from rebalancer.domain.money import format_decimal, to_decimal
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.snapshot import Snapshot

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
AMOUNT_RUN_TYPES = frozenset({RunType.WITHDRAW, RunType.INVEST_CASH})


class InputProblem(Exception):
    """An input the user must fix; the message names the field or file."""


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """Everything the planner needs, read and checked."""

    snapshot: Snapshot
    policy: Policy
    run_type: RunType
    amount: Decimal | None
    venue: str | None = None
    partial: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the plan command's options."""
    parser.add_argument(
        "--config", metavar="PATH", help="the TOML config file (default: $REBALANCER_CONFIG)"
    )
    parser.add_argument("--portfolio", required=True, metavar="NAME", help="a [portfolios.NAME]")
    parser.add_argument(
        "--snapshot", required=True, metavar="PATH", help="a snapshot JSON file (docs/formats.md)"
    )
    parser.add_argument(
        "--type",
        dest="run_type",
        default=RunType.FULL.value,
        choices=[kind.value for kind in RunType],
        help="what the run should do (default: full)",
    )
    parser.add_argument(
        "--amount",
        metavar="DECIMAL",
        help="withdraw: the cash to raise (required); invest_cash: the cash to spend "
        "(default: the cash above its target); in the portfolio's quote asset",
    )
    parser.add_argument(
        "--venue",
        metavar="NAME",
        help="withdraw: the venue the cash must be on (default: any of the portfolio's)",
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="an amount above what the holdings allow: plan the most they can instead of "
        "refusing (exit 2)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the plan as JSON (docs/formats.md) only"
    )


def run(args: argparse.Namespace) -> int:
    """Read the inputs, plan, and print the plan as tables or JSON."""
    try:
        inputs = read_inputs(args)
    except InputProblem as problem:
        return _fail(str(problem), EXIT_USAGE)
    from rebalancer.core.drift import drift_of_snapshot
    from rebalancer.core.planner import plan_rebalance

    try:
        plan = plan_rebalance(
            inputs.snapshot,
            inputs.policy,
            inputs.run_type,
            inputs.amount,
            venue=inputs.venue,
            partial=inputs.partial,
        )
    except AmountUnavailable as exc:
        return _fail(str(exc), EXIT_USAGE)
    except PlanningError as exc:
        return _fail(f"cannot plan: {exc}", EXIT_FAILURE)
    if args.json:
        from rebalancer.codecs.plan_json import dump_plan

        sys.stdout.write(dump_plan(plan))
    else:
        from rebalancer.cli.plan_render import render_plan

        drift = drift_of_snapshot(inputs.snapshot, inputs.policy)
        sys.stdout.write(render_plan(plan, inputs.policy, drift, inputs.snapshot))
    return EXIT_OK


def read_inputs(args: argparse.Namespace) -> PlanInputs:
    """Parse the amount, the snapshot and the config; raise InputProblem naming what is wrong."""
    run_type = RunType(args.run_type)
    amount = parse_amount(args.amount, run_type)
    if args.venue is not None and run_type is not RunType.WITHDRAW:
        raise InputProblem(f"--venue: only applies to --type withdraw, not {run_type.value}")
    if args.partial and amount is None:
        raise InputProblem("--partial: only applies with an --amount")
    snapshot = read_snapshot(Path(args.snapshot))
    policy = read_policy(Path(args.config) if args.config else None, args.portfolio, snapshot)
    if args.venue is not None and args.venue not in policy.venues:
        known = ", ".join(policy.venues)
        raise InputProblem(f"--venue: {args.venue} is not one of the portfolio's venues ({known})")
    return PlanInputs(snapshot, policy, run_type, amount, args.venue, args.partial)


def parse_amount(text: str | None, run_type: RunType) -> Decimal | None:
    """The ``--amount`` as a positive decimal: required for a withdraw, optional for an
    invest_cash (the cash above its target without it), refused for the others."""
    if text is None:
        if run_type is RunType.WITHDRAW:
            raise InputProblem(f"--amount: required for --type {run_type.value}")
        return None
    if run_type not in AMOUNT_RUN_TYPES:
        raise InputProblem(
            f"--amount: only applies to --type withdraw or invest_cash, not {run_type.value}"
        )
    try:
        amount = to_decimal(text, what="--amount")
    except InvalidValue as exc:
        raise InputProblem(str(exc)) from None
    if amount <= 0:
        raise InputProblem(f"--amount: must be positive, got {format_decimal(amount)}")
    return amount


def read_snapshot(path: Path) -> Snapshot:
    """Read and parse the snapshot file."""
    from rebalancer.codecs.snapshot_json import parse_snapshot

    text = _read_text(path, "--snapshot")
    try:
        return parse_snapshot(text)
    except SnapshotError as exc:
        raise InputProblem(f"{path}: {exc}") from None


def read_policy(path: Path | None, portfolio: str, snapshot: Snapshot) -> Policy:
    """Load the config, pick the portfolio's policy and check it against the snapshot."""
    from rebalancer import settings

    if path is not None:
        _read_text(path, "--config")  # named the same way as a missing snapshot
    try:
        config = settings.load_config(path)
        policy = config.policy(portfolio)
        problems = settings.check_against_snapshot(config, portfolio, snapshot)
    except ConfigError as exc:
        raise InputProblem(_config_message(exc.problems)) from None
    except KeyError as exc:
        raise InputProblem(f"--portfolio: {exc.args[0] if exc.args else portfolio}") from None
    if problems:
        raise InputProblem(_config_message(problems))
    return policy


def _config_message(problems: Sequence[object]) -> str:
    lines = ["the config is not usable for this plan:"]
    lines += [f"  {problem}" for problem in problems]
    return "\n".join(lines)


def _read_text(path: Path, option: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputProblem(f"{option}: no such file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputProblem(f"{option}: cannot read {path}: {exc}") from None


def _fail(message: str, status: int) -> int:
    print(f"rebalancer plan: {message}", file=sys.stderr)
    return status
