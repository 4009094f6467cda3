"""Stage 2, lot rounding: put every amount on its market's step, the direction stated.

Orders round to the *nearest* lot (the model kept one lot of margin for it), and a
withdrawal's sells round up so the amount is raised; but a sell never exceeds what the venue
has, so it rounds down to that. A sell of (all but a sliver of) the whole holding, and every
sell of a liquidation, sells all it can on the step; the remainder below one lot is dust. A
nonzero order that rounds to zero is dust too. Transfers are cut (down) to ``TRANSFER_STEP``
and never send more than is held.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rebalancer.core.planner.draft import Draft, Trade, Transfer, sells_available
from rebalancer.core.planner.problem import Problem
from rebalancer.domain.market import OrderSide, Rounding, round_to_step
from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.domain.plan import Residual

TRANSFER_STEP = Decimal("0.00000001")
WHOLE = Decimal("0.999")  # a sell of this share of the holding or more means "sell it all"


def round_transfers(draft: Draft, problem: Problem) -> Draft:
    """Cut transfers to the transfer step; an asset transfer never exceeds the holding."""
    transfers: list[Transfer] = []
    for transfer in draft.transfers:
        amount = round_to_step(transfer.amount, TRANSFER_STEP, Rounding.DOWN)
        route = transfer.route
        if route.asset != problem.quote:
            amount = min(amount, problem.held(route.asset, route.source))
        transfers.append(Transfer(route, amount))
    return replace(draft, transfers=tuple(transfers))


def round_sell(
    trade: Trade, available: Decimal, liquidate: bool, up: bool = False
) -> tuple[Decimal, Decimal]:
    """(amount, dust left behind) for one sell; ``up``: to the lot above, not the nearest."""
    rules = trade.market.rules
    floor = round_to_step(max(available, ZERO), rules.amount_step, Rounding.DOWN)
    if liquidate or trade.amount >= available * WHOLE:
        return floor, max(available, ZERO) - floor
    direction = Rounding.UP if up else Rounding.NEAREST
    rounded = round_to_step(trade.amount, rules.amount_step, direction)
    return min(rounded, floor), ZERO


def round_lots(
    draft: Draft, problem: Problem, *, liquidate: bool = False, sells_up: bool = False
) -> Draft:
    """Round every order to its lot step and report dust. ``sells_up`` (a withdrawal) rounds
    sells up, never above the holding, so rounding cannot leave the amount short."""
    draft = round_transfers(draft, problem)
    trades: list[Trade] = []
    residuals: list[Residual] = []
    for trade in draft.trades:
        venue, asset = trade.market.venue, trade.market.asset
        step = format_decimal(trade.market.rules.amount_step)
        if trade.side is OrderSide.SELL:
            available = sells_available(draft, problem, asset, venue)
            amount, dust = round_sell(trade, available, liquidate, sells_up)
            if dust > 0:
                residuals.append(Residual(asset, venue, f"dust below lot step {step}", dust))
        else:
            amount = trade.market.rules.round_amount(trade.amount, Rounding.NEAREST).value
        if amount > 0:
            trades.append(replace(trade, amount=amount))
        elif trade.amount > 0 and trade.side is OrderSide.BUY:
            reason = f"rounds to zero on lot step {step}"
            residuals.append(Residual(asset, venue, reason, trade.amount))
    return replace(draft, trades=tuple(trades)).with_residuals(*residuals)
