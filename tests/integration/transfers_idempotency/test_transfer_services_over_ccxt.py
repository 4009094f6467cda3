"""The transfer service and recovery over real ccxt, the simulator and a real SQLite store.

Withdrawals here wait for the test to complete them through the control plane, so "followed to
arrival" never races the simulator's network delay.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.integration.execution.harness import HurriedClock, WallClock, fast_settings
from tests.integration.venues.conftest import GatewayFactory, eventually

from rebalancer.core.breaker import BreakerLimits
from rebalancer.core.client_ids import make_transfer_client_id
from rebalancer.domain.plan import PlannedTransfer, RunType
from rebalancer.domain.records import TransferRecord, TransferState
from rebalancer.domain.runs import Trigger
from rebalancer.exchange_sim.server import SimulatorServer
from rebalancer.persistence import SqlStore, open_store, sqlite_url
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.recovery import Recovery
from rebalancer.services.transfers import NEVER_SENT, TransferJob, TransferResult, TransferRunner
from rebalancer.venues.ccxt.gateway import CcxtGateway

WITHDRAW_PATH = {"binance": "/sapi/v1/capital/withdraw/apply", "okx": "/api/v5/asset/withdrawal"}
OTHER = {"binance": "okx", "okx": "binance"}
ROUTE_FEE = Decimal(1)


@dataclass
class Services:
    """One daemon process's view: a store, the two gateways and a transfer runner."""

    store: SqlStore
    gateways: dict[str, CcxtGateway]
    breaker: BreakerKeeper
    runner: TransferRunner

    def recovery(self) -> Recovery:
        settings = dict.fromkeys(self.gateways, fast_settings())
        return Recovery(self.store, WallClock(), self.breaker, settings, self.gateways)


async def start_services(tmp_path: Path, make_gateway: GatewayFactory) -> Services:
    """Open the store and gateways as a fresh process would (same database file)."""
    store = await open_store(sqlite_url(tmp_path))
    clock = WallClock()
    breaker = BreakerKeeper(store, clock, BreakerLimits(max_consecutive_failures=3))
    gateways = {name: await make_gateway(name, read_attempts=3) for name in ("binance", "okx")}
    runner = TransferRunner(store, clock, breaker, fast_settings(), asyncio.Event())
    return Services(store, gateways, breaker, runner)


@pytest.fixture
async def services(tmp_path: Path, make_gateway: GatewayFactory) -> AsyncIterator[Services]:
    started = await start_services(tmp_path, make_gateway)
    yield started
    await started.store.close()


async def transfer_job(services: Services, source: str, amount: str) -> TransferJob:
    run = await services.store.create_run("core", RunType.FULL, Trigger.MANUAL)
    node = PlannedTransfer("t1", "USDT", "TRC20", source, OTHER[source], Decimal(amount), ())
    gateways = services.gateways
    return TransferJob(run.id, 1, node, gateways[source], gateways[OTHER[source]], ROUTE_FEE)


def withdrawals(sim: SimulatorServer) -> list[dict[str, Any]]:
    return list(sim.control.transfer_log()["withdrawals"])


async def complete_when_requested(sim: SimulatorServer) -> str:
    """Wait (bounded) for one withdrawal on the venue, complete it, return its id."""
    for _ in range(500):
        pending = [w for w in withdrawals(sim) if w["state"] == "pending"]
        if pending:
            sim.control.complete_withdrawal(pending[0]["id"])
            return str(pending[0]["id"])
        await asyncio.sleep(0.01)
    raise AssertionError("no withdrawal was requested")


async def run_to_arrival(
    services: Services, sim: SimulatorServer, job: TransferJob
) -> tuple[TransferResult, str]:
    async with asyncio.timeout(30):
        running = asyncio.create_task(services.runner.run(job))
        withdrawal_id = await complete_when_requested(sim)
        return await running, withdrawal_id


async def test_a_withdrawal_whose_reply_is_dropped_is_found_and_followed_to_arrival(
    services: Services, sim: SimulatorServer, venue: str
) -> None:
    job = await transfer_job(services, venue, "250")
    sim.control.inject_fault(
        {
            "venue": venue,
            "path": WITHDRAW_PATH[venue],
            "method": "POST",
            "execute": True,
            "drop": True,
        }
    )
    result, withdrawal_id = await run_to_arrival(services, sim, job)

    assert result.arrived, result.reason
    assert [w["id"] for w in withdrawals(sim)] == [withdrawal_id]  # exactly one, never re-sent
    record = await services.store.get_transfer(make_transfer_client_id(job.run_id, "t1", 1))
    assert record is not None
    assert (record.state, record.withdrawal_id) == (TransferState.ARRIVED, withdrawal_id)
    assert withdrawals(sim)[0]["client_id"] == record.id
    balances = await services.gateways[OTHER[venue]].fetch_balances()
    assert balances["USDT"].free == Decimal(500249)


