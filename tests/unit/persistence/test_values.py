"""The persistence layer's pure checks: JSON payloads, field changes, column conversions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.market import OrderSide
from rebalancer.domain.records import OrderIntentState, OrderRecord, TransferState
from rebalancer.persistence import sqlite_url
from rebalancer.persistence.engine import describe_url
from rebalancer.persistence.repositories import json_text
from rebalancer.persistence.repositories.fields import apply_changes, aware, enum_value
from rebalancer.persistence.types import DecimalText, UtcDateTime

WHEN = datetime(2024, 3, 1, tzinfo=UTC)
INTENT = OrderRecord(
    client_order_id="rb1o11",
    run_id="r1",
    node_id="o1",
    round=1,
    attempt=1,
    venue="binance",
    symbol="BTC/USDT",
    side=OrderSide.BUY,
    amount=Decimal("0.5"),
    state=OrderIntentState.PENDING_SUBMIT,
    created_at=WHEN,
    updated_at=WHEN,
)


def test_json_payloads_write_decimals_as_strings_and_sort_keys() -> None:
    text = json_text.dump(
        {"b": Decimal("0.0100"), "a": [Decimal("1E+2")], "s": BreakerState.HALTED, "t": WHEN},
        "payload",
    )
    assert text == '{"a":["100"],"b":"0.0100","s":"HALTED","t":"2024-03-01T00:00:00+00:00"}'


def test_json_payloads_refuse_floats_naming_where() -> None:
    with pytest.raises(InvalidValue, match=r"payload.fills\[1\]: floats"):
        json_text.dump({"fills": [Decimal(1), 0.5]}, "payload")


def test_json_text_that_is_not_json_is_named() -> None:
    with pytest.raises(InvalidValue, match="snapshot_json: not valid JSON"):
        json_text.load("{", "snapshot_json")


def test_changes_apply_to_named_fields_only() -> None:
    changed = apply_changes(INTENT, {"state": OrderIntentState.OPEN}, ["client_order_id"], "o")
    assert changed.state is OrderIntentState.OPEN
    with pytest.raises(
        InvalidValue, match=r"o: cannot change client_order_id, colour \(changeable"
    ):
        apply_changes(INTENT, {"colour": 1, "client_order_id": "x"}, ["client_order_id"], "o")


def test_enum_values_are_checked_listing_the_choices() -> None:
    assert enum_value(TransferState, "ARRIVED", "t.state") is TransferState.ARRIVED
    with pytest.raises(InvalidValue, match=r"t\.state: expected one of PENDING_SUBMIT, SUBMITTED"):
        enum_value(TransferState, "LOST", "t.state")


def test_naive_datetimes_are_refused_by_name() -> None:
    assert aware(WHEN, "x.at") is WHEN
    with pytest.raises(InvalidValue, match=r"x\.at: expected a timezone-aware datetime"):
        aware(datetime(2024, 3, 1), "x.at")


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_decimal_text_is_the_plain_digits(dialect: object) -> None:
    column = DecimalText()
    assert column.process_bind_param(Decimal("0.000012300"), dialect) == "0.000012300"  # type: ignore[arg-type]
    assert column.process_bind_param(Decimal("-1E+3"), dialect) == "-1000"  # type: ignore[arg-type]
    assert column.process_result_value("0.000012300", dialect) == Decimal("0.000012300")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="not a float"):
        column.process_bind_param(0.1, dialect)  # type: ignore[arg-type]


def test_times_are_stored_as_utc_and_read_back_aware() -> None:
    column = UtcDateTime()
    india = datetime(2024, 3, 1, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    stored = column.process_bind_param(india, sqlite.dialect())
    assert stored == datetime(2024, 3, 1)  # SQLite has no zones: UTC wall time
    assert column.process_result_value(stored, sqlite.dialect()) == WHEN
    assert column.process_bind_param(india, postgresql.dialect()) == WHEN


def test_the_default_database_is_a_file_in_the_state_dir(tmp_path: Path) -> None:
    assert sqlite_url(tmp_path) == f"sqlite+aiosqlite:///{tmp_path.resolve()}/rebalancer.sqlite"


def test_urls_shown_to_people_hide_the_password() -> None:
    shown = describe_url("postgresql+asyncpg://trader:hunter2@db.internal/state")
    assert shown == "postgresql+asyncpg://trader:***@db.internal/state"
