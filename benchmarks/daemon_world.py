"""Shared set-up for the daemon benchmarks: the e2e harness's two-venue world, timed.

The simulator (``rebalancer exchange-sim``) and the daemon (``rebalancer run``) run as real
subprocesses on loopback, exactly as in ``tests/e2e``; the daemon logs JSON so every line has
a millisecond timestamp (``at``) we can line up with the wall clock here.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.e2e.harness import (  # noqa: E402  (needs the repo on the path first)
    DaemonProcess,
    SimProcess,
    wait_for,
    write_daemon_config,
    write_sim_config,
)

__all__ = [
    "DaemonProcess",
    "SimProcess",
    "World",
    "log_records",
    "summary",
    "wait_for",
    "world",
]


@dataclass
class World:
    """A running simulator and a daemon config pointing at it (the daemon not started)."""

    directory: Path
    sim: SimProcess
    config: Path

    def daemon(self, *args: str) -> DaemonProcess:
        """A ``rebalancer run`` on this world, logging JSON (call ``start()``)."""
        return DaemonProcess(
            self.config, self.directory / "daemon.log", ("--log-format", "json", *args)
        )


@contextlib.contextmanager
def world(
    *,
    balances: dict[str, dict[str, str]] | None = None,
    check_interval_s: float = 2.0,
    max_order_notional: str | None = None,
    transfer_delay_s: float = 1.0,
    prices: str = "static",
    extra_daemon_toml: str = "",
) -> Iterator[World]:
    """Start the simulator in a temporary directory; stop it (and clean up) afterwards."""
    with tempfile.TemporaryDirectory(prefix="rebalancer-bench-") as name:
        directory = Path(name)
        sim_config = write_sim_config(
            directory / "sim.toml",
            transfer_delay_s=transfer_delay_s,
            prices=prices,
            balances=balances,
        )
        sim = SimProcess(sim_config, directory / "sim-connection.json").start()
        try:
            config = write_daemon_config(
                directory / "daemon.toml",
                state_dir=directory / "state",
                connection=sim.connection_file,
                check_interval_s=check_interval_s,
                max_order_notional=max_order_notional,
            )
            if extra_daemon_toml:
                config.write_text(config.read_text(encoding="utf-8") + extra_daemon_toml)
            yield World(directory, sim, config)
        finally:
            sim.stop()


def log_records(daemon: DaemonProcess) -> list[dict[str, Any]]:
    """The daemon's JSON log lines so far, parsed (other lines skipped)."""
    records = []
    for line in daemon.log().splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "at" in record:
                records.append(record)
    return records


def logged_at(record: dict[str, Any]) -> float:
    """A JSON log record's time as a Unix timestamp."""
    return datetime.fromisoformat(str(record["at"])).timestamp()


def summary(name: str, values_s: list[float]) -> str:
    """One line: median, min and max in milliseconds over the samples."""
    ms = [v * 1000 for v in values_s]
    return (
        f"{name}: median {statistics.median(ms):.0f} ms, min {min(ms):.0f} ms, "
        f"max {max(ms):.0f} ms (n={len(ms)})"
    )
