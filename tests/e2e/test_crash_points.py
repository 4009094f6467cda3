"""kill -9 at each dangerous point of an order or transfer, then a restart.

The daemon and the simulator are separate processes; the simulator's control plane holds the
daemon at the point we want (a fault that delays a request), the test kills the daemon there,
starts it again and checks what a user would: the venue saw every order exactly once, the
database knows each one, and the portfolio ends inside its bands.

(a) intent committed, request not yet at the engine: the order endpoint holds the request
    longer than ccxt's recvWindow, so when it finally reaches the engine Binance's timestamp
    check refuses it; recovery must call it "never received" and the next run trade afresh.
(b) the engine took the order, the reply is held: recovery finds it by client id and records
    its fill; nothing is sent twice (on the Binance and on the OKX protocol).
(c) a withdrawal in flight: the restart follows it until it arrives at the other venue, even
    when it lands after recovery looked at it (then it must not be counted twice: landed and
    still in transit).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rebalancer.domain.records import OrderIntentState, TransferState

from .conftest import DaemonFactory
from .faults_harness import (
    LATE_MS,
    OKX_ORDER_PATH,
    OKX_SELLS,
    ORDER_PATH,
    TRADES_ONLY,
    assert_each_order_once,
    ended_run,
    fired,
    inject,
    post,
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


def kill_9(daemon_factory: DaemonFactory, config: Path, until: Callable[[], object]) -> None:
    """Start the daemon for one cycle and kill -9 it as soon as ``until()`` is truthy."""
    daemon = daemon_factory(config, "--once").start()
    wait_for("the point to kill at", until, timeout_s=60)
    daemon.signal(signal.SIGKILL)
    assert daemon.wait(timeout_s=10) == -signal.SIGKILL


def test_kill_after_the_intent_before_the_venue_saw_it_trades_once_after_restart(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim = start_sim(tmp_path, "sim", balances=TRADES_ONLY)
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=state, connection=sim.connection_file
    )
    inject(sim.control, venue="binance", path=ORDER_PATH, method="POST", delay_ms=LATE_MS)

    kill_9(daemon_factory, config, lambda: fired(sim.control, ORDER_PATH))
    held_at = time.monotonic()
    (intent,) = stored(state).orders
    assert intent.state is OrderIntentState.PENDING_SUBMIT  # committed before sending
    assert sim.control.orders() == []

    restarted = daemon_factory(config, "--once").start()
    assert restarted.wait(timeout_s=90) == 0
    # let the held request reach the engine (and be refused as too late) before judging
    wait_for("the held request", lambda: time.monotonic() > held_at + LATE_MS / 1000 + 1, 30)

    after = stored(state)
    lost = next(o for o in after.orders if o.client_order_id == intent.client_order_id)
    assert lost.state is OrderIntentState.REJECTED
    assert "never received" in str(lost.reason)
    log = sim.control.orders()
    assert intent.client_order_id not in {o["client_order_id"] for o in log}
    assert_each_order_once(log, after.orders)
    statuses = {r["id"]: r["status"] for r in runs(config)}
    assert statuses[intent.run_id] == "FAILED"  # settled by recovery: nothing had filled
    assert "FILLED" in statuses.values()
    assert inside_bands(sim.control.weights())


@pytest.mark.parametrize(
    ("venue", "order_path", "balances"),
    [("binance", ORDER_PATH, TRADES_ONLY), ("okx", OKX_ORDER_PATH, OKX_SELLS)],
)
def test_kill_after_the_venue_accepted_before_we_recorded_it_settles_without_resending(
    tmp_path: Path,
    sims: list[SimProcess],
    daemon_factory: DaemonFactory,
    venue: str,
    order_path: str,
    balances: dict[str, dict[str, str]],
) -> None:
    """On either protocol the accepted order is found by its client id, never sent again."""
    sim = start_sim(tmp_path, "sim", balances=balances)
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=state, connection=sim.connection_file
    )
    inject(sim.control, venue=venue, path=order_path, method="POST", delay_ms=30_000, execute=True)

    def venue_accepted() -> bool:
        return any(o["venue"] == venue for o in sim.control.orders())

    kill_9(daemon_factory, config, venue_accepted)
    (accepted,) = [o for o in sim.control.orders() if o["venue"] == venue]
    (intent,) = [o for o in stored(state).orders if o.venue == venue]
    assert intent.client_order_id == accepted["client_order_id"]
    assert intent.exchange_order_id is None  # the daemon died before it heard the reply

    restarted = daemon_factory(config, "--once").start()
    assert restarted.wait(timeout_s=90) == 0

    after = stored(state)
    settled = next(o for o in after.orders if o.client_order_id == intent.client_order_id)
    assert settled.state is OrderIntentState.FILLED
    assert settled.filled == settled.amount
    assert settled.exchange_order_id == str(accepted["id"])
    assert_each_order_once(sim.control.orders(), after.orders)
    statuses = {r["id"]: r["status"] for r in runs(config)}
    assert statuses[intent.run_id] == "PARTIALLY_FILLED"  # o1 filled, o2 never started
    assert inside_bands(sim.control.weights())


def test_kill_with_a_withdrawal_in_flight_the_restart_picks_up_its_arrival(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim = start_sim(tmp_path, "sim", transfer_delay_s=600)  # lands when the test says so
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=state, connection=sim.connection_file
    )

    def submitted() -> bool:  # on the venue and recorded as sent: in flight
        if not sim.control.transfers()["withdrawals"]:
            return False
        return any(t.state is TransferState.SUBMITTED for t in stored(state).transfers)

    kill_9(daemon_factory, config, submitted)
    (in_flight,) = stored(state).transfers
    assert in_flight.state is TransferState.SUBMITTED
    assert len(sim.control.transfers()["withdrawals"]) == 1
    assert sim.control.orders() == []  # the buy waits for the transfer

    restarted = daemon_factory(config).start()
    restarted.wait_for_log(r"recovery: ", timeout_s=60)
    # it lands after recovery looked at it: only a later check can notice the arrival
    (withdrawal,) = sim.control.transfers()["withdrawals"]
    post(sim.control, f"/withdrawals/{withdrawal['id']}/complete", {})
    wait_for("a FILLED run", lambda: ended_run(config, "FILLED"), timeout_s=90, every_s=0.5)
    restarted.signal(signal.SIGTERM)
    assert restarted.wait(timeout_s=30) == 0

    after = stored(state)
    followed = next(t for t in after.transfers if t.id == in_flight.id)
    assert followed.state is TransferState.ARRIVED
    assert len(sim.control.transfers()["withdrawals"]) == 1  # never requested twice
    assert_each_order_once(sim.control.orders(), after.orders)
    assert inside_bands(sim.control.weights())
