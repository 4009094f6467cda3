"""Money survives the database digit for digit; floats never get in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.exc import StatementError

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import Trigger
from rebalancer.persistence import SqlStore
from rebalancer.persistence.types import DecimalText, UtcDateTime

from .builders import order

EDGE_CASES = [
    "0",
    "0.00000000",
    "0.00000001",
    "-0.5",
    "61990.10",
    "12345678901234567890.123456789012345678901234567890",
    "1E+30",
]

_table = Table(
    "amounts",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("amount", DecimalText),
    Column("at", UtcDateTime),
)


@pytest.fixture(scope="module")
def sqlite_table() -> Iterator[Engine]:
    """A real (in-memory) SQLite table with a DecimalText and a UtcDateTime column."""
    engine = create_engine("sqlite://")
    _table.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _round_trip(engine: Engine, value: object, at: datetime | None = None) -> tuple[object, ...]:
    with engine.begin() as connection:
        key = connection.execute(insert(_table).values(amount=value, at=at)).inserted_primary_key[0]
        row = connection.execute(select(_table.c.amount, _table.c.at).where(_table.c.id == key))
        return tuple(row.one())


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_finite_decimal_reads_back_equal_with_its_digits(
    sqlite_table: Engine, value: Decimal
) -> None:
    stored, _ = _round_trip(sqlite_table, value)
    assert isinstance(stored, Decimal)
    assert stored == value
    if value.as_tuple().exponent <= 0:  # type: ignore[operator]
        assert stored.as_tuple() == value.as_tuple()  # trailing zeros and sign kept


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    )
)
def test_any_aware_time_reads_back_as_the_same_instant_in_utc(
    sqlite_table: Engine, when: datetime
) -> None:
    _, stored = _round_trip(sqlite_table, Decimal(1), when)
    assert isinstance(stored, datetime)
    assert stored == when
    assert stored.utcoffset() == timedelta(0)


def test_a_float_is_refused_before_it_reaches_the_database(sqlite_table: Engine) -> None:
    with pytest.raises(StatementError, match="not a float"):
        _round_trip(sqlite_table, 0.1)


@pytest.mark.parametrize("text", EDGE_CASES)
async def test_run_amounts_keep_every_digit_on_each_backend(store: SqlStore, text: str) -> None:
    run = await store.create_run("core", RunType.WITHDRAW, Trigger.MANUAL, amount=Decimal(text))
    stored = (await store.get_run(run.id)).amount
    assert stored == Decimal(text)
    assert str(stored) == str(Decimal(text)) or Decimal(text).as_tuple().exponent > 0  # type: ignore[operator]


async def test_order_amounts_keep_trailing_zeros_on_each_backend(store: SqlStore) -> None:
    run = await store.create_run("core", RunType.FULL, Trigger.DRIFT)
    recorded = order(run.id, amount=Decimal("0.01200"), filled=Decimal("0.00000"))
    await store.record_order_intent(recorded)
    stored = await store.get_order(recorded.client_order_id)
    assert stored is not None
    assert (str(stored.amount), str(stored.filled)) == ("0.01200", "0.00000")


async def test_a_float_amount_is_refused_naming_the_field(store: SqlStore) -> None:
    with pytest.raises(InvalidValue, match=r"run.amount: .*not a float"):
        await store.create_run("core", RunType.WITHDRAW, Trigger.MANUAL, amount=0.1)  # type: ignore[arg-type]
    assert await store.list_runs() == []
