"""Small conversions between the engine's values and OKX's wire strings.

OKX sends every number as a string; instrument ids are ``BASE-QUOTE`` where the engine and ccxt
say ``BASE/QUOTE``; times are milliseconds since the epoch, also as strings.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.money import format_decimal
from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.errors import OkxRejection


def num(value: Decimal | None) -> str:
    """Render a decimal the way OKX does: a plain string, ``""`` for a missing value."""
    return "" if value is None else format_decimal(value.normalize())


def inst_id(symbol: str) -> str:
    """``BTC/USDT`` -> ``BTC-USDT``."""
    return symbol.replace("/", "-")


def symbol_of(instrument: str) -> str:
    """``BTC-USDT`` -> ``BTC/USDT``; anything else is not a spot instrument (51001)."""
    base, sep, quote = instrument.partition("-")
    if not sep or not base or not quote or "-" in quote:
        raise OkxRejection(errors.INSTRUMENT_UNKNOWN)
    return f"{base}/{quote}"


def ms(value: int) -> str:
    """A millisecond timestamp as OKX writes it."""
    return str(value)
