"""``rebalancer run --config C``: the daemon (or one cycle with ``--once``).

``--once --force`` while a daemon holds the state directory hands the work to it instead: a
``full`` run request per portfolio (as ``rebalancer request P --type full`` writes), then waits
for those runs to end (or to wait for approval) and reports them.

Exit status: 0 after a clean stop (SIGTERM, SIGINT) or a ``--once`` cycle whose runs did not
fail; 1 when a run failed, a venue could not be reconciled, or another daemon holds the state
directory for a plain ``--once`` (the message names its PID); 2 when the config is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rebalancer.settings import AppConfig

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the daemon's options."""
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the config file (default: $REBALANCER_CONFIG)",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="run one full cycle (reconcile, check, plan, execute, reconcile) and exit",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --once: rebalance now whatever the bands, calendar and cooldown say",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=None,
        help="log lines as readable text or one JSON object each (default: [daemon] log_format)",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="INFO",
        help="the least important lines shown (default INFO)",
    )
    parser.add_argument(
        "--simulator-config",
        type=Path,
        default=None,
        help="paper mode's simulator TOML (default: the config's name with -sim added)",
    )


def run(args: argparse.Namespace) -> int:
    """Load the config, set up logging with every secret redacted, and run the daemon."""
    from rebalancer.domain.errors import ConfigError
    from rebalancer.runtime.daemon import RunOptions, run_daemon
    from rebalancer.runtime.gateways import config_secrets
    from rebalancer.runtime.instance_lock import AlreadyRunning
    from rebalancer.runtime.logs import configure_logging
    from rebalancer.settings import load_config

    if args.force and not args.once:
        print("rebalancer run: --force needs --once", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"rebalancer run: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE
    log_format = args.log_format or config.daemon.log_format.value
    configure_logging(log_format, args.log_level, config_secrets(config))
    options = RunOptions(once=args.once, force=args.force, simulator_config=args.simulator_config)
    try:
        return asyncio.run(run_daemon(config, options))
    except AlreadyRunning as error:
        if args.once and args.force:
            print(f"rebalancer run: {error}; asking it to run now", file=sys.stderr)
            return asyncio.run(_ask_the_daemon(config))
        hint = (
            "; `rebalancer request PORTFOLIO --type full` asks it for a run now"
            if args.once
            else ""
        )
        print(f"rebalancer run: {error}{hint}", file=sys.stderr)
        return EXIT_FAILURE
    except ConfigError as error:
        print(f"rebalancer run: the config is wrong:\n{error}", file=sys.stderr)
        return EXIT_USAGE


WAIT_POLL_S = 0.5


async def _ask_the_daemon(config: AppConfig) -> int:
    """Request a full run of every portfolio from the running daemon and wait for them."""
    from rebalancer.domain.plan import RunType
    from rebalancer.domain.requests import RunRequest
    from rebalancer.domain.runs import RunStatus
    from rebalancer.persistence import open_store
    from rebalancer.runtime.clock import SystemClock
    from rebalancer.runtime.instance_lock import holder
    from rebalancer.runtime.state import operator_name, policies_of
    from rebalancer.services import operations

    store = await open_store(config.daemon.effective_database_url())
    try:
        policies, by = policies_of(config), operator_name(None)
        desk = operations.Desk.of(store, SystemClock())
        asked = []
        for name in policies:
            accepted = await operations.request_run(
                desk, policies, RunRequest(name, RunType.FULL), by=by
            )
            print(f"{name}: requested run {accepted.run.id}", file=sys.stderr)
            asked.append(accepted.run.id)
        while True:
            runs = [await store.get_run(run_id) for run_id in asked]
            if all(r.status.is_terminal or r.status is RunStatus.AWAITING_APPROVAL for r in runs):
                break
            if holder(Path(config.daemon.state_dir)) is None:
                print(
                    "rebalancer run: the daemon stopped; the requests wait for its next start",
                    file=sys.stderr,
                )
                return EXIT_FAILURE
            await asyncio.sleep(WAIT_POLL_S)
    finally:
        await store.close()
    for done in runs:
        reason = f" ({done.reason})" if done.reason else ""
        print(f"{done.portfolio}: run {done.id} {done.status.value}{reason}", file=sys.stderr)
    return EXIT_FAILURE if any(r.status is RunStatus.FAILED for r in runs) else EXIT_OK
