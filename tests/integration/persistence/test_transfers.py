"""Transfers: recorded before the withdrawal is requested, followed until they arrive or fail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import DuplicateRecord, RecordNotFound, TransferState
from rebalancer.domain.runs import Trigger
from rebalancer.persistence import SqlStore

from .builders import START, transfer


async def _run_id(store: SqlStore) -> str:
    return (await store.create_run("core", RunType.FULL, Trigger.DRIFT)).id


async def test_a_transfer_reads_back_exactly_as_recorded(store: SqlStore) -> None:
    run_id = await _run_id(store)
    recorded = transfer(run_id, deadline=START + timedelta(hours=2))
    assert await store.record_transfer(recorded) == recorded
    assert await store.get_transfer(recorded.id) == recorded
    assert await store.get_transfer("never") is None


async def test_a_transfer_id_is_recorded_only_once(store: SqlStore) -> None:
    run_id = await _run_id(store)
    await store.record_transfer(transfer(run_id, "rb-t1"))
    with pytest.raises(DuplicateRecord, match="rb-t1"):
        await store.record_transfer(transfer(run_id, "rb-t1"))


async def test_a_transfer_for_an_unknown_run_is_refused(store: SqlStore) -> None:
    with pytest.raises(RecordNotFound, match="ghost"):
        await store.record_transfer(transfer("ghost"))


async def test_a_transfer_moves_to_arrived_with_its_ids(store: SqlStore) -> None:
    run_id = await _run_id(store)
    recorded = await store.record_transfer(transfer(run_id))
    await store.update_transfer(
        recorded.id, state=TransferState.SUBMITTED, withdrawal_id="w-77", fee=Decimal("1.0")
    )
    arrival = START + timedelta(minutes=7)
    arrived = await store.update_transfer(
        recorded.id,
        at=arrival,
        state=TransferState.ARRIVED,
        deposit_id="d-5",
        arrived_at=arrival,
    )
    assert (arrived.withdrawal_id, arrived.deposit_id, arrived.fee) == (
        "w-77",
        "d-5",
        Decimal("1.0"),
    )
    assert (arrived.state, arrived.arrived_at, arrived.updated_at) == (
        TransferState.ARRIVED,
        arrival,
        arrival,
    )
    assert await store.get_transfer(recorded.id) == arrived


async def test_pending_transfers_exclude_arrived_and_failed(store: SqlStore) -> None:
    run_id = await _run_id(store)
    for index, state in enumerate(TransferState):
        created = START + timedelta(seconds=index)
        await store.record_transfer(
            transfer(run_id, f"t-{state.value}", state=state, created_at=created)
        )
    pending = [t.state for t in await store.pending_transfers()]
    assert pending == [
        TransferState.PENDING_SUBMIT,
        TransferState.SUBMITTED,
        TransferState.CONFIRMED,
    ]


async def test_naive_timestamps_are_refused(store: SqlStore) -> None:
    run_id = await _run_id(store)
    recorded = await store.record_transfer(transfer(run_id))
    with pytest.raises(InvalidValue, match="timezone-aware"):
        await store.update_transfer(recorded.id, deadline=START.replace(tzinfo=None))
    assert await store.get_transfer(recorded.id) == recorded


async def test_what_a_transfer_is_cannot_be_changed(store: SqlStore) -> None:
    run_id = await _run_id(store)
    recorded = await store.record_transfer(transfer(run_id))
    with pytest.raises(InvalidValue, match="cannot change destination"):
        await store.update_transfer(recorded.id, destination="kraken")
    assert await store.get_transfer(recorded.id) == recorded
