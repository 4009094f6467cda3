"""The ``rebalancer`` command line: a thin dispatcher over one module per command.

Each command module (``rebalancer.cli.<module>``) defines ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only when their command runs, so ``plan`` never pays
for ccxt or SQLAlchemy. A command whose reader goes away (``| head``, ``| true``) stops quietly
with status 0, never with a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from rebalancer import __version__

# command name -> (module under rebalancer.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check-config": ("check_config", "validate a config file and summarise what it means"),
    "config-schema": ("config_schema", "print the config's JSON Schema (for editors)"),
    "init-config": ("init_config", "write a commented starter config (--paper: simulated)"),
    "plan": ("plan", "plan a rebalance from a snapshot and print it"),
    "exchange-sim": ("exchange_sim", "run the loopback exchange simulator"),
    "db": ("db", "manage the state database (upgrade)"),
    "run": ("run", "run the daemon (or one cycle with --once)"),
    "runs": ("runs", "list past runs or show one run's history"),
    "replay": ("replay", "plan every round of a run again from its stored snapshot; compare"),
    "request": ("request", "ask the daemon for one run (full, invest_cash, withdraw, liquidate)"),
    "status": ("status", "ask the running daemon's API for its health and portfolios"),
    "approve": ("approve", "approve (or reject) a run waiting for approval"),
    "pause": ("pause", "stop a portfolio trading (still watched and reported)"),
    "unpause": ("pause", "let a paused portfolio trade again"),
    "resume": ("resume", "re-arm the circuit breaker after a halt"),
    "set-aside": ("set_aside", "list the cash set aside for withdrawals, or release it"),
    "snapshot": ("snapshot", "print the live snapshot JSON for a portfolio"),
    "backtest": ("backtest", "replay a portfolio's policy over historical prices, with a report"),
}


class CommandModule(Protocol):
    """What every command module provides."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the command's arguments."""
        ...

    def run(self, args: argparse.Namespace) -> int:
        """Carry the command out and return its exit status."""
        ...


EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with one sub-parser per registered command."""
    parser = argparse.ArgumentParser(
        prog="rebalancer", description="Keep a multi-venue crypto portfolio at target weights."
    )
    parser.add_argument("--version", action="version", version=f"rebalancer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        if name == _requested_command():
            _load(module_name).add_arguments(sub)
    return parser


def _requested_command() -> str | None:
    """The command named on the command line, so only its module is imported."""
    for arg in sys.argv[1:]:
        if not arg.startswith("-"):
            return arg
    return None


def _load(module_name: str) -> CommandModule:
    return cast(CommandModule, importlib.import_module(f"rebalancer.cli.{module_name}"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    if argv is not None:
        sys.argv = ["rebalancer", *argv]
    try:
        status = _run(build_parser())
        sys.stdout.flush()
    except BrokenPipeError:  # `rebalancer ... | head`: the reader has what it wanted
        _discard_stdout()
        return EXIT_OK
    return status


def _run(parser: argparse.ArgumentParser) -> int:
    """Parse the arguments (``--help`` and usage errors exit here) and run the command."""
    try:
        args = parser.parse_args(sys.argv[1:])
    except SystemExit as done:
        sys.stdout.flush()  # --help's text: a closed pipe shows up here, not at exit
        raise done from None
    return _load(args._module).run(args)


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    raise SystemExit(main())
