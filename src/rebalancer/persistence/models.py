"""The tables, as SQLAlchemy 2 typed declarative models.

The schema itself is owned by the Alembic migrations in ``migrations/versions``; these models
must describe exactly what the migrations build (a test compares them). Money columns are
``DecimalText``, time columns ``UtcDateTime``; enums are stored as their string values so the
database stays readable with a plain ``sqlite3`` shell.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rebalancer.persistence.types import DecimalText, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(64)
NAME = String(64)
STATE = String(32)
KEY = String(200)


class Base(DeclarativeBase):
    """The declarative base; its metadata is what Alembic compares against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RunRow(Base):
    """One rebalance run."""

    __tablename__ = "runs"
    __table_args__ = (Index(None, "portfolio", "status"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    portfolio: Mapped[str] = mapped_column(NAME)
    run_type: Mapped[str] = mapped_column(STATE)
    trigger: Mapped[str] = mapped_column(STATE)
    status: Mapped[str] = mapped_column(STATE, index=True)
    amount: Mapped[Decimal | None] = mapped_column(DecimalText)
    rounds: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    venue: Mapped[str | None] = mapped_column(NAME)
    partial: Mapped[bool] = mapped_column(Boolean)


class RoundRow(Base):
    """The snapshot and plan one round of a run was made from."""

    __tablename__ = "run_rounds"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id"), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_json: Mapped[str] = mapped_column(Text)
    plan_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlanNodeRow(Base):
    """One node of a round's plan: an order or a transfer and the nodes it waits for."""

    __tablename__ = "plan_nodes"
    __table_args__ = (
        ForeignKeyConstraint(["run_id", "round"], ["run_rounds.run_id", "run_rounds.round"]),
    )

    run_id: Mapped[str] = mapped_column(ID, primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(STATE)
    depends_on: Mapped[str] = mapped_column(Text)


class OrderRow(Base):
    """One order intent and what the venue said about it."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(ID, unique=True)
    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id"), index=True)
    node_id: Mapped[str] = mapped_column(ID)
    round: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    venue: Mapped[str] = mapped_column(NAME)
    symbol: Mapped[str] = mapped_column(NAME)
    side: Mapped[str] = mapped_column(STATE)
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    limit_price: Mapped[Decimal | None] = mapped_column(DecimalText)
    state: Mapped[str] = mapped_column(STATE, index=True)
    exchange_order_id: Mapped[str | None] = mapped_column(ID)
    filled: Mapped[Decimal] = mapped_column(DecimalText)
    average_price: Mapped[Decimal | None] = mapped_column(DecimalText)
    fee: Mapped[Decimal | None] = mapped_column(DecimalText)
    fee_asset: Mapped[str | None] = mapped_column(NAME)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TransferRow(Base):
    """One inter-venue transfer and how far it got."""

    __tablename__ = "transfers"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id"), index=True)
    node_id: Mapped[str] = mapped_column(ID)
    asset: Mapped[str] = mapped_column(NAME)
    network: Mapped[str] = mapped_column(NAME)
    source: Mapped[str] = mapped_column(NAME)
    destination: Mapped[str] = mapped_column(NAME)
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    fee: Mapped[Decimal | None] = mapped_column(DecimalText)
    withdrawal_id: Mapped[str | None] = mapped_column(ID)
    deposit_id: Mapped[str | None] = mapped_column(ID)
    state: Mapped[str] = mapped_column(STATE, index=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BreakerRow(Base):
    """One circuit-breaker transition; the newest row is the current state."""

    __tablename__ = "breaker_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(STATE)
    reasons: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class EventRow(Base):
    """One entry of the append-only event log (the database refuses updates and deletes)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    run_id: Mapped[str | None] = mapped_column(ID, ForeignKey("runs.id"), index=True)
    kind: Mapped[str] = mapped_column(NAME, index=True)
    payload: Mapped[str] = mapped_column(Text)


class RunRequestRow(Base):
    """A run asked for (by a person, a deposit or a schedule); the run row holds what was asked."""

    __tablename__ = "run_requests"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id"), primary_key=True)
    requested_by: Mapped[str] = mapped_column(Text)
    key: Mapped[str | None] = mapped_column(KEY, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PortfolioStateRow(Base):
    """What is remembered per portfolio beside its runs: its pause, its latest snapshot, and
    since when its deposits are watched."""

    __tablename__ = "portfolio_states"

    portfolio: Mapped[str] = mapped_column(NAME, primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean)
    paused_by: Mapped[str | None] = mapped_column(Text)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    snapshot_json: Mapped[str | None] = mapped_column(Text)
    snapshot_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deposits_since: Mapped[datetime | None] = mapped_column(UtcDateTime)


class InflowRow(Base):
    """A deposit from outside that a run of ours was started to invest (each one only once)."""

    __tablename__ = "inflows"

    venue: Mapped[str] = mapped_column(NAME, primary_key=True)
    deposit_id: Mapped[str] = mapped_column(ID, primary_key=True)
    portfolio: Mapped[str] = mapped_column(NAME)
    asset: Mapped[str] = mapped_column(NAME)
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class ScheduleEntryRow(Base):
    """When the daemon first saw a ``[[portfolios.P.schedule]]`` entry (it fires from then on)."""

    __tablename__ = "schedule_entries"

    portfolio: Mapped[str] = mapped_column(NAME, primary_key=True)
    entry_key: Mapped[str] = mapped_column(KEY, primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SetAsideRow(Base):
    """Cash a withdraw run raised, held out of the portfolio until it leaves or is released."""

    __tablename__ = "set_asides"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    portfolio: Mapped[str] = mapped_column(NAME, index=True)
    venue: Mapped[str] = mapped_column(NAME)
    asset: Mapped[str] = mapped_column(NAME)
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    run_id: Mapped[str | None] = mapped_column(ID, ForeignKey("runs.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    seen_balance: Mapped[Decimal] = mapped_column(DecimalText)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    released_by: Mapped[str | None] = mapped_column(Text)
    release_cause: Mapped[str | None] = mapped_column(STATE)
    release_reason: Mapped[str | None] = mapped_column(Text)


metadata = Base.metadata
