"""Deposits invested and recurring runs, as the daemon loop acts on them (real ccxt to the
in-test simulator, SQLite). Deposits are credited through the simulator's control plane."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.e2e.harness import write_daemon_config

from rebalancer.domain.plan import RunType
from rebalancer.domain.records import RunRecord
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.runtime.assembly import Wiring, build_loop
from rebalancer.runtime.daemon import RunOptions, open_adapters
from rebalancer.services.daemon_loop import DaemonLoop
from rebalancer.settings import load_config

from .conftest import ThreadSim

CONTRIBUTIONS = '[portfolios.core.contributions]\nmin_amount = "100"'
MAX_CHECKS = 8

Loops = Callable[[str], Awaitable[tuple[Wiring, DaemonLoop]]]


@pytest.fixture
async def loops(tmp_path: Path, thread_sim: ThreadSim) -> AsyncIterator[Loops]:
    """Start a daemon loop on a config with ``extra`` portfolio TOML (again: a restart)."""
    opened: list[object] = []

    async def start(extra: str) -> tuple[Wiring, DaemonLoop]:
        config = write_daemon_config(
            tmp_path / "standing.toml",
            state_dir=tmp_path / "state",
            connection=tmp_path / "connection.json",
            portfolio_extra=extra,
        )
        context = open_adapters(load_config(config), RunOptions())
        wiring = await context.__aenter__()
        opened.append(context)
        loop = build_loop(wiring, asyncio.Event())
        assert (await loop.recover()).tradable
        return wiring, loop

    yield start
    for context in reversed(opened):
        await context.__aexit__(None, None, None)  # type: ignore[attr-defined]


def deposit(sim: ThreadSim, amount: str) -> None:
    sim.call(sim.server.control.credit_deposit, "binance", "USDT", Decimal(amount))


def credit_without_a_deposit(sim: ThreadSim, amount: str) -> None:
    """Cash that appears without a deposit record (interest, a refund, a trade by hand)."""
    account = sim.server.control.engine.venue("binance").account("binance-test-key")
    sim.call(account.credit, "USDT", Decimal(amount))


async def runs_of(wiring: Wiring, trigger: Trigger) -> list[RunRecord]:
    return [run for run in await wiring.store.list_runs() if run.trigger is trigger]


async def check_until(
    loop: DaemonLoop, done: Callable[[], Awaitable[bool]], checks: int = MAX_CHECKS
) -> None:
    for _ in range(checks):
        await loop.check("core")
        if await done():
            return


async def settled(wiring: Wiring, loop: DaemonLoop) -> None:
    """Let the off-target start rebalance, so later runs are about what the test does; the
    third check takes the cash after that run as the baseline deposits are compared with."""
    for _ in range(3):
        await loop.check("core")
    assert [r.status for r in await wiring.store.list_runs()] == [RunStatus.FILLED]


async def test_a_deposit_starts_one_invest_cash_run_for_it(
    loops: Loops, thread_sim: ThreadSim
) -> None:
    wiring, loop = await loops(CONTRIBUTIONS)
    await settled(wiring, loop)
    orders_before = len(thread_sim.orders())

    deposit(thread_sim, "1500")

    async def invested() -> bool:
        return bool(await runs_of(wiring, Trigger.DEPOSIT))

    await check_until(loop, invested)
    (run,) = await runs_of(wiring, Trigger.DEPOSIT)
    assert (run.run_type, run.amount, run.status) == (
        RunType.INVEST_CASH,
        Decimal(1500),
        RunStatus.FILLED,
    )
    new_orders = thread_sim.orders()[orders_before:]
    assert new_orders
    assert {order["side"] for order in new_orders} == {"buy"}
    request = await wiring.store.get_request(run.id)
    assert request is not None
    assert request.requested_by.startswith("deposit D")
    assert len(await wiring.store.invested_deposits("binance")) == 1

    for _ in range(3):  # later checks, and a restart, invest it no second time
        await loop.check("core")
    _, restarted = await loops(CONTRIBUTIONS)
    for _ in range(3):
        await restarted.check("core")
    assert len(await runs_of(wiring, Trigger.DEPOSIT)) == 1


async def test_cash_that_is_no_deposit_starts_nothing(
    loops: Loops, thread_sim: ThreadSim, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rebalancer.services.contributions")
    wiring, loop = await loops(CONTRIBUTIONS)
    await settled(wiring, loop)

    credit_without_a_deposit(thread_sim, "1500")
    for _ in range(4):
        await loop.check("core")

    assert await runs_of(wiring, Trigger.DEPOSIT) == []
    assert "the rest is no deposit" in caplog.text


async def test_deposits_below_the_minimum_wait_for_more(
    loops: Loops, thread_sim: ThreadSim
) -> None:
    wiring, loop = await loops(CONTRIBUTIONS)
    await settled(wiring, loop)

    deposit(thread_sim, "60")
    for _ in range(3):
        await loop.check("core")
    assert await runs_of(wiring, Trigger.DEPOSIT) == []

    deposit(thread_sim, "60")

    async def invested() -> bool:
        return bool(await runs_of(wiring, Trigger.DEPOSIT))

    await check_until(loop, invested)
    (run,) = await runs_of(wiring, Trigger.DEPOSIT)
    assert run.amount == Decimal(120)


def weekly_today(run: str) -> str:
    today = datetime.now(UTC).strftime("%A")
    return f'[[portfolios.core.schedule]]\n{run}\nevery = "weekly"\nday = "{today}"'


async def test_a_scheduled_run_runs_once_on_its_date(loops: Loops, thread_sim: ThreadSim) -> None:
    entry = weekly_today('type = "withdraw"\namount = "2000"')
    wiring, loop = await loops(entry)

    await loop.check("core")  # due today: requested and taken before any drift run

    (run,) = await runs_of(wiring, Trigger.SCHEDULE)
    assert (run.run_type, run.amount) == (RunType.WITHDRAW, Decimal(2000))
    assert run.status.is_terminal
    for _ in range(2):
        await loop.check("core")
    _, restarted = await loops(entry)
    await restarted.check("core")
    assert len(await runs_of(wiring, Trigger.SCHEDULE)) == 1
