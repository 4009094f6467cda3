"""JSON text for payload columns: Decimals as strings (docs/formats.md), keys sorted, compact."""

from __future__ import annotations

import enum
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from rebalancer.domain.errors import InvalidValue
from rebalancer.persistence.types import decimal_to_text


def _encode(value: object) -> object:
    if isinstance(value, Decimal):
        return decimal_to_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def dump(value: object, what: str) -> str:
    """Serialise ``value``; floats are refused like everywhere money may hide."""
    _refuse_floats(value, what)
    try:
        return json.dumps(value, default=_encode, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise InvalidValue(f"{what}: cannot be stored as JSON ({error})") from None


def load(text: str, what: str) -> Any:
    """Parse JSON text, naming ``what`` when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidValue(f"{what}: not valid JSON ({error})") from None


def _refuse_floats(value: object, what: str) -> None:
    if isinstance(value, float):
        raise InvalidValue(f"{what}: floats are not stored; use a decimal string or Decimal")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_floats(item, f"{what}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _refuse_floats(item, f"{what}[{index}]")
