"""Market rules the simulator knows without an exchangeInfo file.

So that paper mode and the example configs run on a machine with nothing but this package, the
simulator carries the trading rules of common Binance spot markets. The figures (lot step,
minimum amount, minimum notional, price tick) are Binance's published rules as returned by
``GET /api/v3/exchangeInfo`` on 2024-09-08 (LOT_SIZE, NOTIONAL and PRICE_FILTER). Any other
market needs ``rules`` in the simulator config or an ``exchange_info`` file.
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
