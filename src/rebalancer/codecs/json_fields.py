"""Strict reading of JSON documents into typed values, naming the JSON path of every problem.

The public formats (docs/formats.md) carry decimals as JSON strings, so a JSON number where a
decimal belongs is refused rather than guessed at. Unknown keys are ignored: the documents allow
writers to add fields, and an old reader must still accept a newer document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NoReturn

from rebalancer.domain.errors import InvalidValue, RebalancerError
from rebalancer.domain.money import format_decimal, to_decimal

ErrorFactory = Callable[[str, str], RebalancerError]


def child(path: str, key: str | int) -> str:
    """The path of ``key`` inside ``path`` (``venues.binance``, ``routes[0]``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def describe(value: object) -> str:
    """How a JSON value reads in an error message."""
    if isinstance(value, bool):
        return f"the JSON boolean {str(value).lower()}"
    if isinstance(value, (int, Decimal, float)):
        return f"the JSON number {value}"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, Mapping):
        return "an object"
    return "an array"


class JsonReader:
    """Typed accessors that raise ``error(path, message)`` on the first value that does not fit."""

    def __init__(self, error: ErrorFactory, document: str) -> None:
        self._error = error
        self._document = document

    def fail(self, path: str, message: str) -> NoReturn:
        """Raise the reader's error for ``path``."""
        raise self._error(path or self._document, message)

    def load(self, source: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
        """Parse JSON text (or accept an already parsed object) and return the top object."""
        if isinstance(source, Mapping):
            return source
        try:
            parsed = json.loads(
                source,
                parse_float=Decimal,
                parse_constant=self._refuse_constant,
                object_pairs_hook=self._unique_keys,
            )
        except json.JSONDecodeError as exc:
            self.fail("", f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}")
        except UnicodeDecodeError as exc:
            self.fail("", f"not UTF-8 text: {exc.reason}")
        return self.obj(parsed, "")

    def obj(self, value: object, path: str) -> Mapping[str, Any]:
        """``value`` as a JSON object."""
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object, got {describe(value)}")
        return value

    def array(self, value: object, path: str) -> Sequence[Any]:
        """``value`` as a JSON array."""
        if not isinstance(value, list | tuple):
            self.fail(path, f"expected an array, got {describe(value)}")
        return value

    def member(self, parent: Mapping[str, Any], key: str, path: str) -> Any:
        """The required member ``key`` of an object at ``path``."""
        if key not in parent:
            self.fail(child(path, key), "missing")
        return parent[key]

    def text(self, value: object, path: str) -> str:
        """``value`` as a non-empty string without surrounding whitespace."""
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {describe(value)}")
        if not value or value != value.strip():
            self.fail(path, f"expected a non-empty name without spaces around it, got {value!r}")
        return value

    def string(self, value: object, path: str) -> str:
        """``value`` as any string, empty allowed (free text such as a reason)."""
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {describe(value)}")
        return value

    def integer(self, value: object, path: str, *, minimum: int | None = None) -> int:
        """``value`` as a JSON integer, at least ``minimum``."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected an integer, got {describe(value)}")
        if minimum is not None and value < minimum:
            self.fail(path, f"must be at least {minimum}, got {value}")
        return value

    def decimal(
        self, value: object, path: str, *, minimum: Decimal | None = None, positive: bool = False
    ) -> Decimal:
        """``value`` as a decimal written as a JSON string; optionally bounded below."""
        if not isinstance(value, str):
            self.fail(path, f'expected a decimal string such as "0.015", got {describe(value)}')
        try:
            number = to_decimal(value, what=path)
        except InvalidValue:
            self.fail(path, f"expected a decimal number, got {value!r}")
        if positive and number <= 0:
            self.fail(path, f"must be positive, got {format_decimal(number)}")
        if minimum is not None and number < minimum:
            self.fail(
                path, f"must be at least {format_decimal(minimum)}, got {format_decimal(number)}"
            )
        return number

    def timestamp(self, value: object, path: str) -> datetime:
        """``value`` as an ISO 8601 instant with a timezone, returned in UTC."""
        text = self.text(value, path)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(path, f"expected an ISO 8601 time such as 2024-03-01T00:00:00Z, got {text!r}")
        if moment.tzinfo is None:
            self.fail(path, f"expected a time with a timezone (e.g. a trailing Z), got {text!r}")
        return moment.astimezone(UTC)

    def _refuse_constant(self, name: str) -> NoReturn:
        self.fail("", f"{name} is not allowed in JSON")

    def _unique_keys(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                self.fail("", f"duplicate key {key!r}")
            result[key] = value
        return result


def format_timestamp(moment: datetime) -> str:
    """An instant as ISO 8601 in UTC with a trailing Z (microseconds only when present)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
