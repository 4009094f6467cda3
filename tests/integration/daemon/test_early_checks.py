"""A streamed quote that breaches a band starts a check at once, not at the next scheduled one.

Real adapters: ccxt over websockets to the in-test simulator, SQLite, APScheduler with a one-hour
interval. The price is moved through the simulator's control plane.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.domain.runs import RunStatus
from rebalancer.runtime.assembly import Wiring, build_loop
from rebalancer.runtime.daemon import RunOptions, open_adapters, watch_breaches
from rebalancer.services.daemon_loop import DaemonLoop
from rebalancer.services.scheduler import CheckScheduler, check_job_id
from rebalancer.settings import load_config

from .conftest import ThreadSim

HOUR_S = 3600


@pytest.fixture
async def wired(external_config: Path, thread_sim: ThreadSim) -> AsyncIterator[Wiring]:
    async with open_adapters(load_config(external_config), RunOptions()) as wiring:
        yield wiring


@pytest.fixture
async def loop(wired: Wiring) -> DaemonLoop:
    daemon_loop = build_loop(wired, asyncio.Event())
    assert (await daemon_loop.recover()).tradable
    return daemon_loop


async def finished_runs(wired: Wiring) -> int:
    return len([run for run in await wired.store.list_runs() if run.status.is_terminal])


async def until(what: str, probe: Callable[[], Awaitable[bool]], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not await probe():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


async def test_a_band_breach_streamed_in_starts_a_run_long_before_the_next_scheduled_check(
    loop: DaemonLoop, wired: Wiring, thread_sim: ThreadSim
) -> None:
    watch = watch_breaches(wired, loop)
    policies = {name: wired.config.policy(name) for name in wired.config.portfolios}
    scheduler = CheckScheduler(loop, policies, check_interval_s=HOUR_S, misfire_grace_s=30)
    scheduler.start()  # its first check runs at once and rebalances the off-target start
    try:
        await until("the first scheduled run never finished", lambda: _at_least(wired, 1))
        await until("the first check never let go", lambda: _idle(loop))
        # no check since the run: the loop showed the watch the balances the run left, so its
        # monitor reads the rebalanced portfolio (inside its bands) and is armed again
        assert watch.early_checks == 0
        # band_edge left cash 1 point (20 % of the 5-point half-band) inside its 25 % edge
        assert thread_sim.weights()["USDT"] > Decimal("23.5")

        # BTC and ETH -10 % (inside the 15 % price-jump limit): cash rises to ~26 %, over its
        # 25 % edge
        thread_sim.call(thread_sim.server.control.set_price, "BTC/USDT", Decimal("54000"))
        thread_sim.call(thread_sim.server.control.set_price, "ETH/USDT", Decimal("2700"))

        await until("no early run after the breach", lambda: _at_least(wired, 2))
        (job,) = [job for job in scheduler.jobs if job.id == check_job_id("core")]
        assert job.next_run_time > datetime.now(UTC) + timedelta(minutes=50)
    finally:
        scheduler.shutdown()
        assert await loop.drain(grace_s=30)
    assert watch.early_checks == 1
    _first, second = sorted(await wired.store.list_runs(), key=lambda run: run.created_at)
    assert second.status is RunStatus.FILLED
    assert second.trigger.value == "drift"


async def _at_least(wired: Wiring, runs: int) -> bool:
    return await finished_runs(wired) >= runs


async def _idle(loop: DaemonLoop) -> bool:
    return not loop.is_busy("core")
