"""Market rules for simulated venues, read from a Binance ``exchangeInfo`` document.

The simulator trades under the same rules as the real exchange: the tick, lot step, minimum
and maximum quantity and minimum notional of each symbol come from a recorded ``exchangeInfo``
response (a saved ``GET /api/v3/exchangeInfo`` reply). Reading the file is the caller's job;
this module turns the parsed JSON into domain ``Market`` values.
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
