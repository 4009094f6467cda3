"""Run requests to the running daemon, end to end: the daemon and the simulator as subprocesses.

The portfolio starts on target (BTC 40 %, ETH 40 %, USDT 20 % of 30,000 USDT), so nothing runs
until asked. A deposit credited through the simulator's control plane is invested when
contributions are on and left alone when they are off; a request whose daemon is killed
(kill -9) before it starts runs once after the restart; a request the holdings cannot meet is
refused as the running daemon values the portfolio; ``run --once --force`` hands its run to the
running daemon. (Each run type's sides: ``test_request_types.py``.)
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rebalancer.domain.records import RunRecord
from rebalancer.persistence import open_store, sqlite_url
from rebalancer.services.run_documents import run_doc

from .conftest import DaemonFactory
from .faults_harness import (
    assert_each_order_once,
    disarm,
    fired,
    inject,
    post,
    start_sim,
    stored,
)
from .harness import DaemonProcess, SimProcess, cli, wait_for, write_daemon_config

pytestmark = pytest.mark.slow

ON_TARGET = {"binance": {"BTC": "0.2", "ETH": "4", "USDT": "3000"}, "okx": {"USDT": "3000"}}
CONTRIBUTIONS = '[portfolios.core.contributions]\nmin_amount = "100"'
END_S = 60  # generous: a loaded machine; a request takes a few seconds on an idle one
BALANCES_PATH = "/api/v3/account"  # binance's balance read (every snapshot refreshes it)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    started = start_sim(tmp_path, "sim", balances=ON_TARGET)
    yield started
    started.stop()


def daemon_config(tmp_path: Path, sim: SimProcess, extra: str = "") -> Path:
    return write_daemon_config(
        tmp_path / "daemon.toml",
        state_dir=tmp_path / "state",
        connection=sim.connection_file,
        check_interval_s=1.0,
        portfolio_extra=extra,
    )


def start_daemon(daemon_factory: DaemonFactory, config: Path) -> DaemonProcess:
    daemon = daemon_factory(config).start()
    daemon.wait_for_log(r"rebalancer running", timeout_s=60)
    return daemon


def request(config: Path, *args: str) -> str:
    done = cli("request", "core", *args, "--config", str(config), "--by", "e2e")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def all_runs(config: Path) -> list[RunRecord]:
    """Every run in the daemon's database, newest first (read directly: no CLI start-up)."""
    database = config.parent / "state"
    if not (database / "rebalancer.sqlite").exists():
        return []

    async def read() -> list[RunRecord]:
        store = await open_store(sqlite_url(database))
        try:
            return list(await store.list_runs(limit=100))
        finally:
            await store.close()

    return asyncio.run(read())


def run_of(config: Path, run_id: str) -> dict[str, Any]:
    """One run as ``rebalancer runs --json`` shows it."""
    (run,) = [run_doc(r) for r in all_runs(config) if r.id == run_id]
    return run


