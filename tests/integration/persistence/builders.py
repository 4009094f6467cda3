"""Factories for records the tests store (sensible defaults, override what a test is about)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rebalancer.domain.market import OrderSide
from rebalancer.domain.records import (
    OrderIntentState,
    OrderRecord,
    TransferRecord,
    TransferState,
)

START = datetime(2024, 3, 1, tzinfo=UTC)


class SteppingClock:
    """A clock that moves one second forward every time it is read (deterministic order)."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def now(self) -> datetime:
        """Return the current time, then step."""
        now = self.current
        self.current += timedelta(seconds=1)
        return now


WHEN = START


def order(run_id: str, client_order_id: str = "rbabc-o1-1", **changes: object) -> OrderRecord:
    """A PENDING_SUBMIT market sell of 0.01200 BTC on binance."""
    base = OrderRecord(
        client_order_id=client_order_id,
        run_id=run_id,
        node_id="o1",
        round=1,
        attempt=1,
        venue="binance",
        symbol="BTC/USDT",
        side=OrderSide.SELL,
        amount=Decimal("0.01200"),
        state=OrderIntentState.PENDING_SUBMIT,
        created_at=WHEN,
        updated_at=WHEN,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def transfer(run_id: str, transfer_id: str = "rbabc-t1", **changes: object) -> TransferRecord:
    """A PENDING_SUBMIT move of 500 USDT from binance to okx over TRC20."""
    base = TransferRecord(
        id=transfer_id,
        run_id=run_id,
        node_id="t1",
        asset="USDT",
        network="TRC20",
        source="binance",
        destination="okx",
        amount=Decimal("500"),
        state=TransferState.PENDING_SUBMIT,
        created_at=WHEN,
        updated_at=WHEN,
        fee=Decimal("1"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


PLAN_JSON = """{
  "version": 1, "portfolio": "core", "run_type": "full",
  "orders": [
    {"id": "o1", "venue": "binance", "symbol": "BTC/USDT", "side": "sell",
     "amount": "0.01200", "price": "61990.00", "depends_on": []},
    {"id": "o2", "venue": "okx", "symbol": "ETH/USDT", "side": "buy",
     "amount": "0.5", "price": "3000", "depends_on": ["t1"]}
  ],
  "transfers": [
    {"id": "t1", "asset": "USDT", "network": "TRC20", "from": "binance", "to": "okx",
     "amount": "500", "depends_on": ["o1"]}
  ],
  "estimated_cost": "3.41", "weights_before": {}, "weights_after": {}, "residuals": []
}"""

SNAPSHOT_JSON = (
    '{"version": 1, "taken_at": "2024-03-01T00:00:00Z", '
    '"venues": {"binance": {"balances": {"BTC": "0.51"}, "markets": {}}}}'
)
