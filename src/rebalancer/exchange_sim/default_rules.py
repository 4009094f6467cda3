"""Market rules the simulator knows without a rules file, per protocol.

So that paper mode and the example configs run on a machine with nothing but this package, the
simulator carries the trading rules of common spot markets, each venue those of its own
exchange:

- Binance venues: Binance's published rules (lot step, minimum amount, minimum notional, price
  tick) as returned by ``GET /api/v3/exchangeInfo`` on 2024-09-08 (LOT_SIZE, NOTIONAL and
  PRICE_FILTER).
- OKX venues: OKX's spot instruments as ``GET /api/v5/public/instruments?instType=SPOT``
  returns them (``tickSz``, ``lotSz``, ``minSz``, ``maxLmtSz``). OKX publishes no minimum
  notional: an order at or above ``minSz`` and on ``lotSz`` is accepted whatever it is worth.
  The entries are those recorded in ccxt's repository (``ts/src/test/static/markets/okx.json``,
  each market's ``info``); SOL-USDT is from another public recording of the same endpoint.

Any other market needs ``rules`` in the simulator config, or a rules file (``exchange_info`` for
Binance venues, ``okx_instruments`` for OKX venues).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class DefaultRules(NamedTuple):
    """One market's rules: steps and minimums as exchange strings."""

    amount_step: Decimal
    min_amount: Decimal
    min_notional: Decimal
    price_tick: Decimal
    max_amount: Decimal | None = None


def _rules(step: str, min_notional: str, tick: str) -> DefaultRules:
    # Binance's minimum quantity equals the lot step on every market listed here.
    return DefaultRules(Decimal(step), Decimal(step), Decimal(min_notional), Decimal(tick))


BUILT_IN_RULES: dict[str, DefaultRules] = {
    "ADA/USDT": _rules("0.1", "5", "0.0001"),
    "ATOM/USDT": _rules("0.01", "5", "0.001"),
    "AVAX/USDT": _rules("0.01", "5", "0.01"),
    "BCH/USDT": _rules("0.001", "5", "0.1"),
    "BNB/USDT": _rules("0.001", "5", "0.1"),
    "BTC/USDT": _rules("0.00001", "5", "0.01"),
    "DOGE/USDT": _rules("1", "1", "0.00001"),
    "DOT/USDT": _rules("0.01", "5", "0.001"),
    "ETC/USDT": _rules("0.01", "5", "0.01"),
    "ETH/BTC": _rules("0.0001", "0.0001", "0.00001"),
    "ETH/USDT": _rules("0.0001", "5", "0.01"),
    "LINK/USDT": _rules("0.01", "5", "0.01"),
    "LTC/USDT": _rules("0.001", "5", "0.01"),
    "MATIC/USDT": _rules("0.1", "5", "0.0001"),
    "PAXG/USDT": _rules("0.0001", "5", "1"),
    "SHIB/USDT": _rules("1", "1", "0.00000001"),
    "SOL/USDT": _rules("0.001", "5", "0.01"),
    "TRX/USDT": _rules("0.1", "5", "0.0001"),
    "UNI/USDT": _rules("0.01", "5", "0.001"),
    "USDC/USDT": _rules("1", "5", "0.0001"),
    "XLM/USDT": _rules("1", "5", "0.0001"),
    "XRP/USDT": _rules("1", "5", "0.0001"),
}


def _instrument(inst_id: str, tick: str, lot: str, minimum: str, max_limit: str) -> dict[str, str]:
    base, _, quote = inst_id.partition("-")
    return {
        "instType": "SPOT",
        "instId": inst_id,
        "baseCcy": base,
        "quoteCcy": quote,
        "tickSz": tick,
        "lotSz": lot,
        "minSz": minimum,
        "maxLmtSz": max_limit,
        "state": "live",
    }


# OKX spot instruments, in OKX's own format (the fields of public/instruments the rules use)
OKX_BUILT_IN_INSTRUMENTS: tuple[dict[str, str], ...] = (
    _instrument("ADA-USDT", "0.0001", "0.0001", "10", "99999999999999"),
    _instrument("BTC-USDT", "0.1", "0.00000001", "0.00001", "9999999999"),
    _instrument("DOGE-USDT", "0.00001", "0.000001", "10", "999999999999"),
    _instrument("ETH-USDT", "0.01", "0.000001", "0.0001", "999999999999"),
    _instrument("LTC-USDT", "0.01", "0.000001", "0.01", "999999999999"),
    _instrument("SOL-USDT", "0.01", "0.000001", "0.001", "999999999999"),
    _instrument("TRX-USDT", "0.00001", "0.000001", "1", "999999999999"),
    _instrument("XRP-USDT", "0.0001", "0.000001", "1", "999999999999"),
)
OKX_BUILT_IN_SYMBOLS = frozenset(
    f"{i['baseCcy']}/{i['quoteCcy']}" for i in OKX_BUILT_IN_INSTRUMENTS
)


def built_in_symbols(protocol: str) -> frozenset[str]:
    """The markets a venue speaking ``protocol`` knows the rules of without a rules file."""
    return OKX_BUILT_IN_SYMBOLS if protocol == "okx" else frozenset(BUILT_IN_RULES)
