"""Name logged events by their typed event class, and give old rows the typed payload.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

The log used hand-written names (``triggered``, ``UPDATED``, ``approved``, ``breaker`` ...);
events are now typed values logged under their class name (``RunTriggered``, ``RoundPlanned``,
``RunApproved``, ``BreakerTransition`` ...). Old rows are renamed, and their payloads take the
typed field names: ``from``/``to`` become ``previous``/``state``, and every row gets the
``portfolio`` of its run (null for daemon-wide events). The append-only guard is lifted only
for the length of this rewrite, inside the migration's transaction. Rows of any other name are
left as they were. Downgrade restores the old names and fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Payload = dict[str, Any]

NEW_NAMES = {
    "triggered": "RunTriggered",
    "awaiting_approval": "RunAwaitingApproval",
    "approved": "RunApproved",
    "rejected": "RunRejected",
    "UPDATED": "RoundPlanned",
    "breaker": "BreakerTransition",
    "resume": "BreakerResumed",
}
OLD_NAMES = {new: old for old, new in NEW_NAMES.items()}
RENAMED_FIELDS = {"breaker": {"from": "previous", "to": "state"}, "resume": {"from": "previous"}}
RUN_FIELDS = {"triggered": ("run_type", "amount")}  # typed fields older rows take from the run

_SQLITE_GUARDS = ("events_append_only_update", "events_append_only_delete")


def _typed(old: str, payload: Payload, run: sa.Row[Any] | None) -> Payload:
    renames = RENAMED_FIELDS.get(old, {})
    typed = {renames.get(key, key): value for key, value in payload.items()}
    typed.setdefault("portfolio", run.portfolio if run is not None else None)
    for name in RUN_FIELDS.get(old, ()):
        if run is not None:
            typed.setdefault(name, getattr(run, name))
    return typed


def _untyped(old: str, payload: Payload) -> Payload:
    renames = {new: key for key, new in RENAMED_FIELDS.get(old, {}).items()}
    added = {"portfolio", *RUN_FIELDS.get(old, ())}
    return {renames.get(key, key): value for key, value in payload.items() if key not in added}


def _rewrite(
    names: dict[str, str], change: Callable[[str, Payload, sa.Row[Any] | None], Payload]
) -> None:
    """Rename every row whose kind is in ``names`` and rewrite its payload with ``change``."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT e.id, e.kind, e.payload, r.portfolio, r.run_type, r.amount "
            "FROM events e LEFT JOIN runs r ON r.id = e.run_id "
            "WHERE e.kind IN :kinds"
        ).bindparams(sa.bindparam("kinds", expanding=True)),
        {"kinds": sorted(names)},
    ).all()
    if not rows:
        return
    _lift_guard(bind)
    for row in rows:
        run = row if row.portfolio is not None else None
        payload = change(row.kind, json.loads(row.payload), run)
        bind.execute(
            sa.text("UPDATE events SET kind = :kind, payload = :payload WHERE id = :id"),
            {
                "id": row.id,
                "kind": names[row.kind],
                "payload": json.dumps(payload, sort_keys=True, separators=(",", ":")),
            },
        )
    _restore_guard(bind)


def _lift_guard(bind: sa.Connection) -> None:
    if bind.dialect.name == "sqlite":
        for trigger in _SQLITE_GUARDS:
            bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}"))
    elif bind.dialect.name == "postgresql":
        bind.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_append_only"))


def _restore_guard(bind: sa.Connection) -> None:
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            bind.execute(
                sa.text(
                    f"CREATE TRIGGER events_append_only_{verb.lower()} BEFORE {verb} ON events "
                    "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
                )
            )
    elif bind.dialect.name == "postgresql":
        bind.execute(sa.text("ALTER TABLE events ENABLE TRIGGER events_append_only"))


def upgrade() -> None:
    """Old event names and payloads become the typed ones."""
    _rewrite(NEW_NAMES, _typed)


def downgrade() -> None:
    """Typed names and payloads go back to the old ones (for the kinds the old code wrote)."""

    def back(new: str, payload: Payload, _run: sa.Row[Any] | None) -> Payload:
        return _untyped(OLD_NAMES[new], payload)

    _rewrite(OLD_NAMES, back)
