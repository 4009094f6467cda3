"""Run requests and pauses as the daemon loop acts on them (real ccxt, simulator, SQLite).

The harness portfolio ``core`` holds 0.3 BTC and 100 USDT on binance and 30,000 USDT on okx
(about 48,100 USDT) against 40/40/20 BTC/ETH/USDT targets, so it is far off target.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import pytest
from tests.integration.persistence.builders import order

from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import OrderIntentState
from rebalancer.domain.requests import RunRequest
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.runtime.assembly import Wiring, build_loop
from rebalancer.runtime.daemon import RunOptions, open_adapters
from rebalancer.services import operations
from rebalancer.services.daemon_loop import CheckAction, DaemonLoop
from rebalancer.services.request_watch import RequestWatch
from rebalancer.settings import load_config

from .conftest import ThreadSim


@pytest.fixture
async def wired(external_config: Path, thread_sim: ThreadSim) -> AsyncIterator[Wiring]:
    async with open_adapters(load_config(external_config), RunOptions()) as wiring:
        yield wiring


@pytest.fixture
async def loop(wired: Wiring) -> DaemonLoop:
    daemon_loop = build_loop(wired, asyncio.Event())
    assert (await daemon_loop.recover()).tradable
    return daemon_loop


def policies(wired: Wiring) -> dict[str, Policy]:
    return {name: wired.config.policy(name) for name in wired.config.portfolios}


def desk(wired: Wiring) -> operations.Desk:
    return operations.Desk.of(wired.store, wired.clock)


async def ask(wired: Wiring, request: RunRequest, by: str = "alice") -> str:
    accepted = await operations.request_run(desk(wired), policies(wired), request, by=by)
    return accepted.run.id


async def until(what: str, probe: Callable[[], Awaitable[bool]], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not await probe():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def test_a_check_takes_a_waiting_request_and_carries_it_out(
    loop: DaemonLoop, wired: Wiring, thread_sim: ThreadSim
) -> None:
    run_id = await ask(wired, RunRequest("core", RunType.FULL))

    result = await loop.check("core")

    assert result.action is CheckAction.RAN
    assert result.run is not None
    assert result.run.id == run_id
    run = await wired.store.get_run(run_id)
    assert (run.status, run.trigger) == (RunStatus.FILLED, Trigger.MANUAL)
    kinds = [event.kind for event in await wired.store.events(run_id)]
    assert kinds[:2] == ["RunRequested", "RunTriggered"]
    taken = await wired.store.get_request(run_id)
    assert taken is not None
    assert taken.taken_at is not None
    assert len(await wired.store.list_runs()) == 1  # the request, no drift run besides
    assert thread_sim.orders()


async def test_a_withdraw_above_what_can_be_raised_when_taken_fails_without_trading(
    loop: DaemonLoop, wired: Wiring, thread_sim: ThreadSim
) -> None:
    # written without a snapshot (as when no venue answered), so only the daemon can refuse it
    run_id = await ask(wired, RunRequest("core", RunType.WITHDRAW, Decimal(1_000_000)))

    await loop.check("core")

    run = await wired.store.get_run(run_id)
    assert run.status is RunStatus.FAILED
    assert "refused: amount: 1000000 USDT is more than core can raise" in (run.reason or "")
    assert thread_sim.orders() == []


async def test_a_paused_portfolio_is_watched_but_neither_rebalances_nor_takes_requests(
    loop: DaemonLoop, wired: Wiring, thread_sim: ThreadSim
) -> None:
    await operations.pause(desk(wired), policies(wired), "core", by="alice", reason="audit")
    run_id = await ask(wired, RunRequest("core", RunType.FULL))

    waiting = await loop.check("core")
    drifted = await loop.check("core")  # still waiting: the request is in the way of nothing

    assert waiting.action is CheckAction.SKIPPED
    assert "paused by alice" in waiting.reason
    assert "audit" in waiting.reason
    assert drifted.action is CheckAction.SKIPPED
    assert (await wired.store.get_run(run_id)).status is RunStatus.NEW
    assert thread_sim.orders() == []

    await operations.cancel_run(desk(wired), run_id, by="alice")
    watched = await loop.check("core")
    assert watched.action is CheckAction.SKIPPED
    assert "paused by alice" in watched.reason
    assert "drift:" in watched.reason  # it would rebalance: reported, not traded
    assert await wired.store.latest_snapshot("core") is not None
    assert thread_sim.orders() == []

    await operations.unpause(desk(wired), policies(wired), "core", by="bob")
    assert (await loop.check("core")).action is CheckAction.RAN


async def test_the_request_watch_starts_a_check_for_a_waiting_request(
    loop: DaemonLoop, wired: Wiring
) -> None:
    watch = RequestWatch(loop, wired.store, poll_s=0.05)
    assert await watch.poll() == []
    run_id = await ask(wired, RunRequest("core", RunType.FULL))

    assert await watch.poll() == ["core"]
    await watch.wait_idle()

    assert (await wired.store.get_run(run_id)).status is RunStatus.FILLED
    assert await watch.poll() == []


async def test_the_request_watch_runs_until_stopped_and_retries_a_paused_one_later(
    loop: DaemonLoop, wired: Wiring
) -> None:
    await operations.pause(desk(wired), policies(wired), "core", by="alice", reason="audit")
    run_id = await ask(wired, RunRequest("core", RunType.FULL))
    watch = RequestWatch(loop, wired.store, poll_s=0.05, retry_s=0.2)
    watching = asyncio.create_task(watch.run())
    try:
        await asyncio.sleep(0.5)  # a few polls: skipped while paused
        assert (await wired.store.get_run(run_id)).status is RunStatus.NEW
        await operations.unpause(desk(wired), policies(wired), "core", by="bob")

        async def done() -> bool:
            return (await wired.store.get_run(run_id)).status.is_terminal

        await until("the request to run after the unpause", done)
    finally:
        loop.stop.set()
        await asyncio.wait_for(watching, timeout=10)
        await watch.wait_idle()
    assert (await wired.store.get_run(run_id)).status is RunStatus.FILLED


async def test_recovery_keeps_a_request_that_never_started_and_it_runs_once(
    loop: DaemonLoop, wired: Wiring, thread_sim: ThreadSim
) -> None:
    run_id = await ask(wired, RunRequest("core", RunType.FULL))
    assert await wired.store.take_request(run_id)  # a daemon took it, then died

    report = await loop.recover()

    assert run_id not in report.settled_runs
    assert (await wired.store.get_run(run_id)).status is RunStatus.NEW
    assert (await loop.check("core")).action is CheckAction.RAN
    assert (await wired.store.get_run(run_id)).status is RunStatus.FILLED
    assert thread_sim.orders()
    await loop.recover()  # a later restart
    assert await wired.store.pending_requests() == []
    assert [(r.id, r.status) for r in await wired.store.list_runs()] == [(run_id, RunStatus.FILLED)]


async def test_a_portfolio_is_paused_after_its_liquidation_so_drift_does_not_buy_it_back(
    loop: DaemonLoop, wired: Wiring, thread_sim: ThreadSim
) -> None:
    run_id = await ask(wired, RunRequest("core", RunType.LIQUIDATE))

    await loop.check("core")

    run = await wired.store.get_run(run_id)
    assert run.status in (RunStatus.FILLED, RunStatus.PARTIALLY_FILLED)
    assert {order["side"] for order in thread_sim.orders()} == {"sell"}
    pause = await operations.paused(wired.store, "core")
    assert pause is not None
    assert (pause.by, pause.reason.startswith("liquidated")) == (f"liquidate run {run_id}", True)
    after = await loop.check("core")  # all cash, far outside every band: watched, not traded
    assert after.action is CheckAction.SKIPPED
    assert "paused by liquidate run" in after.reason
    assert {order["side"] for order in thread_sim.orders()} == {"sell"}


async def test_a_withdraw_settled_by_recovery_sets_its_cash_aside(
    loop: DaemonLoop, wired: Wiring, thread_sim: ThreadSim
) -> None:
    # a withdraw that sold, then the daemon died before it ended the run
    run = await wired.store.create_run(
        "core", RunType.WITHDRAW, Trigger.MANUAL, amount=Decimal(500), status=RunStatus.PROCESSING
    )
    sold = order(run.id, state=OrderIntentState.FILLED, filled=Decimal("0.012"))
    await wired.store.record_order_intent(sold)

    report = await loop.recover()

    assert report.settled_runs == {run.id: RunStatus.PARTIALLY_FILLED}
    (held,) = await wired.store.set_asides("core")
    assert (held.run_id, held.venue, held.amount) == (run.id, "okx", Decimal(500))
    kinds = [event.kind for event in await wired.store.events(run.id)]
    assert kinds[-2:] == ["RunEnded", "SetAsideRecorded"]