async def test_a_withdrawal_that_never_reached_the_venue_is_marked_never_sent(
    services: Services, sim: SimulatorServer, venue: str
) -> None:
    job = await transfer_job(services, venue, "250")
    sim.control.inject_fault(
        {"venue": venue, "path": WITHDRAW_PATH[venue], "method": "POST", "drop": True}
    )
    # "not found" is final only past the venue's request window; that wait passes at once here
    hurried = TransferRunner(services.store, HurriedClock(), services.breaker, fast_settings())
    result = await hurried.run(job)

    assert not result.arrived
    assert withdrawals(sim) == []
    record = await services.store.get_transfer(make_transfer_client_id(job.run_id, "t1", 1))
    assert record is not None
    assert (record.state, record.reason) == (TransferState.FAILED, NEVER_SENT)
    assert (await services.gateways[venue].fetch_balances())["USDT"].free == Decimal(500000)


async def test_a_lookup_that_keeps_failing_leaves_the_outcome_unknown_for_recovery(
    services: Services, sim: SimulatorServer, venue: str
) -> None:
    job = await transfer_job(services, venue, "250")
    sim.control.inject_fault(
        {
            "venue": venue,
            "path": WITHDRAW_PATH[venue],
            "method": "POST",
            "execute": True,
            "drop": True,
        }
    )
    history = {"binance": "/sapi/v1/capital/withdraw/history", "okx": "/api/v5/asset/withdrawal-h"}
    sim.control.inject_fault(
        {"venue": venue, "path": history[venue], "status": 503, "body": "busy", "count": 1000}
    )
    result = await services.runner.run(job)

    assert not result.arrived
    record = await services.store.get_transfer(make_transfer_client_id(job.run_id, "t1", 1))
    assert record is not None
    assert record.state is TransferState.PENDING_SUBMIT  # never read as "not sent"
    assert len(withdrawals(sim)) == 1

    sim.control.clear_faults()
    report = await services.recovery().run()
    assert report.adopted_transfers == [record.id]
    adopted = await services.store.get_transfer(record.id)
    assert adopted is not None
    assert adopted.withdrawal_id == withdrawals(sim)[0]["id"]


async def test_recovery_after_a_crash_mid_withdrawal_adopts_it_exactly_once(
    tmp_path: Path,
    make_gateway: GatewayFactory,
    services: Services,
    sim: SimulatorServer,
    venue: str,
) -> None:
    job = await transfer_job(services, venue, "250")
    # The venue takes the withdrawal, then the process dies before the reply is recorded.
    sim.control.inject_fault(
        {
            "venue": venue,
            "path": WITHDRAW_PATH[venue],
            "method": "POST",
            "execute": True,
            "delay_ms": 10_000,
        }
    )
    crashed = asyncio.create_task(services.runner.run(job))

    async def requested() -> bool:
        return bool(withdrawals(sim))

    await eventually(requested, "the withdrawal reaches the venue", attempts=500)
    crashed.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await crashed
    cid = make_transfer_client_id(job.run_id, "t1", 1)
    intent = await services.store.get_transfer(cid)
    assert intent is not None
    assert (intent.state, intent.withdrawal_id) == (TransferState.PENDING_SUBMIT, None)
    sim.control.clear_faults()

    restarted = await start_services(tmp_path, make_gateway)
    try:
        report = await restarted.recovery().run()
        assert report.adopted_transfers == [cid]
        assert report.tradable
        adopted = await restarted.store.get_transfer(cid)
        assert adopted is not None
        assert adopted.state is TransferState.SUBMITTED
        assert adopted.withdrawal_id == withdrawals(sim)[0]["id"]

        again = await restarted.recovery().run()  # a second recovery changes nothing
        assert again.adopted_transfers == []
        assert again.unsent_transfers == []

        sim.control.complete_withdrawal(adopted.withdrawal_id)
        async with asyncio.timeout(30):
            result = await restarted.runner.follow(
                adopted, restarted.gateways[venue], restarted.gateways[OTHER[venue]]
            )
        assert result.arrived
        assert len(withdrawals(sim)) == 1  # adopted, never requested twice
    finally:
        await restarted.store.close()


async def test_recovery_marks_a_transfer_the_venue_never_received_as_never_sent(
    services: Services, sim: SimulatorServer, venue: str
) -> None:
    job = await transfer_job(services, venue, "250")
    # The process died after committing the intent, before the request left: the intent is
    # exactly what the runner commits first. It died two minutes ago: past any venue's window
    # for carrying a request out late, so the venue's "not found" is final at once.
    now = WallClock().now() - timedelta(minutes=2)
    cid = make_transfer_client_id(job.run_id, "t1", 1)
    await services.store.record_transfer(
        TransferRecord(
            id=cid,
            run_id=job.run_id,
            node_id="t1",
            asset="USDT",
            network="TRC20",
            source=venue,
            destination=OTHER[venue],
            amount=Decimal(250),
            state=TransferState.PENDING_SUBMIT,
            created_at=now,
            updated_at=now,
            fee=ROUTE_FEE,
        )
    )

    report = await services.recovery().run()

    assert report.unsent_transfers == [cid]
    assert report.tradable
    record = await services.store.get_transfer(cid)
    assert record is not None
    assert (record.state, record.reason) == (TransferState.FAILED, NEVER_SENT)
    assert withdrawals(sim) == []
    assert await services.store.pending_transfers() == []  # not counted in transit any more
