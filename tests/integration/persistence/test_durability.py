"""An intent committed is there after a crash; what was not committed is not."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rebalancer.domain.plan import RunType
from rebalancer.domain.records import OrderIntentState
from rebalancer.domain.runs import Trigger
from rebalancer.persistence import open_store
from rebalancer.persistence.engine import read_only
from rebalancer.persistence.models import OrderRow

from .builders import order

# The child records a run and an order intent, then opens a write it never commits and waits
# to be killed: the state a crash between "intent committed" and "order sent" leaves behind.
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import UTC, datetime
    from decimal import Decimal
    from sqlalchemy import text
    from rebalancer.domain.market import OrderSide
    from rebalancer.domain.plan import RunType
    from rebalancer.domain.records import OrderIntentState, OrderRecord
    from rebalancer.domain.runs import Trigger
    from rebalancer.persistence import open_store

    async def main(url):
        store = await open_store(url)
        await store.create_run("core", RunType.FULL, Trigger.DRIFT, run_id="crash1")
        now = datetime.now(UTC)
        await store.record_order_intent(OrderRecord(
            client_order_id="rbcrash1o11", run_id="crash1", node_id="o1", round=1, attempt=1,
            venue="binance", symbol="BTC/USDT", side=OrderSide.BUY, amount=Decimal("0.5"),
            state=OrderIntentState.PENDING_SUBMIT, created_at=now, updated_at=now))
        connection = await store.engine.connect()
        await connection.begin()
        await connection.execute(text(
            "UPDATE orders SET state = 'FILLED' WHERE client_order_id = 'rbcrash1o11'"))
        print("intent committed", flush=True)
        await asyncio.sleep(60)

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_a_committed_intent_survives_the_process_being_killed(database_url: str) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, database_url, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
        assert line.strip() == b"intent committed"
    finally:
        if child.returncode is None:
            os.kill(child.pid, signal.SIGKILL)
        await asyncio.wait_for(child.wait(), timeout=30)
    assert child.returncode == -signal.SIGKILL

    store = await open_store(database_url)
    try:
        intent = await store.get_order("rbcrash1o11")
        assert intent is not None
        assert intent.state is OrderIntentState.PENDING_SUBMIT  # the uncommitted write is gone
        assert [run.id for run in await store.runs_in_flight()] == ["crash1"]
        assert [o.client_order_id for o in await store.non_terminal_orders()] == ["rbcrash1o11"]
        # the dead process's locks are gone too: we can write at once
        await store.update_order("rbcrash1o11", state=OrderIntentState.UNKNOWN)
    finally:
        await store.close()


async def test_an_intent_is_visible_from_a_fresh_engine_while_the_old_one_hangs(
    database_url: str,
) -> None:
    first = await open_store(database_url)
    run = await first.create_run("core", RunType.FULL, Trigger.DRIFT)
    intent = await first.record_order_intent(order(run.id, "rbabandon1"))
    # The old engine is never closed and one of its sessions sits in an open read.
    session = AsyncSession(read_only(first.engine))
    await session.execute(select(OrderRow.client_order_id))

    second = await open_store(database_url)
    try:
        assert await second.get_order("rbabandon1") == intent
        count = await _count_orders(second.engine)
        assert count == 1
    finally:
        await second.close()
        await session.close()
        await first.close()


async def _count_orders(engine: object) -> int:
    async with engine.connect() as connection:  # type: ignore[attr-defined]
        return int((await connection.execute(text("SELECT COUNT(*) FROM orders"))).scalar_one())
