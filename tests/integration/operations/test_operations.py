"""``services.operations``: what a person asks, checked and written to a real SQLite store.

The portfolio is the example config's ``core`` and the holdings are the example snapshot's
(about 81,044 USDT in all; selling everything raises at most 80,663.73; 1,490 of its cash
may be spent: 1,500 on binance less a 50 reserve, and 40 on okx).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.codecs.snapshot_json import parse_snapshot
from rebalancer.core.breaker import TripReason
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.requests import RunRequest
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.snapshot import Snapshot
from rebalancer.persistence import SqlStore, open_store, sqlite_url
from rebalancer.runtime.clock import SystemClock
from rebalancer.services import operations
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.settings import load_config

REPO = Path(__file__).resolve().parents[3]
CONFIG = load_config(REPO / "config" / "example.toml")
POLICIES: dict[str, Policy] = {name: CONFIG.policy(name) for name in CONFIG.portfolios}
SNAPSHOT: Snapshot = parse_snapshot((REPO / "config" / "example-snapshot.json").read_text())


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    opened = await open_store(sqlite_url(tmp_path))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def desk(store: SqlStore) -> operations.Desk:
    return operations.Desk.of(store, SystemClock())


async def ask(desk: operations.Desk, request: RunRequest) -> operations.RequestAccepted:
    return await operations.request_run(desk, POLICIES, request, by="alice", snapshot=SNAPSHOT)


async def test_a_request_is_written_as_a_new_run_with_its_event(
    desk: operations.Desk, store: SqlStore
) -> None:
    accepted = await ask(desk, RunRequest("core", RunType.WITHDRAW, Decimal(5000)))

    run = accepted.run
    assert (run.status, run.trigger, run.amount) == (RunStatus.NEW, Trigger.MANUAL, Decimal(5000))
    (event,) = await store.events(run.id)
    assert (event.kind, event.payload) == (
        "RunRequested",
        {
            "portfolio": "core",
            "by": "alice",
            "run_type": "withdraw",
            "amount": "5000",
            "venue": None,
            "partial": False,
        },
    )
    assert accepted.notes == ()


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (
            RunRequest("nope", RunType.FULL),
            operations.UnknownPortfolio,
            "no portfolio named 'nope' (known: core)",
        ),
        (
            RunRequest("core", RunType.WITHDRAW, Decimal(-5)),
            operations.InvalidRequest,
            "amount: must be a positive amount of USDT, got -5",
        ),
        (
            RunRequest("core", RunType.WITHDRAW),
            operations.InvalidRequest,
            "amount: a withdraw needs the amount of USDT to raise",
        ),
        (
            RunRequest("core", RunType.LIQUIDATE, Decimal(5)),
            operations.InvalidRequest,
            "a liquidate run takes no amount",
        ),
        (
            RunRequest("core", RunType.WITHDRAW, Decimal(5), venue="kraken"),
            operations.InvalidRequest,
            "venue: 'kraken' is not one of core's (binance, okx)",
        ),
        (
            RunRequest("core", RunType.FULL, partial=True),
            operations.InvalidRequest,
            "partial: only a withdraw or an invest_cash",
        ),
        (
            RunRequest("core", RunType.WITHDRAW, Decimal(90000), venue="okx"),
            operations.AmountTooLarge,
            "is more than core can raise on okx: at most 80712.73 USDT",
        ),
        (
            RunRequest("core", RunType.WITHDRAW, Decimal("1e9")),
            operations.AmountTooLarge,
            "is more than core can raise: at most 80663.73 USDT",
        ),
        (
            RunRequest("core", RunType.INVEST_CASH, Decimal(5000)),
            operations.AmountTooLarge,
            "5000 USDT is more than the 1490.00 USDT of cash core may spend",
        ),
    ],
)
async def test_a_refused_request_names_the_problem_and_writes_nothing(
    desk: operations.Desk,
    store: SqlStore,
    request_: RunRequest,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        await ask(desk, request_)

    assert await store.list_runs() == []
    assert await store.events() == []


async def test_a_partial_withdraw_above_the_holdings_is_accepted(
    desk: operations.Desk, store: SqlStore
) -> None:
    accepted = await ask(desk, RunRequest("core", RunType.WITHDRAW, Decimal("1e9"), partial=True))

    assert accepted.run.partial is True


async def test_without_a_snapshot_only_the_request_itself_is_checked(
    desk: operations.Desk, store: SqlStore
) -> None:
    accepted = await operations.request_run(
        desk, POLICIES, RunRequest("core", RunType.WITHDRAW, Decimal("1e9")), by="bob"
    )

    assert accepted.run.status is RunStatus.NEW


async def test_a_request_says_what_it_waits_for(desk: operations.Desk, store: SqlStore) -> None:
    await operations.pause(desk, POLICIES, "core", by="alice", reason="audit")
    first = await ask(desk, RunRequest("core", RunType.FULL))

    second = await ask(desk, RunRequest("core", RunType.LIQUIDATE))

    assert any("paused (audit)" in note for note in first.notes)
    assert f"it runs after run {first.run.id} (NEW)" in second.notes


async def test_a_waiting_request_cancels_and_then_never_runs(
    desk: operations.Desk, store: SqlStore
) -> None:
    run = (await ask(desk, RunRequest("core", RunType.FULL))).run

    cancelled = await operations.cancel_run(desk, run.id, by="bob")

    assert (cancelled.status, cancelled.reason) == (RunStatus.CANCELLED, "cancelled by bob")
    assert await store.pending_requests() == []
    with pytest.raises(operations.WrongRunState, match="has already ended: CANCELLED"):
        await operations.cancel_run(desk, run.id, by="bob")


async def test_a_request_the_daemon_took_no_longer_cancels(
    desk: operations.Desk, store: SqlStore
) -> None:
    run = (await ask(desk, RunRequest("core", RunType.FULL))).run
    assert await store.take_request(run.id)

    with pytest.raises(operations.WrongRunState, match="already been taken by the daemon"):
        await operations.cancel_run(desk, run.id, by="bob")


async def test_a_finished_or_unknown_run_does_not_cancel(
    desk: operations.Desk, store: SqlStore
) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    await store.set_run_status(run.id, RunStatus.FILLED)

    with pytest.raises(operations.WrongRunState, match="has already ended: FILLED"):
        await operations.cancel_run(desk, run.id, by="bob")
    with pytest.raises(operations.RunNotFound, match="no run nosuch"):
        await operations.cancel_run(desk, "nosuch", by="bob")


async def parked(store: SqlStore) -> str:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    await store.append_event("RunAwaitingApproval", {"round": 1}, run_id=run.id)
    await store.set_run_status(run.id, RunStatus.AWAITING_APPROVAL, "plan notional above 1")
    return run.id


async def test_approving_writes_who_approved_for_the_daemon(
    desk: operations.Desk, store: SqlStore
) -> None:
    run_id = await parked(store)

    run = await operations.approve_run(desk, run_id, by="carol")

    assert run.status is RunStatus.AWAITING_APPROVAL  # the daemon carries it out
    assert [(e.kind, dict(e.payload)) for e in await store.events(run_id)][-1] == (
        "RunApproved",
        {"portfolio": "core", "by": "carol"},
    )


async def test_rejecting_cancels_with_the_reason(desk: operations.Desk, store: SqlStore) -> None:
    run_id = await parked(store)

    run = await operations.reject_run(desk, run_id, by="carol", reason="too big")

    assert (run.status, run.reason) == (RunStatus.CANCELLED, "rejected by carol: too big")
    with pytest.raises(operations.WrongRunState, match="is CANCELLED, not AWAITING_APPROVAL"):
        await operations.approve_run(desk, run_id, by="carol")


async def test_a_run_awaiting_approval_can_be_cancelled(
    desk: operations.Desk, store: SqlStore
) -> None:
    run_id = await parked(store)

    assert (await operations.cancel_run(desk, run_id, by="dan")).status is RunStatus.CANCELLED


async def test_pause_and_unpause_are_kept_and_audited(
    desk: operations.Desk, store: SqlStore
) -> None:
    with pytest.raises(operations.InvalidRequest, match="reason"):
        await operations.pause(desk, POLICIES, "core", by="alice", reason=" ")
    with pytest.raises(operations.UnknownPortfolio):
        await operations.pause(desk, POLICIES, "nope", by="alice", reason="x")

    await operations.pause(desk, POLICIES, "core", by="alice", reason="audit")
    assert await operations.paused(store, "core") is not None
    await operations.unpause(desk, POLICIES, "core", by="bob")

    assert await operations.paused(store, "core") is None
    assert [(e.kind, e.payload["by"]) for e in await store.events()] == [
        ("PortfolioPaused", "alice"),
        ("PortfolioUnpaused", "bob"),
    ]


async def test_resume_re_arms_a_halted_breaker_once(desk: operations.Desk, store: SqlStore) -> None:
    keeper = BreakerKeeper(store, desk.clock)
    await keeper.trip(TripReason.MANUAL, "test", BreakerState.HALTED)

    resumed = await operations.resume_breaker(desk, by="erin", reason="checked")
    again = await operations.resume_breaker(desk, by="erin", reason="checked")

    assert (resumed.before, resumed.after, resumed.changed) == (
        BreakerState.HALTED,
        BreakerState.ACTIVE,
        True,
    )
    assert again.changed is False
    with pytest.raises(operations.InvalidRequest, match="reason"):
        await operations.resume_breaker(desk, by="erin", reason="")
