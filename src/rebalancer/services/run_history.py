"""A run's whole story from the Store: why it started, its plans, orders, transfers, outcome.

What ``rebalancer runs show`` prints and what the daemon logs when a run ends. Transfers are
found through the saved plans: a transfer node's id in the Store is the client id of (run,
node, round), the same pure function the transfer service used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rebalancer.core.client_ids import make_client_order_id
from rebalancer.domain.events import RunTriggered
from rebalancer.domain.records import (
    EventRecord,
    NodeKind,
    OrderRecord,
    RoundRecord,
    RunRecord,
    TransferRecord,
)
from rebalancer.ports import Store


@dataclass(frozen=True, slots=True)
class RunHistory:
    """Everything stored about one run."""

    run: RunRecord
    rounds: Sequence[RoundRecord]
    orders: Sequence[OrderRecord]
    transfers: Sequence[TransferRecord]
    events: Sequence[EventRecord]

    @property
    def trigger_reason(self) -> str | None:
        """The trigger's reason in words, when the run recorded one."""
        for event in self.events:
            if event.kind == RunTriggered.__name__:
                return str(event.payload.get("reason", "")) or None
        return None


async def run_transfers(store: Store, run: RunRecord) -> list[TransferRecord]:
    """Every transfer the run's saved rounds planned and the executor recorded."""
    return [record for _, record in await transfers_by_round(store, run)]


async def transfers_by_round(store: Store, run: RunRecord) -> list[tuple[int, TransferRecord]]:
    """Every transfer the run recorded, with the round that planned it."""
    found: list[tuple[int, TransferRecord]] = []
    for round_no in range(1, run.rounds + 1):
        for node in await store.plan_nodes(run.id, round_no):
            if node.kind is not NodeKind.TRANSFER:
                continue
            record = await store.get_transfer(make_client_order_id(run.id, node.node_id, round_no))
            if record is not None:
                found.append((round_no, record))
    return found


async def run_history(store: Store, run_id: str, *, event_limit: int = 500) -> RunHistory:
    """Read one run's history (``RecordNotFound`` when there is no such run)."""
    run = await store.get_run(run_id)
    return RunHistory(
        run=run,
        rounds=await store.rounds_for_run(run_id),
        orders=await store.orders_for_run(run_id),
        transfers=await run_transfers(store, run),
        events=await store.events(run_id, limit=event_limit),
    )
