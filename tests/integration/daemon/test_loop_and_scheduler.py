"""The daemon loop and its schedule on real adapters (ccxt to an in-test simulator, SQLite).

One run per portfolio at a time; a drained loop starts nothing; the scheduler's jobs coalesce,
run one instance at a time with the configured misfire grace, and check at once on start.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path

import pytest

from rebalancer.domain.runs import RunStatus
from rebalancer.runtime.assembly import Wiring, build_loop
from rebalancer.runtime.daemon import RunOptions, open_adapters
from rebalancer.services.daemon_loop import CheckAction, DaemonLoop
from rebalancer.services.scheduler import CheckScheduler
from rebalancer.settings import load_config

from .conftest import ThreadSim


@pytest.fixture
async def wired(external_config: Path, thread_sim: ThreadSim) -> AsyncIterator[Wiring]:
    async with open_adapters(load_config(external_config), RunOptions()) as wiring:
        yield wiring


@pytest.fixture
async def loop(wired: Wiring) -> DaemonLoop:
    daemon_loop = build_loop(wired, asyncio.Event())
    report = await daemon_loop.recover()
    assert report.tradable
    return daemon_loop


async def test_a_portfolio_already_being_checked_is_not_checked_twice(
    loop: DaemonLoop, wired: Wiring
) -> None:
    first = asyncio.create_task(loop.check("core"))
    await asyncio.sleep(0)  # the first check has begun

    second = await loop.check("core")

    assert second.action is CheckAction.SKIPPED
    assert "already going" in second.reason
    done = await asyncio.wait_for(first, timeout=60)
    assert done.action is CheckAction.RAN
    assert done.run is not None
    assert done.run.status is RunStatus.FILLED
    assert len(await wired.store.list_runs()) == 1


async def test_a_drained_loop_starts_no_run(loop: DaemonLoop, wired: Wiring) -> None:
    running = asyncio.create_task(loop.check("core"))
    await asyncio.sleep(0)

    assert await loop.drain(grace_s=30) is True

    assert running.done()
    assert running.result().action is CheckAction.SKIPPED
    assert (await loop.check("core")).reason == "shutting down"
    assert await wired.store.list_runs() == []


async def test_the_scheduler_checks_at_once_with_coalescing_single_instance_jobs(
    loop: DaemonLoop, wired: Wiring
) -> None:
    policies = {name: wired.config.policy(name) for name in wired.config.portfolios}
    scheduler = CheckScheduler(loop, policies, check_interval_s=3600, misfire_grace_s=7)
    scheduler.start()
    try:
        jobs = scheduler.jobs
        assert [job.id for job in jobs] == ["check:core", "reconcile"]
        for job in jobs:
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 7)
            assert job.trigger.timezone == UTC
        deadline = time.monotonic() + 60
        while not [r for r in await wired.store.list_runs() if r.status.is_terminal]:
            assert time.monotonic() < deadline, "the first check never ran"
            await asyncio.sleep(0.2)
    finally:
        scheduler.shutdown()
        assert await loop.drain(grace_s=30)
    (run,) = await wired.store.list_runs()
    assert run.status is RunStatus.FILLED
