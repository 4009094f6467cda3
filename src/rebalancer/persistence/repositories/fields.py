"""Checks shared by the repositories: field changes, decimals and enum values, each named."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.money import to_decimal

R = TypeVar("R")
E = TypeVar("E", bound=enum.Enum)


def apply_changes(record: R, changes: Mapping[str, object], fixed: Iterable[str], what: str) -> R:
    """Return ``record`` with ``changes`` applied; unknown or fixed field names are refused."""
    fixed_names = set(fixed)
    names = {f.name for f in dataclasses.fields(record)}  # type: ignore[arg-type]
    wrong = sorted(name for name in changes if name not in names or name in fixed_names)
    if wrong:
        allowed = ", ".join(sorted(names - fixed_names))
        raise InvalidValue(f"{what}: cannot change {', '.join(wrong)} (changeable: {allowed})")
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]


def decimal_or_none(value: object, what: str) -> Decimal | None:
    """A Decimal (refusing floats and garbage, naming ``what``) or None."""
    return None if value is None else to_decimal(value, what=what)


def enum_value(kind: type[E], value: object, what: str) -> E:
    """``value`` as a member of ``kind``, or InvalidValue naming ``what`` and the choices."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(str(member.value) for member in kind)
        raise InvalidValue(f"{what}: expected one of {choices}, got {value!r}") from None


def positive_int(value: Any, what: str) -> int:
    """An int of at least 1 (rounds and attempts count from one)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue(f"{what}: expected a whole number of at least 1, got {value!r}")
    return value


def aware(value: object, what: str) -> datetime:
    """A timezone-aware datetime; naive ones are refused because their instant is unknown."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidValue(f"{what}: expected a timezone-aware datetime, got {value!r}")
    return value


def aware_or_none(value: object, what: str) -> datetime | None:
    """``aware`` that lets None through."""
    return None if value is None else aware(value, what)
