"""A price jump across a restart halts the daemon; a person resuming accepts the new prices.

The price-jump check used to keep its reference in memory only, so the first price after a
restart was never checked: a +20 % step hidden by a restart went straight into a plan. The
reference is now the portfolio's latest snapshot in the database.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebalancer.domain.breaker import BreakerState

from .conftest import DaemonFactory
from .faults_harness import post, start_sim, stored
from .harness import SimProcess, cli, wait_for, write_daemon_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

# 40 / 40 / 20 at BTC 60,000 and ETH 3,000: inside every band, nothing to trade
BALANCED = {"binance": {"BTC": "0.2", "ETH": "4", "USDT": "6000"}, "okx": {"USDT": "0"}}


@pytest.fixture
def sims() -> Iterator[list[SimProcess]]:
    started: list[SimProcess] = []
    yield started
    for sim in started:
        sim.stop()


def test_a_twenty_percent_jump_while_the_daemon_was_down_halts_it_until_resumed(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim = start_sim(tmp_path, "sim", balances=BALANCED)
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=state, connection=sim.connection_file
    )
    before = daemon_factory(config).start()
    before.wait_for_log(r"core: idle \(within band", timeout_s=90)
    before.signal(signal.SIGKILL)
    assert before.wait(timeout_s=10) == -signal.SIGKILL

    post(sim.control, "/prices", {"symbol": "BTC/USDT", "price": "72000"})  # +20 % while down
    after = daemon_factory(config).start()
    after.wait_for_log(r"circuit breaker ACTIVE -> HALTED", timeout_s=90)
    after.signal(signal.SIGTERM)
    assert after.wait(timeout_s=30) == 0

    halted = stored(state).breaker
    assert halted is not None
    assert halted.state is BreakerState.HALTED
    assert halted.reasons[0].startswith("price_check")
    assert "moved 20.00%" in halted.reasons[0]
    assert sim.control.orders() == []

    resumed = cli("resume", "--config", str(config), "--reason", "BTC really is at 72,000")
    assert resumed.returncode == 0, resumed.stderr
    trading = daemon_factory(config).start()
    wait_for(
        "a check after the resume",
        lambda: "core: ran (" in trading.log() or "core: idle (" in trading.log(),
        timeout_s=90,
    )
    trading.signal(signal.SIGTERM)
    assert trading.wait(timeout_s=30) == 0
    breaker = stored(state).breaker
    assert breaker is not None
    assert breaker.state is BreakerState.ACTIVE  # the jumped price is the new reference
