"""Market rules for simulated venues, read from an exchange's own rules document.

The simulator trades under the same rules as the real exchange. A Binance venue takes the tick,
lot step, minimum and maximum quantity and minimum notional of each symbol from a recorded
``GET /api/v3/exchangeInfo`` response; an OKX venue takes ``tickSz``, ``lotSz``, ``minSz`` and
``maxLmtSz`` from a ``GET /api/v5/public/instruments?instType=SPOT`` response. OKX has no
minimum notional, so its markets get none. Reading files is the caller's job; this module turns
the parsed JSON into domain ``Market`` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from rebalancer.domain.market import Market
from rebalancer.domain.money import to_decimal
from rebalancer.exchange_sim.engine.errors import Rejected, RejectReason

DEFAULT_MAKER_FEE = Decimal("0.001")
DEFAULT_TAKER_FEE = Decimal("0.001")


def markets_from_exchange_info(
    info: Mapping[str, Any],
    symbols: Iterable[str],
    *,
    maker_fee: Decimal = DEFAULT_MAKER_FEE,
    taker_fee: Decimal = DEFAULT_TAKER_FEE,
) -> list[Market]:
    """Return a ``Market`` for each unified symbol ("BTC/USDT") from an exchangeInfo document.

    Raises ``Rejected(UNKNOWN_SYMBOL)`` naming the symbol when the document does not list it.
    """
    by_pair = {
        (entry["baseAsset"], entry["quoteAsset"]): entry for entry in info.get("symbols", [])
    }
    markets = []
    for symbol in symbols:
        base, _, quote = symbol.partition("/")
        entry = by_pair.get((base, quote))
        if entry is None:
            raise Rejected(RejectReason.UNKNOWN_SYMBOL, f"{symbol}: not in the exchangeInfo file")
        markets.append(market_from_symbol_entry(entry, maker_fee=maker_fee, taker_fee=taker_fee))
    return markets


def market_from_symbol_entry(
    entry: Mapping[str, Any], *, maker_fee: Decimal, taker_fee: Decimal
) -> Market:
    """Build a ``Market`` from one ``symbols[]`` entry of exchangeInfo (its filters)."""
    filters = {f["filterType"]: f for f in entry.get("filters", [])}
    symbol = f"{entry['baseAsset']}/{entry['quoteAsset']}"
    price_filter = filters.get("PRICE_FILTER", {})
    lot = filters.get("LOT_SIZE", {})
    notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
    max_qty = _dec(lot, "maxQty", symbol)
    return Market(
        symbol=symbol,
        base=entry["baseAsset"],
        quote=entry["quoteAsset"],
        amount_step=_dec(lot, "stepSize", symbol),
        min_amount=_dec(lot, "minQty", symbol),
        min_notional=_dec(notional, "minNotional", symbol),
        price_tick=_dec(price_filter, "tickSize", symbol),
        taker_fee=taker_fee,
        maker_fee=maker_fee,
        max_amount=max_qty if max_qty > 0 else None,
    )


def _dec(table: Mapping[str, Any], key: str, symbol: str) -> Decimal:
    return to_decimal(str(table.get(key, "0")), what=f"{symbol}.{key}").normalize()


def markets_from_okx_instruments(
    instruments: Iterable[Mapping[str, Any]],
    symbols: Iterable[str],
    *,
    maker_fee: Decimal = DEFAULT_MAKER_FEE,
    taker_fee: Decimal = DEFAULT_TAKER_FEE,
) -> list[Market]:
    """Return a ``Market`` for each unified symbol from OKX's spot instrument entries.

    Raises ``Rejected(UNKNOWN_SYMBOL)`` naming the symbol when no entry lists it.
    """
    by_id = {entry.get("instId"): entry for entry in instruments}
    markets = []
    for symbol in symbols:
        entry = by_id.get(symbol.replace("/", "-"))
        if entry is None:
            raise Rejected(RejectReason.UNKNOWN_SYMBOL, f"{symbol}: not in the OKX instruments")
        markets.append(market_from_okx_instrument(entry, maker_fee=maker_fee, taker_fee=taker_fee))
    return markets


def market_from_okx_instrument(
    entry: Mapping[str, Any], *, maker_fee: Decimal, taker_fee: Decimal
) -> Market:
    """Build a ``Market`` from one OKX spot instrument (``minSz``, ``lotSz``, ``tickSz``)."""
    symbol = f"{entry['baseCcy']}/{entry['quoteCcy']}"
    max_size = _dec({"maxLmtSz": entry.get("maxLmtSz") or "0"}, "maxLmtSz", symbol)
    return Market(
        symbol=symbol,
        base=str(entry["baseCcy"]),
        quote=str(entry["quoteCcy"]),
        amount_step=_dec(entry, "lotSz", symbol),
        min_amount=_dec(entry, "minSz", symbol),
        min_notional=Decimal(0),
        price_tick=_dec(entry, "tickSz", symbol),
        taker_fee=taker_fee,
        maker_fee=maker_fee,
        max_amount=max_size if max_size > 0 else None,
    )
