"""Domain events: past-tense typed values with a name, plain JSON payloads and a criticality."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    EVENT_TYPES,
    BreakerTransition,
    DaemonStopping,
    Digest,
    OrderFilled,
    RunEnded,
)
from rebalancer.domain.market import OrderSide
from rebalancer.domain.runs import RunStatus

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)

ISSUE_LIST = {
    "RunTriggered",
    "RunAwaitingApproval",
    "RunApproved",
    "RunRejected",
    "RoundPlanned",
    "OrderFilled",
    "OrderFailed",
    "TransferSent",
    "TransferArrived",
    "TransferLate",
    "RunEnded",
    "BreakerTransition",
    "VenueStale",
    "VenueRecovered",
    "ReconciliationMismatch",
    "ConfigReloaded",
    "ConfigRefused",
    "DaemonStarted",
    "DaemonStopping",
    "Digest",
}


def test_every_event_the_operators_need_is_a_typed_frozen_value() -> None:
    assert set(EVENT_TYPES) >= ISSUE_LIST
    for name, kind in EVENT_TYPES.items():
        assert dataclasses.is_dataclass(kind)
        assert kind.__dataclass_params__.frozen, name  # type: ignore[attr-defined]
        names = {f.name for f in dataclasses.fields(kind)}
        assert {"at", "portfolio", "run_id"} <= names, name


def test_a_payload_is_plain_json_with_exact_decimals() -> None:
    event = OrderFilled(
        at=AT,
        portfolio="core",
        run_id="r1",
        venue="binance",
        symbol="BTC/USDT",
        side=OrderSide.SELL,
        amount=Decimal("0.10000"),
        filled=Decimal("0.1"),
        average_price=Decimal("60000.50"),
        expected_price=Decimal("60001"),
        slippage_bps=Decimal("0.0833"),
        fee=None,
        fee_asset=None,
        client_order_id="rb-1",
        node_id="o1",
        round=1,
    )

    body = event.as_json()

    assert body["name"] == "OrderFilled"
    assert body["at"] == "2026-12-01T12:00:00+00:00"
    assert (body["side"], body["amount"], body["average_price"]) == ("sell", "0.10000", "60000.50")
    assert "at" not in event.payload()
    assert "run_id" not in event.payload()


def test_mappings_and_tuples_become_objects_and_lists() -> None:
    digest = Digest(
        at=AT, portfolio="core", quote="USDT", value=Decimal(1000), weights={"BTC": Decimal("41.5")}
    )
    stopping = DaemonStopping(at=AT, reason="stop", parked=("r1", "r2"))

    assert digest.payload()["weights"] == {"BTC": "41.5"}
    assert stopping.payload()["parked"] == ["r1", "r2"]


@pytest.mark.parametrize(
    ("event", "critical"),
    [
        (
            BreakerTransition(
                at=AT,
                previous=BreakerState.ACTIVE,
                state=BreakerState.HALTED,
                reason="x",
                detail="y",
            ),
            True,
        ),
        (
            BreakerTransition(
                at=AT,
                previous=BreakerState.HALTED,
                state=BreakerState.ACTIVE,
                reason="resume",
                detail="y",
            ),
            False,
        ),
        (DaemonStopping(at=AT, reason="stop", parked=("r1",)), True),
        (DaemonStopping(at=AT, reason="stop"), False),
        (
            RunEnded(
                at=AT,
                status=RunStatus.FILLED,
                reason="",
                rounds=1,
                traded=Decimal(1),
                cost=Decimal(0),
            ),
            False,
        ),
    ],
)
def test_halts_and_parked_work_are_critical(event: object, critical: bool) -> None:
    assert event.critical is critical  # type: ignore[attr-defined]
