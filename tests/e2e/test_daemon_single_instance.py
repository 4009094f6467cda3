"""One daemon per state directory: a second one, started while the first runs, refuses to
start and names the first one's PID; once the first is gone, a new one starts."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from .conftest import DaemonFactory, SimFactory
from .harness import cli, write_daemon_config

pytestmark = pytest.mark.slow


def test_a_second_daemon_on_the_same_state_directory_refuses_and_names_the_first(
    tmp_path: Path, sim_factory: SimFactory, daemon_factory: DaemonFactory
) -> None:
    sim = sim_factory()
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=tmp_path / "state", connection=sim.connection_file
    )
    first = daemon_factory(config).start()
    first.wait_for_log(r"rebalancer running", timeout_s=60)
    assert first.process is not None

    second = cli("run", "--config", str(config), "--once")

    assert second.returncode == 1
    assert f"another rebalancer (pid {first.process.pid}) is running" in second.stderr
    first.signal(signal.SIGTERM)
    assert first.wait(timeout_s=30) == 0
    assert cli("run", "--config", str(config), "--once").returncode == 0
