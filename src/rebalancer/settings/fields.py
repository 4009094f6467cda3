"""The building blocks every config model shares: a strict frozen base, typed values, rule errors.

Decimals arrive either as strings ("40") or as TOML numbers, which the loader parses straight
into ``Decimal`` (never through a float), so both spellings mean exactly the same value.
Names of portfolios and venues are lower case so that an environment variable such as
``REBALANCER_VENUES__BINANCE__SECRET`` (matched case-insensitively) can address them; asset
symbols are upper case, as ccxt writes them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.money import to_decimal

RULES_ERROR = "config_rules"

_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_ASSET = re.compile(r"[A-Z0-9][A-Z0-9._-]*")
_EXCHANGE_ID = re.compile(r"[a-z][a-z0-9]*")


class ConfigModel(BaseModel):
    """Base of every config table: frozen, and an unknown key is an error, never ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def rules_error(violations: Sequence[tuple[str, str]]) -> PydanticCustomError:
    """An error carrying one or more (relative key path, message) pairs.

    Validators raise it so that a single check can report several precise locations; the
    loader turns each pair into its own Problem (``rebalancer.settings.problems``).
    """
    summary = "; ".join(f"{at}: {message}" if at else message for at, message in violations)
    return PydanticCustomError(RULES_ERROR, "{summary}", {"summary": summary, "rules": violations})


def _decimal(value: object) -> object:
    if isinstance(value, float):
        raise PydanticCustomError(
            "decimal_float", 'write the number as a string such as "0.1", not a float'
        )
    if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool):
        try:
            return to_decimal(value)
        except InvalidValue:
            raise PydanticCustomError(
                "decimal_parsing", 'expected a decimal number such as "5" or "0.25"'
            ) from None
    return value


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise PydanticCustomError(
            "name_format",
            "expected a lower-case name of letters, digits and single underscores "
            "(environment variables address it in lower case), got '{value}'",
            {"value": value},
        )
    return value


def _asset(value: str) -> str:
    if not _ASSET.fullmatch(value):
        raise PydanticCustomError(
            "asset_format",
            "expected an upper-case asset symbol as ccxt writes it (e.g. BTC), got '{value}'",
            {"value": value},
        )
    return value


def _exchange_id(value: str) -> str:
    if not _EXCHANGE_ID.fullmatch(value):
        raise PydanticCustomError(
            "exchange_format",
            "expected a ccxt exchange id such as 'binance' or 'okx', got '{value}'",
            {"value": value},
        )
    return value


def _day_text(value: object) -> object:
    """Let ``day = 1`` mean the same as ``day = "1"``."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    return value


_BASE_DIR: ContextVar[Path | None] = ContextVar("config_base_dir", default=None)


@contextmanager
def paths_relative_to(base_dir: Path) -> Iterator[None]:
    """Resolve relative paths validated inside this block against ``base_dir``.

    A context variable rather than pydantic's validation context, because pydantic-settings'
    ``BaseSettings.__init__`` runs on every validation of the root and drops that context.
    """
    token = _BASE_DIR.set(base_dir)
    try:
        yield
    finally:
        _BASE_DIR.reset(token)


def _relative_to_config(value: Path) -> Path:
    path = value.expanduser()
    base = _BASE_DIR.get()
    if not path.is_absolute() and base is not None:
        path = Path(os.path.normpath(base / path))
    return path


Dec = Annotated[Decimal, BeforeValidator(_decimal)]
"""A decimal written as a string or a TOML number."""

Percent = Annotated[Dec, Field(ge=0, le=100)]
"""A percent in [0, 100]: "40" is 40 %."""

BandPercent = Annotated[Dec, Field(gt=0, le=100)]
"""A band width in (0, 100]."""

NonNegative = Annotated[Dec, Field(ge=0)]
"""A decimal amount that may be zero."""

Positive = Annotated[Dec, Field(gt=0)]
"""A decimal amount greater than zero."""

Seconds = Annotated[float, Field(gt=0)]
"""A duration in seconds greater than zero (durations are not money: float is fine)."""

Name = Annotated[str, AfterValidator(_name)]
"""A portfolio or venue name."""

Asset = Annotated[str, AfterValidator(_asset)]
"""An asset symbol such as BTC."""

ExchangeId = Annotated[str, AfterValidator(_exchange_id)]
"""A ccxt exchange id such as binance."""

DayText = Annotated[str, BeforeValidator(_day_text)]
"""A calendar day as text; numbers are accepted and turned into text."""

ConfigPath = Annotated[Path, AfterValidator(_relative_to_config)]
"""A filesystem path; relative paths are relative to the config file's directory."""
