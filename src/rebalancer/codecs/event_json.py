"""A logged event back into its typed value: the log's ``kind`` names the class, the payload
holds its fields as plain JSON (``DomainEvent.payload``).

Used to hand events that another process wrote to the log (``rebalancer approve`` beside a
running daemon) to the daemon's live subscribers. A row whose kind is no event type, or whose
payload lacks a field its type requires, is not an event (None).
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from dataclasses import MISSING, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from types import NoneType, UnionType
from typing import Any

from rebalancer.domain.events import EVENT_TYPES, DomainEvent

_ENVELOPE = ("at", "run_id")


class _NotThisType(ValueError):
    """A payload value does not fit its field."""


def event_from_log(
    kind: str, payload: Mapping[str, object], at: datetime, run_id: str | None
) -> DomainEvent | None:
    """The typed event a log row holds (None when it holds none)."""
    event_type = EVENT_TYPES.get(kind)
    if event_type is None:
        return None
    hints = typing.get_type_hints(event_type)
    values: dict[str, Any] = {"at": at, "run_id": run_id}
    for item in fields(event_type):
        if item.name in _ENVELOPE:
            continue
        if item.name not in payload:
            if item.default is MISSING and item.default_factory is MISSING:
                return None
            continue
        try:
            values[item.name] = _typed(payload[item.name], hints[item.name])
        except (_NotThisType, InvalidOperation, ValueError, TypeError):
            return None
    return event_type(**values)


def _typed(value: object, hint: Any) -> Any:  # noqa: PLR0911 - one branch per JSON shape
    origin = typing.get_origin(hint)
    if origin in (UnionType, typing.Union):
        options = [a for a in typing.get_args(hint) if a is not NoneType]
        if value is None and len(options) < len(typing.get_args(hint)):
            return None
        return _typed(value, options[0])
    if origin is tuple:
        (member, *_) = typing.get_args(hint)
        return tuple(_typed(v, member) for v in _list(value))
    if origin in (Mapping, dict):
        _, member = typing.get_args(hint)
        if not isinstance(value, dict):
            raise _NotThisType(value)
        return {str(k): _typed(v, member) for k, v in value.items()}
    if hint is Decimal:
        return Decimal(str(value))
    if hint is datetime:
        return datetime.fromisoformat(str(value))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if hint in (int, bool, str) and isinstance(value, hint):
        return value
    raise _NotThisType(value)


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise _NotThisType(value)
    return value
