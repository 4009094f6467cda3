"""Trading once, and only what is needed, when a withdrawal is left in flight.

The harness world moves USDT okx -> binance before buying ETH. Each test drives the daemon (a
subprocess) through one sequence a chaos run found, step by step through the simulator's
control plane, then checks the episode's invariants (``invariants.check_episode``): the notional
traded is within 1.1 x what one plan from the first snapshot needed, and every round's
snapshot counts every withdrawal exactly once. Both would fail before the fixes:

- a kill leaves the withdrawal in flight; after the restart a new run started around it, the
  withdrawal landed while that run was trading, and its next round's snapshot took the
  in-transit list from the database: the money counted twice (landed and still in transit)
  and the round spent cash that was not there;
- a withdrawal's reply is lost and it cannot be looked up in the round; the next round's
  snapshot took the in-transit list from the database, where it was not listed, so the money
  counted nowhere and the round traded as if it were gone.

A third test holds the invariant across a restart and a withdrawal the venue failed and
refunded while the daemon was down: the refund counts at the source, the transfer is planned
again once.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rebalancer.domain.records import TransferState

from .conftest import DaemonFactory
from .faults_harness import (
    LATE_MS,
    ORDER_PATH,
    assert_each_order_once,
    disarm,
    ended_run,
    fired,
    inject,
    post,
    start_sim,
    stored,
)
from .harness import FUNDED, SimProcess, inside_bands, wait_for, write_daemon_config
from .invariants import check_episode, dumps

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BTC_HEAVY = {"binance": {"BTC": "0.45", "USDT": "100"}, "okx": {"USDT": "30000"}}
BTC_AT_TARGET = {"binance": {"BTC": "0.32", "USDT": "100"}, "okx": {"USDT": "28700"}}
OKX_WITHDRAW = "/api/v5/asset/withdrawal"
OKX_WITHDRAWALS = "/api/v5/asset/withdrawal-history"


@pytest.fixture
def sims() -> Iterator[list[SimProcess]]:
    started: list[SimProcess] = []
    yield started
    for sim in started:
        sim.stop()


def withdrawals(sim: SimProcess) -> list[dict[str, Any]]:
    """Every withdrawal the venues received."""
    return list(sim.control.transfers()["withdrawals"])


def assert_invariants(
    state: Path, config: Path, sim: SimProcess, funded: dict[str, dict[str, str]]
) -> None:
    """Traded no more than needed; every withdrawal counted once in every round's snapshot."""
    figures = check_episode(state, config, sim.control.orders(), sim.control.transfers(), funded)
    assert not figures["problems"], dumps(figures)


def test_a_withdrawal_left_in_flight_by_a_kill_is_waited_for_not_counted_twice(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    # BTC above its band on binance: sell some (o1), move USDT over (t1), buy ETH (after t1)
    sim = start_sim(tmp_path, "sim", transfer_delay_s=600, balances=BTC_HEAVY)  # lands on cue
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=state, connection=sim.connection_file
    )
    # the first run's BTC sell is held until it is too late to count (never reaches the book)
    inject(sim.control, venue="binance", path=ORDER_PATH, method="POST", delay_ms=LATE_MS)

    def in_flight() -> bool:
        if not withdrawals(sim) or not fired(sim.control, ORDER_PATH):
            return False
        return any(t.state is TransferState.SUBMITTED for t in stored(state).transfers)

    first = daemon_factory(config, "--once").start()
    wait_for("the withdrawal in flight", in_flight, timeout_s=60)
    first.signal(signal.SIGKILL)
    assert first.wait(timeout_s=10) == -signal.SIGKILL

    # a run that starts now would sell BTC; hold that sell while the withdrawal lands
    inject(
        sim.control, venue="binance", path=ORDER_PATH, method="POST", delay_ms=4000, execute=True
    )
    restarted = daemon_factory(config).start()
    restarted.wait_for_log(r"recovery: ", timeout_s=60)

    def a_run_trading_or_two_checks() -> bool:
        checks = re.findall(r"core: (?:skipped|idle|ran|failed) \(", restarted.log())
        return len(checks) >= 2 or fired(sim.control, ORDER_PATH) > 1

    wait_for("two checks after recovery", a_run_trading_or_two_checks, timeout_s=90)
    (withdrawal,) = withdrawals(sim)
    post(sim.control, f"/withdrawals/{withdrawal['id']}/complete", {})

    def inside_the_bands() -> dict[str, Any] | None:
        ended = ended_run(config, "FILLED", "PARTIALLY_FILLED")
        return ended if ended and ended["reason"] == "inside the bands" else None

    wait_for("a run ending inside the bands", inside_the_bands, timeout_s=120, every_s=0.5)
    restarted.signal(signal.SIGTERM)
    assert restarted.wait(timeout_s=30) == 0

    assert len(withdrawals(sim)) == 1, "a second transfer went out"
    assert_each_order_once(sim.control.orders(), stored(state).orders)
    assert_invariants(state, config, sim, BTC_HEAVY)
    assert inside_bands(sim.control.weights())


