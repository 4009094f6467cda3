"""``rebalancer config-schema``: print the config's JSON Schema, for editors' completion.

Point an editor at the output (e.g. taplo or Even Better TOML with a ``#:schema`` directive) to
get key completion and inline checks while writing the config.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

EXIT_OK = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command takes no arguments."""
    del parser


def run(args: argparse.Namespace) -> int:
    """Print the root model's JSON Schema (validation mode: what the file may contain)."""
    del args
    from rebalancer.settings.schema import config_schema

    try:
        print(json.dumps(config_schema(), indent=2, sort_keys=True))
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK
