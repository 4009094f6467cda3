"""``rebalancer check-config``: validate a config file and say in words what it means.

A valid config prints a short summary (portfolios, targets, bands, schedule, venues, routes)
and exits 0. An invalid one prints every problem on stderr, one per line as
``FILE: key.path: message``, and exits 2; never a traceback, never a secret.
"""

from __future__ import annotations

import argparse
import sys

from rebalancer.domain.errors import ConfigError

EXIT_OK = 0
EXIT_INVALID = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the config file argument."""
    parser.add_argument(
        "path", nargs="?", metavar="PATH", help="the TOML config file (default: --config)"
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="the TOML config file, as other commands take it (default: $REBALANCER_CONFIG)",
    )


def run(args: argparse.Namespace) -> int:
    """Load the config with the process environment and print its summary or its problems."""
    from rebalancer.settings import load_config
    from rebalancer.settings.summary import summary_lines

    path = args.path or args.config
    try:
        config = load_config(path)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return EXIT_INVALID
    print(f"{config.source_file}: valid")
    for line in summary_lines(config):
        print(line)
    return EXIT_OK
