"""Stage 3, slicing: split an order above ``max_order_notional`` into equal orders on the step.

An order's notional is held to the cap at the ask on either side (``Trade.notional_at_ask``),
so a sell placed as a limit at the touch fits under it too.

The slices differ by at most one lot, and there are as few as the cap allows:
``ceil(notional at the ask / cap)``, one more when the largest slice would still be over it.
The model's own order count is not used: it costs nothing,
so the solver may return any count between that and what the minimums allow (a 9,600 USDT buy
under a 25,000 cap once came out as two orders); the model kept a lot of margin under the cap,
so the fewest slices always fit.
"""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal

from rebalancer.core.planner.draft import Draft, Trade


def split_units(units: int, parts: int) -> list[int]:
    """Split a whole number of lots into ``parts`` near-equal whole parts, larger ones first."""
    base, extra = divmod(units, parts)
    return [base + 1 if i < extra else base for i in range(parts)]


def slice_trade(trade: Trade, cap: Decimal | None) -> list[Trade]:
    """The slices of one order (the order itself when no cap applies)."""
    step = trade.market.rules.amount_step
    if cap is None or cap <= 0 or step <= 0:
        return [replace(trade, slices=1)]
    units = int(trade.amount / step)
    parts = max(1, min(math.ceil(trade.notional_at_ask / cap), units))
    ask = trade.market.quote.ask
    while parts < units and math.ceil(units / parts) * step * ask > cap:
        parts += 1  # the largest slice is one lot above the average
    return [
        replace(trade, amount=(step * lots).quantize(step), slices=1)
        for lots in split_units(units, parts)
        if lots > 0
    ]


def slice_orders(draft: Draft, cap: Decimal | None) -> Draft:
    """Split every order whose notional at the ask exceeds ``cap``."""
    trades = [piece for trade in draft.trades for piece in slice_trade(trade, cap)]
    return replace(draft, trades=tuple(trades))
