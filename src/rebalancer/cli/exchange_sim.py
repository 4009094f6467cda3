"""``rebalancer exchange-sim``: run the loopback exchange simulator until SIGINT or SIGTERM.

With ``--print-connection`` the first stdout line is one JSON object telling any ccxt program
how to reach each simulated venue (deep-merge ``urls`` and ``options`` into the instance) and
where the control API listens. See docs/exchange-sim.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rebalancer.exchange_sim.config import SimulatorConfig

EXIT_OK = 0
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``--config`` and ``--print-connection``."""
    parser.add_argument(
        "--config", required=True, type=Path, help="simulator TOML (see config/exchange-sim.toml)"
    )
    parser.add_argument(
        "--print-connection",
        action="store_true",
        help="print one JSON line with each venue's ccxt urls/options/keys and the control URL",
    )


def run(args: argparse.Namespace) -> int:
    """Load the config, serve until a signal arrives, shut down cleanly."""
    from rebalancer.exchange_sim.config import SimulatorConfigError, load_config

    try:
        config = load_config(args.config)
    except FileNotFoundError:
        print(f"{args.config}: no such file", file=sys.stderr)
        return EXIT_USAGE
    except SimulatorConfigError as bad:
        print(f"{args.config}: invalid simulator config:\n{bad}", file=sys.stderr)
        return EXIT_USAGE
    try:
        asyncio.run(_serve(config, print_connection=args.print_connection))
    except OSError as failed:
        print(f"exchange-sim: cannot listen: {failed}", file=sys.stderr)
        return 1
    return EXIT_OK


async def _serve(config: SimulatorConfig, *, print_connection: bool) -> None:
    """Serve until SIGINT or SIGTERM; the connection line goes out before anything else."""
    from rebalancer.exchange_sim.server import SimulatorServer

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with SimulatorServer(config) as server:
        if print_connection:
            print(json.dumps(server.connection()), flush=True)
        ports = ", ".join(f"{name}={port}" for name, port in server.ports.items())
        print(
            f"exchange-sim: venues on 127.0.0.1 ({ports}); control {server.control_url}",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    print("exchange-sim: stopped", file=sys.stderr, flush=True)
