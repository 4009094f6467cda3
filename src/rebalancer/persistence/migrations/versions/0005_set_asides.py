"""Cash set aside for a withdrawal.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

- ``set_asides``: the cash a withdraw run raised, held out of the portfolio until it leaves
  the venue, a person releases it, or it expires. ``seen_balance`` and ``seen_at`` are the
  venue's balance last seen with no run of ours since (a fall below it is the withdrawal).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(64)
NAME = sa.String(64)
STATE = sa.String(32)


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Add the ``set_asides`` table."""
    op.create_table(
        "set_asides",
        sa.Column("id", ID, nullable=False),
        sa.Column("portfolio", NAME, nullable=False),
        sa.Column("venue", NAME, nullable=False),
        sa.Column("asset", NAME, nullable=False),
        sa.Column("amount", sa.Text(), nullable=False),
        sa.Column("run_id", ID, nullable=True),
        _time("created_at"),
        _time("expires_at", nullable=True),
        _time("warned_at", nullable=True),
        sa.Column("seen_balance", sa.Text(), nullable=False),
        _time("seen_at"),
        _time("released_at", nullable=True),
        sa.Column("released_by", sa.Text(), nullable=True),
        sa.Column("release_cause", STATE, nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_set_asides_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_set_asides"),
    )
    op.create_index("ix_set_asides_portfolio", "set_asides", ["portfolio"])


def downgrade() -> None:
    """Drop the ``set_asides`` table."""
    op.drop_index("ix_set_asides_portfolio", table_name="set_asides")
    op.drop_table("set_asides")
