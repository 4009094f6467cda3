"""Turn pydantic's validation errors into Problems a trader can act on.

Each problem names the dotted key path (``portfolios.core.weights``) and what was expected. An
unknown key lists the closest known one. The offending value is quoted only where it cannot be
a secret: nothing under a credential-like key is ever echoed.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from rebalancer.domain.errors import Problem
from rebalancer.domain.money import format_decimal
from rebalancer.settings.fields import RULES_ERROR

SECRET_KEYS = frozenset(
    {"api_key", "apikey", "secret", "password", "passphrase", "token", "private_key", "uid"}
    | {"database_url", "webhook_url", "bot_token"}
)
_SKIPPED_LOCATION_PARTS = frozenset({"[key]"})
# pydantic's type errors, in the words of a TOML file
_EXPECTED = {
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "string_type": "expected a string",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "path_type": "expected a path (a string)",
    "decimal_type": 'expected a decimal number such as "5" or "0.25"',
}

Location = tuple[str | int, ...]
# keys that moved, with where to write them now
_MOVED = {
    "band_margin_percent": (
        "moved: write band_edge_margin_percent in [portfolios.NAME] (percent of the band's "
        "half-width a band_edge run lands inside the edge)"
    ),
}


def is_secret_location(location: Location) -> bool:
    """True when a value at ``location`` may be a credential and must never be shown."""
    return any(isinstance(part, str) and part.lower() in SECRET_KEYS for part in location)


def secret_paths(tree: Mapping[str, Any], prefix: Location = ()) -> Iterator[str]:
    """The dotted paths of every non-empty secret value in ``tree`` (a parsed file)."""
    for key, value in tree.items():
        location = (*prefix, key)
        if isinstance(value, Mapping):
            yield from secret_paths(value, location)
        elif value not in (None, "") and is_secret_location(location):
            yield dotted(location)


def dotted(location: Location) -> str:
    """Render a location as a dotted key path; list positions as ``[i]``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def validation_problems(
    error: ValidationError, root: type[BaseModel]
) -> Iterator[tuple[Location, str]]:
    """Every (location, message) in ``error``; rule errors expand to one entry per rule."""
    for detail in error.errors(include_url=False):
        location = tuple(p for p in detail["loc"] if p not in _SKIPPED_LOCATION_PARTS)
        if detail["type"] == RULES_ERROR:
            for at, message in detail.get("ctx", {})["rules"]:
                parts = (int(p) if p.isdigit() else p for p in at.split(".") if p)
                yield location + tuple(parts), message  # "2.venue": list position 2
        else:
            yield location, _message(detail, location, root)


def _message(detail: ErrorDetails, location: Location, root: type[BaseModel]) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return _unknown_key(location, root)
    if kind == "too_short":
        least = detail.get("ctx", {}).get("min_length", 1)
        return f"needs at least {least} {'entry' if least == 1 else 'entries'}"
    text = _EXPECTED.get(kind) or detail["msg"].removeprefix("Value error, ")
    text = text.replace("Input should be ", "expected ", 1)
    shown = _shown(detail.get("input"))
    if shown is not None and ", got " not in text and not is_secret_location(location):
        text = f"{text}, got {shown}"
    return text


def _shown(value: object) -> str | None:
    """A short rendering of a scalar input, or None for tables, lists and long text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and len(value) <= 60:
        return f'"{value}"'
    return None


def _unknown_key(location: Location, root: type[BaseModel]) -> str:
    known = _known_keys(location[:-1], root)
    key = str(location[-1])
    if key in _MOVED:
        return f"unknown key ({_MOVED[key]})"
    if not known:
        return "unknown key"
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]}?" if close else f"expected one of: {', '.join(known)}"
    return f"unknown key ({hint})"


def _known_keys(location: Location, root: type[BaseModel]) -> list[str]:
    """The keys the table at ``location`` accepts (by their names in the file)."""
    node: Any = root
    for part in location:
        node = _descend(node, part)
        if node is None:
            return []
    model = _model_in(node)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _descend(annotation: Any, part: str | int) -> Any:
    """The type found one step below ``annotation`` at key or index ``part``."""
    model = _model_in(annotation)
    if model is not None:
        for name, info in model.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType, typing.Annotated) and args:
        return _descend(args[0], part)
    if isinstance(origin, type) and issubclass(origin, Mapping) and len(args) == 2:
        return args[1]
    return args[0] if origin is tuple and args else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class ``annotation`` is, or is an optional of."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (Union, types.UnionType) and len(args) == 1:
        return _model_in(args[0])
    return None


def as_problem(location: Location, message: str, source: str) -> Problem:
    """One Problem with its dotted location."""
    return Problem(dotted(location), message, source)
