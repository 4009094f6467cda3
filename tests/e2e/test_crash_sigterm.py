"""SIGTERM while an order is between its intent and its reply: settled first, then exit 0.

The venue takes the order and holds the reply for a few seconds (below ccxt's timeout); the
daemon gets SIGTERM during the hold. It must wait for the reply, record the order as sent
and filled, park the run, and exit 0 within its grace period; the next start settles the run
and finishes the job without sending that order again.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebalancer.domain.records import OrderIntentState

from .conftest import DaemonFactory
from .faults_harness import (
    ORDER_PATH,
    TRADES_ONLY,
    assert_each_order_once,
    inject,
    runs,
    start_sim,
    stored,
)
from .harness import SimProcess, inside_bands, wait_for, write_daemon_config

pytestmark = pytest.mark.slow


@pytest.fixture
def sims() -> Iterator[list[SimProcess]]:
    started: list[SimProcess] = []
    yield started
    for sim in started:
        sim.stop()


def test_sigterm_with_an_order_awaiting_its_reply_records_it_then_exits_zero(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim = start_sim(tmp_path, "sim", balances=TRADES_ONLY)
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml",
        state_dir=state,
        connection=sim.connection_file,
        shutdown_grace_s=20,
    )
    inject(
        sim.control, venue="binance", path=ORDER_PATH, method="POST", delay_ms=4000, execute=True
    )
    daemon = daemon_factory(config).start()
    wait_for("the held order", sim.control.orders, timeout_s=60, every_s=0.05)

    daemon.signal(signal.SIGTERM)

    assert daemon.wait(timeout_s=40) == 0
    assert "rebalancer stopped" in daemon.log()
    (held,) = sim.control.orders()
    (recorded,) = stored(state).orders
    assert recorded.client_order_id == held["client_order_id"]
    assert recorded.state is OrderIntentState.FILLED  # settled before stopping
    assert recorded.exchange_order_id == str(held["id"])
    (parked,) = runs(config)
    assert parked["status"] == "PROCESSING"  # for the next start's recovery

    restarted = daemon_factory(config, "--once").start()
    assert restarted.wait(timeout_s=90) == 0
    statuses = {r["id"]: r["status"] for r in runs(config)}
    assert statuses[parked["id"]] == "PARTIALLY_FILLED"
    assert "FILLED" in statuses.values()
    assert_each_order_once(sim.control.orders(), stored(state).orders)
    assert inside_bands(sim.control.weights())
