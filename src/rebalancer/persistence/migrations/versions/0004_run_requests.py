"""Run requests, per-portfolio state (pause, latest snapshot), invested deposits, schedules.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

- ``runs.venue`` and ``runs.partial``: where a withdraw raises its cash, and whether it may
  raise less than asked. Existing runs get NULL and false.
- ``run_requests``: a run asked of the running daemon (its row in ``runs`` holds what was
  asked); ``key`` keeps a request the daemon makes itself (a deposit, a schedule date) unique.
- ``portfolio_states``: a portfolio's pause, the latest snapshot the daemon took of it, and
  since when its deposits are watched.
- ``inflows``: deposits a run was started to invest, each only once.
- ``schedule_entries``: when a recurring run was first seen (it fires from then on).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(64)
NAME = sa.String(64)
KEY = sa.String(200)


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Add the run columns and the four tables."""
    # Plain ADD COLUMN: a batch copy of ``runs`` would trip the foreign keys pointing at it.
    # ``partial`` keeps its server default (false), which old rows need on SQLite.
    op.add_column("runs", sa.Column("venue", NAME, nullable=True))
    op.add_column(
        "runs", sa.Column("partial", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_table(
        "run_requests",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("key", KEY, nullable=True),
        _time("created_at"),
        _time("taken_at", nullable=True),
        _time("cancelled_at", nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_requests_run_id_runs"),
        sa.PrimaryKeyConstraint("run_id", name="pk_run_requests"),
        sa.UniqueConstraint("key", name="uq_run_requests_key"),
    )
    op.create_table(
        "portfolio_states",
        sa.Column("portfolio", NAME, nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_by", sa.Text(), nullable=True),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        _time("paused_at", nullable=True),
        sa.Column("snapshot_json", sa.Text(), nullable=True),
        _time("snapshot_at", nullable=True),
        _time("deposits_since", nullable=True),
        sa.PrimaryKeyConstraint("portfolio", name="pk_portfolio_states"),
    )
    op.create_table(
        "inflows",
        sa.Column("venue", NAME, nullable=False),
        sa.Column("deposit_id", ID, nullable=False),
        sa.Column("portfolio", NAME, nullable=False),
        sa.Column("asset", NAME, nullable=False),
        sa.Column("amount", sa.Text(), nullable=False),
        sa.Column("run_id", ID, nullable=False),
        _time("at"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_inflows_run_id_runs"),
        sa.PrimaryKeyConstraint("venue", "deposit_id", name="pk_inflows"),
    )
    op.create_index("ix_inflows_run_id", "inflows", ["run_id"])
    op.create_table(
        "schedule_entries",
        sa.Column("portfolio", NAME, nullable=False),
        sa.Column("entry_key", KEY, nullable=False),
        _time("first_seen_at"),
        sa.PrimaryKeyConstraint("portfolio", "entry_key", name="pk_schedule_entries"),
    )


def downgrade() -> None:
    """Drop the four tables and the run columns."""
    op.drop_table("schedule_entries")
    op.drop_index("ix_inflows_run_id", table_name="inflows")
    op.drop_table("inflows")
    op.drop_table("portfolio_states")
    op.drop_table("run_requests")
    op.drop_column("runs", "partial")
    op.drop_column("runs", "venue")
