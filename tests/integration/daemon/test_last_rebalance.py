"""Only ``full`` runs are "the last rebalance": a withdraw holds back no cooldown and marks no
calendar date done (the daemon loop with real ccxt to the in-test simulator, SQLite).

The harness portfolio starts far off target (62 % cash against 20 %), so a drift run is due
from the first check; a withdraw taken first must not hold it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.e2e.harness import write_daemon_config

from rebalancer.domain.plan import RunType
from rebalancer.domain.requests import RunRequest
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.runtime.assembly import Wiring, build_loop
from rebalancer.runtime.daemon import RunOptions, open_adapters
from rebalancer.services import operations
from rebalancer.services.daemon_loop import CheckAction, DaemonLoop
from rebalancer.settings import load_config

from .conftest import ThreadSim


@pytest.fixture
async def wired(tmp_path: Path, thread_sim: ThreadSim) -> AsyncIterator[Wiring]:
    today = datetime.now(UTC).strftime("%A")
    config = write_daemon_config(
        tmp_path / "cooldown.toml",
        state_dir=tmp_path / "state",
        connection=tmp_path / "connection.json",
        portfolio_keys="cooldown_days = 1",
        portfolio_extra=f'[portfolios.core.calendar]\nevery = "weekly"\nday = "{today}"',
    )
    async with open_adapters(load_config(config), RunOptions()) as wiring:
        yield wiring


@pytest.fixture
async def loop(wired: Wiring) -> DaemonLoop:
    daemon_loop = build_loop(wired, asyncio.Event())
    assert (await daemon_loop.recover()).tradable
    return daemon_loop


async def test_a_withdraw_neither_restarts_the_cooldown_nor_does_the_calendar_date(
    wired: Wiring, loop: DaemonLoop
) -> None:
    policy = wired.config.policy("core")
    desk = operations.Desk.of(wired.store, wired.clock)
    request = RunRequest("core", RunType.WITHDRAW, Decimal(500))
    await operations.request_run(desk, {"core": policy}, request, by="alice")

    taken = await loop.check("core")
    assert taken.run is not None
    assert (taken.run.run_type, taken.run.status) == (RunType.WITHDRAW, RunStatus.FILLED)

    after = await loop.check("core")
    assert after.action is CheckAction.RAN, after.reason
    assert after.run is not None
    assert (after.run.run_type, after.run.trigger) == (RunType.FULL, Trigger.DRIFT)
    (triggered,) = [e for e in await wired.store.events(after.run.id) if e.kind == "RunTriggered"]
    assert "calendar:" in str(triggered.payload["reason"])  # today's date is still due

    held = await loop.check("core")  # the full run counts: the cooldown holds the next one
    assert held.action is CheckAction.IDLE
    assert "held back by the cooldown" in held.reason or "within band" in held.reason
