"""Create the state database: runs, rounds, plan nodes, orders, transfers, breaker, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Decimals are TEXT (exact), timestamps timezone-aware. The event log is append-only: the
database itself refuses UPDATE and DELETE on ``events``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(64)
NAME = sa.String(64)
STATE = sa.String(32)


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table and the event log's append-only guard."""
    _create_runs()
    _create_orders_and_transfers()
    _create_breaker_and_events()
    _guard_events()


def _create_runs() -> None:
    op.create_table(
        "runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("portfolio", NAME, nullable=False),
        sa.Column("run_type", STATE, nullable=False),
        sa.Column("trigger", STATE, nullable=False),
        sa.Column("status", STATE, nullable=False),
        sa.Column("amount", sa.Text(), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_portfolio_status", "runs", ["portfolio", "status"])
    op.create_table(
        "run_rounds",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("snapshot_json", sa.Text(), nullable=False),
        sa.Column("plan_json", sa.Text(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_rounds_run_id_runs"),
        sa.PrimaryKeyConstraint("run_id", "round", name="pk_run_rounds"),
    )
    op.create_table(
        "plan_nodes",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("kind", STATE, nullable=False),
        sa.Column("depends_on", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id", "round"],
            ["run_rounds.run_id", "run_rounds.round"],
            name="fk_plan_nodes_run_id_run_rounds",
        ),
        sa.PrimaryKeyConstraint("run_id", "round", "node_id", name="pk_plan_nodes"),
    )


def _create_orders_and_transfers() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_order_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("venue", NAME, nullable=False),
        sa.Column("symbol", NAME, nullable=False),
        sa.Column("side", STATE, nullable=False),
        sa.Column("amount", sa.Text(), nullable=False),
        sa.Column("limit_price", sa.Text(), nullable=True),
        sa.Column("state", STATE, nullable=False),
        sa.Column("exchange_order_id", ID, nullable=True),
        sa.Column("filled", sa.Text(), nullable=False),
        sa.Column("average_price", sa.Text(), nullable=True),
        sa.Column("fee", sa.Text(), nullable=True),
        sa.Column("fee_asset", NAME, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_orders_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("client_order_id", name="uq_orders_client_order_id"),
    )
    op.create_index("ix_orders_run_id", "orders", ["run_id"])
    op.create_index("ix_orders_state", "orders", ["state"])
    op.create_index("ix_orders_created_at", "orders", ["created_at"])
    op.create_table(
        "transfers",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("asset", NAME, nullable=False),
        sa.Column("network", NAME, nullable=False),
        sa.Column("source", NAME, nullable=False),
        sa.Column("destination", NAME, nullable=False),
        sa.Column("amount", sa.Text(), nullable=False),
        sa.Column("fee", sa.Text(), nullable=True),
        sa.Column("withdrawal_id", ID, nullable=True),
        sa.Column("deposit_id", ID, nullable=True),
        sa.Column("state", STATE, nullable=False),
        sa.Column("arrived_at", _when(), nullable=True),
        sa.Column("deadline", _when(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_transfers_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_transfers"),
    )
    op.create_index("ix_transfers_run_id", "transfers", ["run_id"])
    op.create_index("ix_transfers_state", "transfers", ["state"])


def _create_breaker_and_events() -> None:
    op.create_table(
        "breaker_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("state", STATE, nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_breaker_transitions"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("kind", NAME, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_events_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_run_id", "events", ["run_id"])
    op.create_index("ix_events_kind", "events", ["kind"])


_SQLITE_GUARDS = [
    f"CREATE TRIGGER events_append_only_{verb.lower()} BEFORE {verb} ON events "
    "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_GUARDS = [
    "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the event log is append-only'; END $$",
    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
]


def _guard_events() -> None:
    dialect = op.get_context().dialect.name
    guards = {"sqlite": _SQLITE_GUARDS, "postgresql": _POSTGRES_GUARDS}.get(dialect, [])
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    """Drop everything (the event log's history goes with it)."""
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    for table in (
        "events",
        "breaker_transitions",
        "transfers",
        "orders",
        "plan_nodes",
        "run_rounds",
        "runs",
    ):
        op.drop_table(table)