def test_no_run_is_planned_around_a_withdrawal_still_in_flight(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    # BTC at its target, ETH at 0: the first plan moves the cash over and buys ETH with it
    sim = start_sim(tmp_path, "sim", transfer_delay_s=600, balances=BTC_AT_TARGET)
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=state, connection=sim.connection_file
    )

    def submitted() -> bool:
        if not withdrawals(sim):
            return False
        return any(t.state is TransferState.SUBMITTED for t in stored(state).transfers)

    first = daemon_factory(config, "--once").start()
    wait_for("the withdrawal in flight", submitted, timeout_s=60)
    first.signal(signal.SIGKILL)
    assert first.wait(timeout_s=10) == -signal.SIGKILL

    # a run planned now, with the cash on its way, would sell BTC to buy some ETH, and buy the
    # BTC back once the cash landed
    restarted = daemon_factory(config).start()
    restarted.wait_for_log(r"recovery: ", timeout_s=60)

    def two_checks_or_an_order() -> bool:
        checks = re.findall(r"core: (?:skipped|idle|ran|failed) \(", restarted.log())
        return len(checks) >= 2 or bool(sim.control.orders())

    wait_for("two checks after recovery", two_checks_or_an_order, timeout_s=90)
    (withdrawal,) = withdrawals(sim)
    post(sim.control, f"/withdrawals/{withdrawal['id']}/complete", {})

    def inside_the_bands() -> dict[str, Any] | None:
        ended = ended_run(config, "FILLED", "PARTIALLY_FILLED")
        return ended if ended and ended["reason"] == "inside the bands" else None

    wait_for("a run ending inside the bands", inside_the_bands, timeout_s=120, every_s=0.5)
    restarted.signal(signal.SIGTERM)
    assert restarted.wait(timeout_s=30) == 0

    sold_btc = [o for o in sim.control.orders() if (o["symbol"], o["side"]) == ("BTC/USDT", "sell")]
    assert not sold_btc, "BTC was sold to make up for cash that was on its way"
    assert len(withdrawals(sim)) == 1
    assert_invariants(state, config, sim, BTC_AT_TARGET)
    assert inside_bands(sim.control.weights())


def test_a_withdrawal_whose_reply_was_lost_counts_once_in_the_next_snapshot(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim = start_sim(tmp_path, "sim", transfer_delay_s=3)
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=state, connection=sim.connection_file
    )
    # the venue takes the withdrawal but the reply is lost, and its history cannot be read
    inject(sim.control, venue="okx", path=OKX_WITHDRAW, method="POST", drop=True, execute=True)
    inject(sim.control, venue="okx", path=OKX_WITHDRAWALS, method="GET", status=500, count=10_000)

    daemon = daemon_factory(config).start()
    daemon.wait_for_log(r"withdrawal outcome still unknown", timeout_s=120)
    disarm(sim.control, "okx")  # the history answers again

    def done() -> dict[str, Any] | None:
        ended = ended_run(config, "FILLED", "PARTIALLY_FILLED")
        return ended if ended and ended["reason"] == "inside the bands" else None

    wait_for("a run ending inside the bands", done, timeout_s=120, every_s=0.5)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout_s=30) == 0

    assert len(withdrawals(sim)) == 1, "the lost withdrawal was planned again"
    assert_each_order_once(sim.control.orders(), stored(state).orders)
    assert_invariants(state, config, sim, FUNDED)
    assert inside_bands(sim.control.weights())


def test_a_withdrawal_failed_and_refunded_while_the_daemon_was_down_counts_once_at_its_source(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim = start_sim(tmp_path, "sim", transfer_delay_s=600)  # lands only when told
    sims.append(sim)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml", state_dir=state, connection=sim.connection_file
    )

    def submitted() -> bool:
        if not withdrawals(sim):
            return False
        return any(t.state is TransferState.SUBMITTED for t in stored(state).transfers)

    first = daemon_factory(config, "--once").start()
    wait_for("the withdrawal in flight", submitted, timeout_s=60)
    first.signal(signal.SIGKILL)
    assert first.wait(timeout_s=10) == -signal.SIGKILL
    (failed,) = withdrawals(sim)
    post(sim.control, f"/withdrawals/{failed['id']}/fail", {})  # refunded while it was down

    restarted = daemon_factory(config).start()
    wait_for("a second withdrawal", lambda: len(withdrawals(sim)) == 2, timeout_s=90)
    second = next(w for w in withdrawals(sim) if w["id"] != failed["id"])
    post(sim.control, f"/withdrawals/{second['id']}/complete", {})

    def inside_the_bands() -> dict[str, Any] | None:
        ended = ended_run(config, "FILLED", "PARTIALLY_FILLED")
        return ended if ended and ended["reason"] == "inside the bands" else None

    wait_for("a run ending inside the bands", inside_the_bands, timeout_s=120, every_s=0.5)
    restarted.signal(signal.SIGTERM)
    assert restarted.wait(timeout_s=30) == 0

    states = sorted(w["state"] for w in withdrawals(sim))
    assert states == ["completed", "failed"]  # the refunded one was planned again, once
    assert_each_order_once(sim.control.orders(), stored(state).orders)
    assert_invariants(state, config, sim, FUNDED)
    assert inside_bands(sim.control.weights())
