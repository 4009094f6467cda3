"""Decimal construction and amounts that carry their asset.

Money is never a float: every decimal is built from a string, an int or another Decimal, so
``0.1`` means exactly one tenth. Adding amounts of different assets fails at the line that did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from rebalancer.domain.errors import AssetMismatch, InvalidValue

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


def to_decimal(value: object, *, what: str = "value") -> Decimal:
    """Return ``value`` as a finite Decimal; refuse floats, NaN, infinities and garbage.

    Floats are refused because their binary value is not the decimal the person wrote.
    """
    if isinstance(value, (bool, float)):
        raise_invalid(what, value, "a decimal string such as '0.015', not a float")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise_invalid(what, value, "a decimal number")
    else:
        raise_invalid(what, value, "a decimal string")
    if not result.is_finite():
        raise_invalid(what, value, "a finite decimal number")
    return result


def raise_invalid(what: str, value: object, expected: str) -> NoReturn:
    """Raise InvalidValue naming the value and what was expected."""
    raise InvalidValue(f"{what}: expected {expected}, got {value!r}")


def format_decimal(value: Decimal) -> str:
    """Render a decimal as a plain string without exponent ('1E+2' becomes '100')."""
    if value == 0:
        return "0"
    return format(value, "f")


@dataclass(frozen=True, slots=True, order=True)
class Amount:
    """A quantity of one asset. Arithmetic is only allowed within the same asset."""

    value: Decimal
    asset: str

    def _same(self, other: Amount) -> None:
        if self.asset != other.asset:
            raise AssetMismatch(f"cannot combine {self.asset} with {other.asset}")

    def __add__(self, other: Amount) -> Amount:
        self._same(other)
        return Amount(self.value + other.value, self.asset)

    def __sub__(self, other: Amount) -> Amount:
        self._same(other)
        return Amount(self.value - other.value, self.asset)

    def __neg__(self) -> Amount:
        return Amount(-self.value, self.asset)

    def scaled(self, factor: Decimal) -> Amount:
        """Return this amount multiplied by a dimensionless factor."""
        return Amount(self.value * factor, self.asset)

    def __str__(self) -> str:
        return f"{format_decimal(self.value)} {self.asset}"


@dataclass(frozen=True, slots=True)
class Price:
    """The price of one ``base`` in ``quote``."""

    value: Decimal
    base: str
    quote: str

    def convert(self, amount: Amount) -> Amount:
        """Value an amount of the base asset in the quote asset."""
        if amount.asset != self.base:
            raise AssetMismatch(f"price of {self.base} cannot value {amount.asset}")
        return Amount(amount.value * self.value, self.quote)
