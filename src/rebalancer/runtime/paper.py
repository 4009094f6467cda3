"""Paper mode: the exchange simulator started inside the daemon for ``simulated = true`` venues.

The simulator's own config (prices, balances, networks) is a second TOML file, by default the
config file's name with ``-sim`` added (``paper.toml`` -> ``paper-sim.toml``, same directory).
It listens on 127.0.0.1 on free ports; its connection (URLs, ccxt options, paper keys) points
the ccxt gateways at it, so paper trading takes exactly the path real trading takes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rebalancer.domain.errors import ConfigError, Problem
from rebalancer.domain.records import TransferState
from rebalancer.exchange_sim.config import SimulatorConfigError
from rebalancer.exchange_sim.config import load_config as load_simulator_config
from rebalancer.exchange_sim.server import SimulatorServer
from rebalancer.ports import Store
from rebalancer.settings import AppConfig

log = logging.getLogger(__name__)

SIM_SUFFIX = "-sim"


def simulated_venues(config: AppConfig) -> list[str]:
    """The venues the embedded simulator must serve."""
    return [name for name, venue in config.venues.items() if venue.simulated]


def default_simulator_config(config_file: Path) -> Path:
    """``<dir>/<stem>-sim.toml`` next to the daemon's config file."""
    return config_file.with_name(f"{config_file.stem}{SIM_SUFFIX}{config_file.suffix}")


def simulator_config_path(config: AppConfig, given: Path | None = None) -> Path:
    """The simulator config paper mode reads: ``given``, else the default beside the config."""
    if given is not None:
        return given
    source = config.source_file
    return default_simulator_config(source) if source else Path("paper-sim.toml")


def load_paper_simulator(config: AppConfig, path: Path) -> SimulatorServer:
    """Read the simulator config and check it serves every simulated venue (not started)."""
    try:
        sim_config = load_simulator_config(path)
    except FileNotFoundError:
        raise ConfigError(
            [Problem("venues", f"simulated venues need the simulator config {path}: not found")]
        ) from None
    except SimulatorConfigError as error:
        raise ConfigError([Problem("simulator", str(error), str(path))]) from None
    missing = [name for name in simulated_venues(config) if name not in sim_config.venues]
    if missing:
        problems = [
            Problem(f"venues.{name}", f"simulated, but {path} has no [venues.{name}]")
            for name in missing
        ]
        raise ConfigError(problems)
    return SimulatorServer(sim_config)


async def start_paper_simulator(server: SimulatorServer) -> dict[str, Any]:
    """Start the simulator and return its connection."""
    await server.start()
    connection = server.connection()
    for name in connection["venues"]:
        http_base, _ = server.urls(name)
        log.info("paper venue %s: simulator listening on %s", name, http_base)
    log.info("paper simulator control plane: %s", server.control_url)
    return connection


async def forget_paper_transfers(store: Store, venues: list[str]) -> int:
    """Fail transfers still pending on paper venues: the restarted simulator forgot them.

    The embedded simulator starts again from its config's balances on every start, so a
    withdrawal a previous daemon left in flight will never arrive; counted as in transit it
    would skew every valuation. Returns how many were failed.
    """
    forgotten = 0
    for transfer in await store.pending_transfers():
        if transfer.source in venues or transfer.destination in venues:
            await store.update_transfer(
                transfer.id,
                state=TransferState.FAILED,
                reason="paper simulator restarted: this transfer no longer exists",
            )
            forgotten += 1
    if forgotten:
        log.warning("paper mode: %d transfer(s) of an earlier simulator marked FAILED", forgotten)
    return forgotten
