"""Fixtures that start the simulator and the daemon as real subprocesses and always stop them.

``sim_factory(**sim_options)`` starts ``rebalancer exchange-sim`` and writes its connection
file; ``daemon_factory(config_path)`` prepares a ``rebalancer run`` (call ``.start()``).
Configs come from ``harness.write_sim_config`` / ``harness.write_daemon_config``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import DaemonProcess, SimProcess, write_sim_config

SimFactory = Callable[..., SimProcess]
DaemonFactory = Callable[..., DaemonProcess]


@pytest.fixture
def sim_factory(tmp_path: Path) -> Iterator[SimFactory]:
    started: list[SimProcess] = []

    def start(**options: Any) -> SimProcess:
        name = f"sim{len(started)}"
        config = write_sim_config(tmp_path / f"{name}.toml", **options)
        sim = SimProcess(config, tmp_path / f"{name}-connection.json")
        started.append(sim)
        return sim.start()

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[DaemonFactory]:
    made: list[DaemonProcess] = []

    def make(config: Path, *args: str, env: dict[str, str] | None = None) -> DaemonProcess:
        daemon = DaemonProcess(config, tmp_path / "daemon.log", tuple(args), dict(env or {}))
        made.append(daemon)
        return daemon

    yield make
    for daemon in made:
        daemon.stop()