def ended(config: Path, run_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        run = run_of(config, run_id)
        return run if run["status"] in ("FILLED", "PARTIALLY_FILLED", "FAILED") else None

    return wait_for(f"run {run_id} to end", probe, timeout_s=END_S, every_s=0.2)


def sides(state: Path, sim: SimProcess, run_id: str) -> set[str]:
    """The sides of the orders the simulator received for ``run_id``."""
    ours = {o.client_order_id for o in stored(state).orders if o.run_id == run_id}
    return {o["side"] for o in sim.control.orders() if o["client_order_id"] in ours}


def test_a_deposit_is_invested_when_contributions_are_on(
    tmp_path: Path, sim: SimProcess, daemon_factory: DaemonFactory
) -> None:
    config = daemon_config(tmp_path, sim, CONTRIBUTIONS)
    state = tmp_path / "state"
    daemon = start_daemon(daemon_factory, config)
    daemon.wait_for_log(r"core: idle", timeout_s=60)

    post(sim.control, "/deposits", {"venue": "binance", "asset": "USDT", "amount": "1500"})

    found = daemon.wait_for_log(r"run (\w+) invests it", timeout_s=END_S)
    run = ended(config, found.group(1))
    assert (run["trigger"], run["run_type"]) == ("deposit", "invest_cash")
    assert Decimal(run["amount"]) == 1500
    assert run["status"] == "FILLED"
    assert sides(state, sim, run["id"]) == {"buy"}


def test_a_deposit_stays_cash_when_contributions_are_off(
    tmp_path: Path, sim: SimProcess, daemon_factory: DaemonFactory
) -> None:
    config = daemon_config(tmp_path, sim)
    daemon = start_daemon(daemon_factory, config)
    daemon.wait_for_log(r"core: idle", timeout_s=60)

    post(sim.control, "/deposits", {"venue": "binance", "asset": "USDT", "amount": "1500"})
    checks = len(re.findall(r"core: idle", daemon.log()))
    wait_for(
        "three more checks",
        lambda: len(re.findall(r"core: (idle|ran)", daemon.log())) >= checks + 3,
        timeout_s=END_S,
    )

    assert all_runs(config) == []  # 1,500 of 31,500 is within the band, and no deposit run
    assert sim.control.orders() == []  # within the 5-point band: nothing traded either


def test_a_request_whose_daemon_is_killed_before_it_starts_runs_once_after_the_restart(
    tmp_path: Path, daemon_factory: DaemonFactory
) -> None:
    sim = start_sim(tmp_path, "offsim")  # off target: a full run moves USDT and buys ETH
    try:
        config = daemon_config(tmp_path, sim)
        state = tmp_path / "state"
        paused = cli("pause", "core", "--reason", "hold the first run", "--config", str(config))
        assert paused.returncode == 0, paused.stderr
        daemon = start_daemon(daemon_factory, config)
        run_id = request(config, "--type", "full")  # waits: the portfolio is paused
        # every balance read now hangs for 15 s: the check that takes the request after the
        # unpause is stuck in its snapshot, before the request can start
        hang = {"venue": "binance", "path": BALANCES_PATH, "method": "GET", "delay_ms": 15_000}
        inject(sim.control, **hang, count=1000)
        assert cli("unpause", "core", "--config", str(config)).returncode == 0
        wait_for("a stuck balance read", lambda: fired(sim.control, BALANCES_PATH), timeout_s=30)

        daemon.signal(signal.SIGKILL)
        daemon.wait(timeout_s=30)
        assert run_of(config, run_id)["status"] == "NEW"
        assert sim.control.orders() == []
        disarm(sim.control, "binance")

        restarted = start_daemon(daemon_factory, config)
        run = ended(config, run_id)

        assert run["status"] == "FILLED"
        assert sim.control.orders()
        assert re.findall(r"taking request (\w+)", restarted.log()) == [run_id]
        assert_each_order_once(sim.control.orders(), stored(state).orders)
        assert [r.id for r in all_runs(config)] == [run_id]  # one run, run once
    finally:
        sim.stop()


def test_with_the_daemon_running_a_refused_request_exits_2_and_run_once_force_hands_it_a_run(
    tmp_path: Path, sim: SimProcess, daemon_factory: DaemonFactory
) -> None:
    config = daemon_config(tmp_path, sim)
    start_daemon(daemon_factory, config)
    wait_for("a kept snapshot", lambda: run_count(config) == 0 and kept(tmp_path), timeout_s=60)

    refused = cli(
        "request", "core", "--type", "withdraw", "--amount", "1e9", "--config", str(config)
    )

    assert refused.returncode == 2
    assert "more than core can raise: at most 299" in refused.stderr
    assert "valued from the daemon's check" in refused.stderr  # as the running daemon sees it
    assert run_count(config) == 0

    done = cli("run", "--config", str(config), "--once", "--force", timeout_s=120)

    assert done.returncode == 0, done.stderr
    assert "asking it to run now" in done.stderr
    found = re.search(r"core: run (\w+) (\w+)", done.stderr)
    assert found is not None, done.stderr
    run = run_of(config, found.group(1))
    assert (run["trigger"], run["run_type"], run["status"]) == ("manual", "full", found.group(2))


def run_count(config: Path) -> int:
    return len(all_runs(config))


def kept(tmp_path: Path) -> bool:
    """The daemon has kept a snapshot of the portfolio (its first check is done)."""
    return (tmp_path / "state" / "rebalancer.sqlite").exists() and bool(
        re.search(r"core: idle", (tmp_path / "daemon.log").read_text(errors="replace"))
    )
