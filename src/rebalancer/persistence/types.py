"""Column types that keep money exact and time in UTC, on SQLite and PostgreSQL alike.

``DecimalText`` stores a Decimal as its plain decimal text ("0.00012300"), so what is read back
equals what was written, digit for digit (trailing zeros included). Floats are refused: their
binary value is not the decimal anyone meant. ``UtcDateTime`` refuses naive datetimes and always
returns timezone-aware UTC, whatever the database does with time zones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Text
from sqlalchemy.types import TypeDecorator

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.money import to_decimal


def decimal_to_text(value: Decimal) -> str:
    """Render a finite Decimal as plain text without an exponent, keeping its trailing zeros."""
    if not value.is_finite():
        raise InvalidValue(f"cannot store {value!r}: only finite decimals")
    return format(value, "f")


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored as TEXT; binding a float raises ``InvalidValue``."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Turn a Decimal (or int, or decimal string) into its exact text."""
        if value is None:
            return None
        return decimal_to_text(to_decimal(value, what="stored decimal"))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Parse the stored text back into the same Decimal."""
        if value is None:
            return None
        return Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, normalised to UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """Convert to UTC; SQLite has no time zones, so store it there without tzinfo."""
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise InvalidValue(
                f"stored timestamp: expected a timezone-aware datetime, got {value!r}"
            )
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
