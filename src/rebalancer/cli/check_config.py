"""``rebalancer check-config``: validate a config file and say in words what it means.

A valid config prints a short summary (portfolios, targets, bands, schedule, venues, routes,
and which configured parts this version serves) and exits 0. Beyond the file's own rules it
checks everything the daemon checks before it trades, without connecting anywhere
(``runtime/preflight.py``: exchange ids ccxt knows, simulator and connection files, the
database URL). An invalid config prints every problem on stderr, one per line as
``FILE: key.path: message``, and exits 2; never a traceback, never a secret. With
``--snapshot`` every portfolio is also checked against what the snapshot's venues list.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rebalancer.domain.errors import ConfigError, Problem, SnapshotError
from rebalancer.domain.snapshot import Snapshot

EXIT_OK = 0
EXIT_INVALID = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the config file argument and the optional snapshot."""
    parser.add_argument(
        "path", nargs="?", metavar="PATH", help="the TOML config file (default: --config)"
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="the TOML config file, as other commands take it (default: $REBALANCER_CONFIG)",
    )
    parser.add_argument(
        "--snapshot",
        metavar="PATH",
        type=Path,
        help="also check every portfolio against a snapshot JSON file (docs/formats.md)",
    )
    parser.add_argument(
        "--simulator-config",
        metavar="PATH",
        type=Path,
        help="paper mode's simulator TOML, as `run` takes it (default: the config's -sim file)",
    )


def run(args: argparse.Namespace) -> int:
    """Load the config with the process environment and print its summary or its problems."""
    from rebalancer.runtime.features import served_lines
    from rebalancer.runtime.preflight import preflight
    from rebalancer.settings import check_against_snapshot, load_config
    from rebalancer.settings.summary import summary_lines

    try:
        config = load_config(args.path or args.config)
    except ConfigError as error:
        return _refuse(error.problems)
    if problems := preflight(config, args.simulator_config):
        return _refuse(problems)
    if args.snapshot is not None:
        try:
            snapshot = _read_snapshot(args.snapshot)
        except (OSError, SnapshotError) as error:
            return _refuse([Problem("snapshot", _reason(error), str(args.snapshot))])
        problems = [
            p for name in config.portfolios for p in check_against_snapshot(config, name, snapshot)
        ]
        if problems:
            return _refuse(problems)
    print(f"{config.source_file}: valid")
    for line in [*summary_lines(config), *served_lines(config)]:
        print(line)
    if args.snapshot is not None:
        print(f"every portfolio can be traded on the venues in {args.snapshot}")
    return EXIT_OK


def _read_snapshot(path: Path) -> Snapshot:
    from rebalancer.codecs.snapshot_json import parse_snapshot

    return parse_snapshot(path.read_text(encoding="utf-8"))


def _reason(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return "does not exist"
    return str(error) if isinstance(error, SnapshotError) else f"cannot be read ({error})"


def _refuse(problems: Sequence[Problem]) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
    return EXIT_INVALID
