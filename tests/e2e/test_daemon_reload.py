"""SIGHUP: a valid config is swapped in; a wrong one, or one that needs a restart, is refused
with the reason and the daemon goes on with the old one."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from .conftest import DaemonFactory, SimFactory
from .harness import write_daemon_config

pytestmark = pytest.mark.slow


def test_sighup_swaps_in_a_valid_config_and_keeps_the_old_one_on_error(
    tmp_path: Path, sim_factory: SimFactory, daemon_factory: DaemonFactory
) -> None:
    sim = sim_factory()
    path = tmp_path / "daemon.toml"

    def write(**options: object) -> Path:
        return write_daemon_config(
            path,
            state_dir=tmp_path / "state",
            connection=sim.connection_file,
            **options,  # type: ignore[arg-type]
        )

    daemon = daemon_factory(write()).start()
    daemon.wait_for_log(r"rebalancer running", timeout_s=60)

    path.write_text('[portfolios.core]\nquote = "USDT"\nweights = { BTC = "150" }\n')
    daemon.signal(signal.SIGHUP)
    refused = daemon.wait_for_log(r"SIGHUP: .* is wrong; keeping the running config", 30)
    assert "venues: is required" in daemon.log()[refused.end() :]

    write(check_interval_s=7, approval_above="1")
    daemon.signal(signal.SIGHUP)
    daemon.wait_for_log(r"SIGHUP: config reloaded from .* checks every 7 s", 30)

    write(check_interval_s=7, shutdown_grace_s=3)
    daemon.signal(signal.SIGHUP)
    daemon.wait_for_log(r"changes daemon.shutdown_grace_s, which needs a restart", 30)

    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout_s=30) == 0
