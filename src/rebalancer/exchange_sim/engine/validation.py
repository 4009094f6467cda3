"""The exchange's order filters: lot size, minimum amount, price tick and minimum notional.

Each broken rule raises ``Rejected`` with the neutral reason the protocols map to their own
codes (Binance: ``-1013 Filter failure: LOT_SIZE`` / ``PRICE_FILTER`` / ``NOTIONAL``; OKX:
``51121`` off the lot size, ``51020`` below the minimum order amount). A market without a
minimum notional (OKX's: zero) never refuses an order for its notional.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.market import Market
from rebalancer.domain.money import format_decimal
from rebalancer.exchange_sim.engine.errors import Rejected, RejectReason


def check_amount(market: Market, amount: Decimal) -> None:
    """Refuse an amount that is not positive, off the lot step, or outside min/max."""
    step = market.amount_step
    if amount <= 0:
        raise Rejected(RejectReason.LOT_SIZE, "amount must be positive")
    if step > 0 and amount % step != 0:
        raise Rejected(
            RejectReason.LOT_SIZE,
            f"{market.symbol}: amount {format_decimal(amount)} not on step {format_decimal(step)}",
        )
    if amount < market.min_amount:
        raise Rejected(
            RejectReason.BELOW_MIN_AMOUNT,
            f"{market.symbol}: amount {format_decimal(amount)} below "
            f"min {format_decimal(market.min_amount)}",
        )
    if market.max_amount is not None and amount > market.max_amount:
        raise Rejected(
            RejectReason.LOT_SIZE,
            f"{market.symbol}: amount {format_decimal(amount)} above "
            f"max {format_decimal(market.max_amount)}",
        )


def check_price(market: Market, price: Decimal) -> None:
    """Refuse a limit price that is not positive or off the tick."""
    tick = market.price_tick
    if price <= 0:
        raise Rejected(RejectReason.PRICE_FILTER, "price must be positive")
    if tick > 0 and price % tick != 0:
        raise Rejected(
            RejectReason.PRICE_FILTER,
            f"{market.symbol}: price {format_decimal(price)} not on tick {format_decimal(tick)}",
        )


def check_notional(market: Market, notional: Decimal) -> None:
    """Refuse an order worth less than the market's minimum notional (in the quote asset)."""
    if notional < market.min_notional:
        raise Rejected(
            RejectReason.MIN_NOTIONAL,
            f"{market.symbol}: notional {format_decimal(notional)} {market.quote} below "
            f"min {format_decimal(market.min_notional)}",
        )
