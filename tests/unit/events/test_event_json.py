"""A logged event reads back as the typed value it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.codecs.event_json import event_from_log
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    BreakerTransition,
    DaemonStopping,
    Digest,
    DomainEvent,
    OrderFilled,
    RunEnded,
    RunTriggered,
    TransferLate,
)
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import RunStatus, Trigger

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)

SAMPLES: list[DomainEvent] = [
    RunTriggered(
        at=AT, portfolio="core", run_id="r1", run_type=RunType.WITHDRAW,
        trigger=Trigger.MANUAL, reason="asked", amount=Decimal("2500.50"),
    ),
    RunEnded(
        at=AT, portfolio="core", run_id="r1", status=RunStatus.PARTIALLY_FILLED, reason="x",
        rounds=3, traded=Decimal("100.1"), cost=Decimal("0.2"), residual=None,
    ),
    OrderFilled(
        at=AT, run_id="r1", venue="binance", symbol="BTC/USDT", side=OrderSide.BUY,
        amount=Decimal("0.1"), filled=Decimal("0.05"), average_price=Decimal("60000"),
        expected_price=Decimal("59990"), slippage_bps=Decimal("1.67"), fee=None,
        fee_asset=None, client_order_id="c", node_id="o1", round=1,
    ),
    BreakerTransition(
        at=AT, previous=BreakerState.ACTIVE, state=BreakerState.HALTED, reason="slippage",
        detail="d",
    ),
    TransferLate(
        at=AT, run_id="r1", transfer_id="t", asset="USDT", source="okx", destination="binance",
        amount=Decimal(30000), deadline=datetime(2026, 12, 1, 13, tzinfo=UTC),
    ),
    DaemonStopping(at=AT, reason="stop", parked=("r1", "r2")),
    Digest(at=AT, portfolio="core", quote="USDT", value=Decimal(1000),
           weights={"BTC": Decimal("41.5")}, targets={"BTC": Decimal(40)}),
]  # fmt: skip


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.name)
def test_what_the_log_keeps_reads_back_as_the_same_event(event: DomainEvent) -> None:
    stored = json.loads(json.dumps(event.payload()))  # what the Store's JSON column holds

    assert event_from_log(event.name, stored, event.at, event.run_id) == event


def test_a_row_that_is_no_event_reads_as_none() -> None:
    assert event_from_log("something_else", {}, AT, None) is None
    assert event_from_log("RunApproved", {"portfolio": "core"}, AT, "r1") is None  # no "by"
    assert event_from_log("RunEnded", {"status": "NOPE"}, AT, "r1") is None
