"""Order faults injected at the simulator while the daemon (a subprocess) rebalances.

The world needs only orders on binance (sell BTC, buy ETH), so each test is one fault on the
order endpoint and what a user would check afterwards: how the run and its orders ended, that
the venue saw every order once, the breaker, and the portfolio inside its bands.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rebalancer.domain.records import OrderIntentState

from .conftest import DaemonFactory
from .faults_harness import (
    OKX_ORDER_PATH,
    OKX_SELLS,
    ORDER_PATH,
    TRADES_ONLY,
    assert_each_order_once,
    disarm,
    ended_run,
    fired,
    inject,
    run_detail,
    runs,
    start_sim,
    stored,
)
from .harness import SimProcess, inside_bands, wait_for, write_daemon_config

pytestmark = pytest.mark.slow

INSUFFICIENT = {"code": -2010, "msg": "Account has insufficient balance for requested action."}
TOO_MANY = {"code": -1003, "msg": "Too many requests."}
THIN_BOOK = '\n[venues.binance.book]\nlevels = 3\nlevel_notional = "2000"\n'


@pytest.fixture
def sims() -> Iterator[list[SimProcess]]:
    started: list[SimProcess] = []
    yield started
    for sim in started:
        sim.stop()


def world(
    tmp_path: Path,
    sims: list[SimProcess],
    extra_toml: str = "",
    check_interval_s: float = 2.0,
    balances: dict[str, dict[str, str]] = TRADES_ONLY,
) -> tuple[SimProcess, Path]:
    """The trades-only simulator and a daemon config pointing at it."""
    sim = start_sim(tmp_path, "sim", extra_toml, balances=balances)
    sims.append(sim)
    config = write_daemon_config(
        tmp_path / "daemon.toml",
        state_dir=tmp_path / "state",
        connection=sim.connection_file,
        check_interval_s=check_interval_s,
    )
    return sim, config


def run_once(daemon_factory: DaemonFactory, config: Path) -> str:
    """``rebalancer run --once``: assert it exits 0 and return its log."""
    daemon = daemon_factory(config, "--once").start()
    assert daemon.wait(timeout_s=90) == 0, daemon.log()
    return daemon.log()


@pytest.mark.parametrize(
    "lost",
    [
        pytest.param({"drop": True}, id="connection-dropped"),
        pytest.param({"delay_ms": 12_000}, id="timed-out"),  # ccxt gives up after 10 s
    ],
)
def test_accepted_order_whose_reply_is_lost_is_found_by_client_id_not_sent_again(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory, lost: dict[str, Any]
) -> None:
    sim, config = world(tmp_path, sims)
    # the engine takes the order, then the reply is lost
    inject(sim.control, venue="binance", path=ORDER_PATH, method="POST", execute=True, **lost)

    log = run_once(daemon_factory, config)

    assert fired(sim.control, ORDER_PATH) == 1
    assert "found on the venue after an ambiguous create" in log
    (run,) = runs(config)
    assert run["status"] == "FILLED"  # fills and fee recorded: reconciliation agrees
    after = stored(tmp_path / "state")
    first = next(o for o in after.orders if o.node_id == "o1" and o.round == 1)
    assert first.state is OrderIntentState.FILLED
    assert first.fee is not None  # Binance's order query has no fee: from its trades
    assert first.fee > 0
    assert after.breaker is None or after.breaker.state.value == "ACTIVE"
    assert_each_order_once(sim.control.orders(), after.orders)
    assert inside_bands(sim.control.weights())


def test_okx_order_whose_reply_is_lost_is_found_by_its_clordid_not_sent_again(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim, config = world(tmp_path, sims, balances=OKX_SELLS)
    inject(sim.control, venue="okx", path=OKX_ORDER_PATH, method="POST", execute=True, drop=True)

    log = run_once(daemon_factory, config)

    assert fired(sim.control, OKX_ORDER_PATH) == 1
    assert "found on the venue after an ambiguous create" in log
    (run,) = runs(config)
    assert run["status"] == "FILLED"
    after = stored(tmp_path / "state")
    (sold,) = [o for o in after.orders if o.venue == "okx"]
    assert sold.state is OrderIntentState.FILLED
    assert sold.fee is not None
    assert sold.fee > 0
    assert_each_order_once(sim.control.orders(), after.orders)
    assert inside_bands(sim.control.weights())


def test_insufficient_funds_rejection_fails_the_node_skips_its_dependant_and_a_later_round_recovers(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim, config = world(tmp_path, sims)
    inject(
        sim.control,
        venue="binance",
        path=ORDER_PATH,
        method="POST",
        status=400,
        body=INSUFFICIENT,
    )

    log = run_once(daemon_factory, config)

    assert "InsufficientFunds" in log
    assert "skipped o2" in log
    (run,) = runs(config)
    detail = run_detail(config, str(run["id"]))
    first = next(o for o in detail["orders"] if (o["node_id"], o["round"]) == ("o1", 1))
    assert first["state"] == "REJECTED"
    assert first["exchange_order_id"] is None
    assert first["client_order_id"] not in {o["client_order_id"] for o in sim.control.orders()}
    # the run reached its goal, so it is FILLED; the rejection stays in its events
    assert run["status"] == "FILLED"
    assert run["reason"] == "inside the bands"
    failed = [e["payload"] for e in detail["events"] if e["kind"] == "OrderFailed"]
    assert [(f["node_id"], f["round"]) for f in failed] == [("o1", 1)]
    after = stored(tmp_path / "state")
    assert_each_order_once(sim.control.orders(), after.orders)
    assert inside_bands(sim.control.weights())


def test_a_market_order_bigger_than_the_book_records_its_partial_fill_and_trades_the_rest_later(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim, config = world(tmp_path, sims, THIN_BOOK)  # 3 levels x 2000 USDT per side

    log = run_once(daemon_factory, config)

    assert "slice filled" in log
    venue = {o["client_order_id"]: o for o in sim.control.orders()}
    partial = [o for o in venue.values() if o["state"] == "expired"]
    assert partial, "the thin book should have cut an order short"
    after = stored(tmp_path / "state")
    for order in after.orders:  # what the daemon recorded is what the venue filled
        assert order.filled == Decimal(venue[order.client_order_id]["filled"])
    cut = [o for o in after.orders if venue[o.client_order_id]["state"] == "expired"]
    # each cut order ends CANCELED with what it filled; the next round waits for the book to
    # refill, so no order meets an empty book and fills nothing
    assert all(o.state is OrderIntentState.CANCELED and 0 < o.filled < o.amount for o in cut)
    (run,) = runs(config)
    assert run["status"] == "FILLED"  # a later round traded what the thin book cut short
    assert run["rounds"] > 1  # the residual was planned and traded again
    detail = run_detail(config, str(run["id"]))
    failed = [e["payload"] for e in detail["events"] if e["kind"] == "OrderFailed"]
    assert failed, "the cut order is reported in the run's events"
    assert_each_order_once(sim.control.orders(), after.orders)
    assert inside_bands(sim.control.weights())


def test_a_429_storm_blocks_trading_until_it_passes_then_the_daemon_reconciles_and_rebalances(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim, config = world(tmp_path, sims, check_interval_s=1.0)
    inject(sim.control, venue="binance", path="/api/v3", status=429, body=TOO_MANY, count=10_000)

    daemon = daemon_factory(config).start()
    daemon.wait_for_log(r"venue binance is not reconciled and will not be traded", timeout_s=60)
    assert sim.control.orders() == []  # nothing traded on an unreconciled venue
    disarm(sim.control, "binance")  # the storm passes
    wait_for("a FILLED run", lambda: ended_run(config, "FILLED"), timeout_s=90, every_s=0.5)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout_s=30) == 0

    after = stored(tmp_path / "state")
    assert after.breaker is None or after.breaker.state.value == "ACTIVE"
    assert_each_order_once(sim.control.orders(), after.orders)
    assert inside_bands(sim.control.weights())


def test_rejections_in_a_row_trip_the_breaker_and_nothing_more_is_sent(
    tmp_path: Path, sims: list[SimProcess], daemon_factory: DaemonFactory
) -> None:
    sim, config = world(tmp_path, sims)
    refused = {"code": -2010, "msg": "New order rejected."}
    inject(
        sim.control,
        venue="binance",
        path=ORDER_PATH,
        method="POST",
        status=400,
        body=refused,
        count=10,
    )

    daemon = daemon_factory(config, "--once").start()
    assert daemon.wait(timeout_s=90) == 1  # the run failed
    assert "HALTED" in daemon.log()

    after = stored(tmp_path / "state")
    assert after.breaker is not None
    assert after.breaker.state.value == "HALTED"
    assert after.breaker.reasons[0].startswith("repeated_failures")
    assert after.orders
    assert all(o.state is OrderIntentState.REJECTED for o in after.orders)
    assert sim.control.orders() == []  # every attempt refused: the venue holds nothing
    (run,) = runs(config)
    assert run["status"] == "FAILED"
    again = daemon_factory(config, "--once").start()
    assert again.wait(timeout_s=90) == 0
    assert "circuit breaker is HALTED" in again.log()  # a HALT survives restarts
    assert fired(sim.control, ORDER_PATH) == len(after.orders)  # nothing more was tried
