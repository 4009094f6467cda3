"""Transfer and stream faults while the daemon (a subprocess) rebalances through a withdrawal.

The harness world needs USDT moved okx -> binance before the ETH buy. The simulator's control
plane fails the withdrawal, holds it past the daemon's deadline, or closes every websocket
mid-run; each test checks how the run, the transfer and the breaker ended, that nothing was
requested twice, and where the portfolio is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.records import TransferState

from .conftest import DaemonFactory
from .faults_harness import assert_each_order_once, post, runs, start_sim, stored
from .harness import SimProcess, cli, inside_bands, wait_for, write_daemon_config

pytestmark = pytest.mark.slow


@pytest.fixture
def sims() -> Iterator[list[SimProcess]]:
    started: list[SimProcess] = []
    yield started
    for sim in started:
        sim.stop()


def world(
    tmp_path: Path, sims: list[SimProcess], *, delay_s: float, timeout_s: int = 60
) -> tuple[SimProcess, Path]:
    """The harness simulator (withdrawals take ``delay_s``) and a daemon config for it."""
    sim = start_sim(tmp_path, "sim", transfer_delay_s=delay_s)
    sims.append(sim)
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=tmp_path / "state", connection=sim.connection_file
    )
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("transfer_timeout_s = 60", f"transfer_timeout_s = {timeout_s}"),
        encoding="utf-8",
    )
    return sim, config


def first_withdrawal(sim: SimProcess) -> dict[str, Any]:
    """Wait for the daemon's withdrawal to show up on the venue."""
    found: list[dict[str, Any]] = wait_for(
        "a withdrawal", lambda: sim.control.transfers()["withdrawals"], timeout_s=60
    )
    return found[0]


def test_a_withdrawal_the_venue_fails_is_recorded_failed_and_a_new_one_finishes_the_run(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim, config = world(tmp_path, sims, delay_s=3)
    daemon = daemon_factory(config, "--once").start()
    withdrawal = first_withdrawal(sim)
    post(sim.control, f"/withdrawals/{withdrawal['id']}/fail", {})  # refunded on the venue

    assert daemon.wait(timeout_s=90) == 0, daemon.log()
    assert "withdrawal failed" in daemon.log()
    after = stored(tmp_path / "state")
    states = sorted(t.state.value for t in after.transfers)
    assert states == ["ARRIVED", "FAILED"]  # the failed one is kept, a new one went through
    venue_states = sorted(w["state"] for w in sim.control.transfers()["withdrawals"])
    assert venue_states == ["completed", "failed"]
    (run,) = runs(config)
    assert run["status"] == "FILLED"  # the second withdrawal finished what the first could not
    assert run["reason"] == "inside the bands"
    assert after.breaker is None or after.breaker.state is BreakerState.ACTIVE  # refund != loss
    assert_each_order_once(sim.control.orders(), after.orders)
    assert inside_bands(sim.control.weights())


def test_a_withdrawal_that_never_arrives_halts_trading_until_it_lands_and_a_person_resumes(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim, config = world(tmp_path, sims, delay_s=600, timeout_s=3)
    state = tmp_path / "state"

    overdue = daemon_factory(config, "--once").start()
    assert overdue.wait(timeout_s=90) == 1  # the run failed
    assert "has not arrived by" in overdue.log()
    (run,) = runs(config)
    assert run["status"] == "FAILED"
    halted = stored(state)
    assert halted.breaker is not None
    assert halted.breaker.state is BreakerState.HALTED
    assert halted.breaker.reasons[0].startswith("transfer_overdue")
    (pending,) = halted.transfers
    assert pending.state is TransferState.SUBMITTED  # still followed, never given up
    assert sim.control.orders() == []  # the buy that waited for it never went out

    withdrawal = first_withdrawal(sim)
    post(sim.control, f"/withdrawals/{withdrawal['id']}/complete", {})
    landed = daemon_factory(config, "--once").start()
    assert landed.wait(timeout_s=90) == 0
    after = stored(state)
    assert after.transfers[0].state is TransferState.ARRIVED  # the restart picked it up
    assert after.breaker is not None
    assert after.breaker.state is BreakerState.HALTED  # a HALT survives restarts
    assert sim.control.orders() == []

    resumed = cli("resume", "--config", str(config), "--reason", "the deposit landed")
    assert resumed.returncode == 0, resumed.stderr
    trading = daemon_factory(config, "--once").start()
    assert trading.wait(timeout_s=90) == 0
    assert len(sim.control.transfers()["withdrawals"]) == 1  # never requested twice
    assert_each_order_once(sim.control.orders(), stored(state).orders)
    assert inside_bands(sim.control.weights())


def test_every_websocket_closing_mid_run_loses_nothing_and_the_run_fills(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim, config = world(tmp_path, sims, delay_s=3)
    daemon = daemon_factory(config, "--once").start()
    first_withdrawal(sim)
    post(sim.control, "/websockets/close", {})
    post(sim.control, "/user-streams/end", {})

    assert daemon.wait(timeout_s=90) == 0, daemon.log()
    assert "dropped" in daemon.log()  # the streams noticed and reconnected
    (run,) = runs(config)
    assert run["status"] == "FILLED"
    after = stored(tmp_path / "state")
    assert [t.state for t in after.transfers] == [TransferState.ARRIVED]
    assert_each_order_once(sim.control.orders(), after.orders)
    assert inside_bands(sim.control.weights())
