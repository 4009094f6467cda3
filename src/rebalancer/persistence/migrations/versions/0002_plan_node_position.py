"""Keep each plan node's position in its plan, so nodes list in plan order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Rows stored before this revision get position 0 and list by node id among themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add plan_nodes.position (NOT NULL; existing rows get 0)."""
    with op.batch_alter_table("plan_nodes") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("plan_nodes") as batch:
        batch.alter_column("position", server_default=None)


def downgrade() -> None:
    """Drop plan_nodes.position."""
    with op.batch_alter_table("plan_nodes") as batch:
        batch.drop_column("position")
