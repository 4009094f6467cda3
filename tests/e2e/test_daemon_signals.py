"""The daemon as a subprocess against a simulator subprocess: SIGTERM, kill -9, restart.

SIGTERM mid-run (a transfer in flight): the daemon exits 0 within its grace period, the run is
left for recovery, and the next start settles it and brings the portfolio inside its bands.
kill -9 while orders are being placed: after a restart the simulator's order log shows every
order exactly once, and each one the daemon recorded as sent is there.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from pathlib import Path

import pytest

from rebalancer.domain.records import OrderRecord
from rebalancer.persistence import open_store, sqlite_url

from .conftest import DaemonFactory, SimFactory
from .harness import cli, inside_bands, wait_for, write_daemon_config

pytestmark = pytest.mark.slow


def runs(config: Path) -> list[dict[str, object]]:
    done = cli("runs", "--config", str(config), "--json")
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout)["runs"])


def filled_run(config: Path) -> dict[str, object] | None:
    return next((r for r in runs(config) if r["status"] == "FILLED"), None)


async def _stored_orders(state_dir: Path) -> list[OrderRecord]:
    store = await open_store(sqlite_url(state_dir))
    try:
        found: list[OrderRecord] = []
        for run in await store.list_runs(limit=100):
            found += await store.orders_for_run(run.id)
        return found
    finally:
        await store.close()


def test_sigterm_mid_run_exits_zero_and_the_next_start_finishes_the_job(
    tmp_path: Path, sim_factory: SimFactory, daemon_factory: DaemonFactory
) -> None:
    sim = sim_factory(transfer_delay_s=6)
    config = write_daemon_config(
        tmp_path / "daemon.toml",
        state_dir=tmp_path / "state",
        connection=sim.connection_file,
        shutdown_grace_s=10,
    )
    daemon = daemon_factory(config).start()
    daemon.wait_for_log(r"plan with \d+ step", timeout_s=60)
    wait_for("the withdrawal", lambda: sim.control.transfers()["withdrawals"], timeout_s=30)

    daemon.signal(signal.SIGTERM)

    assert daemon.wait(timeout_s=30) == 0
    assert "SIGTERM received" in daemon.log()
    assert "rebalancer stopped" in daemon.log()
    (stopped,) = runs(config)
    assert stopped["status"] == "PROCESSING"  # parked at a safe point for recovery

    restarted = daemon_factory(config).start()
    wait_for("a FILLED run", lambda: filled_run(config), timeout_s=90, every_s=0.5)
    restarted.signal(signal.SIGTERM)
    assert restarted.wait(timeout_s=30) == 0

    settled = {str(r["id"]): r for r in runs(config)}[str(stopped["id"])]
    assert settled["status"] in {"PARTIALLY_FILLED", "FAILED"}
    assert "interrupted" in str(settled["reason"])
    assert inside_bands(sim.control.weights())
    assert len(sim.control.transfers()["withdrawals"]) >= 1


def test_kill_9_while_placing_orders_then_restart_sends_every_order_exactly_once(
    tmp_path: Path, sim_factory: SimFactory, daemon_factory: DaemonFactory
) -> None:
    sim = sim_factory(transfer_delay_s=1)
    state = tmp_path / "state"
    config = write_daemon_config(
        tmp_path / "daemon.toml",
        state_dir=state,
        connection=sim.connection_file,
        max_order_notional="1500",  # the ETH buy is sliced into many orders
    )
    daemon = daemon_factory(config).start()
    wait_for("orders on the venue", lambda: len(sim.control.orders()) >= 2, timeout_s=90)

    daemon.signal(signal.SIGKILL)
    assert daemon.wait(timeout_s=10) == -signal.SIGKILL
    sent_before = len(sim.control.orders())
    (killed,) = runs(config)
    assert killed["status"] == "PROCESSING"

    restarted = daemon_factory(config).start()
    wait_for("a FILLED run", lambda: filled_run(config), timeout_s=120, every_s=0.5)
    restarted.signal(signal.SIGTERM)
    assert restarted.wait(timeout_s=30) == 0

    settled = {str(r["id"]): r for r in runs(config)}[str(killed["id"])]
    assert settled["status"] == "PARTIALLY_FILLED"
    assert "interrupted" in str(settled["reason"])
    log = sim.control.orders()
    assert len(log) >= sent_before
    counts = Counter(order["client_order_id"] for order in log)
    assert all(count == 1 for count in counts.values()), counts.most_common(3)
    stored = asyncio.run(_stored_orders(state))
    sent = [o for o in stored if o.exchange_order_id is not None]
    assert sent
    assert all(counts[o.client_order_id] == 1 for o in sent)
    assert set(counts) <= {o.client_order_id for o in stored}  # nothing unknown to the daemon
    assert inside_bands(sim.control.weights())
