"""Readable sentences about plans and runs, for the daemon's log and the ``runs`` command.

Pure formatting of domain values. Amounts traded are shown exactly; costs and fees are shown in
the portfolio's quote asset with sensible precision (``format_money``: 20.92 USDT, not
20.91741494), a fee charged in another asset converted at the fill's own price.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from rebalancer.core.drift import DriftReport
from rebalancer.domain.money import format_decimal as _exact
from rebalancer.domain.plan import Plan, RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import OrderRecord, TransferRecord
from rebalancer.domain.snapshot import InTransit, Snapshot
from rebalancer.services.rebalance_cycle import Planner
from rebalancer.services.run_outcome import order_fee_in_quote, traded_notional

log = logging.getLogger(__name__)
_TENTH = Decimal("0.1")
MONEY_SIGNIFICANT_DIGITS = 4
MONEY_MIN_PLACES = 2


def format_decimal(value: Decimal) -> str:
    """A decimal for people: exact, without trailing zeros ("30000", not "30000.00000000")."""
    return _exact(value.normalize())


def format_money(value: Decimal) -> str:
    """A cost or fee for people: two decimals; below 1, up to four significant digits.

    ``20.91741494`` -> ``20.92``; ``0.07566568`` -> ``0.07567``; ``0.1`` -> ``0.10``.
    """
    places = max(MONEY_MIN_PLACES, MONEY_SIGNIFICANT_DIGITS - 1 - value.adjusted())
    if value == 0 or abs(value) >= 1:
        places = MONEY_MIN_PLACES
    text = _exact(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(MONEY_MIN_PLACES, "0")
    return f"{whole}.{fraction}"


def describe_drift(drift: DriftReport) -> str:
    """Each asset's weight against its target, e.g. ``BTC 41.2% (40), USDT 19.9% (20)``."""
    return ", ".join(
        f"{item.asset} {item.weight.quantize(_TENTH)}% ({format_decimal(item.target)})"
        for item in drift.assets
    )


def describe_in_transit(moving: Iterable[InTransit]) -> str:
    """What is on its way, e.g. ``17985.2 USDT okx -> binance in transit``."""
    parts = [f"{format_decimal(t.amount)} {t.asset} {t.source} -> {t.destination}" for t in moving]
    return f"{', '.join(parts)} in transit"


def describe_plan(plan: Plan) -> list[str]:
    """One line per node, in plan order, then the estimated cost."""
    lines = [
        f"{o.id}: {o.side.value} {format_decimal(o.amount)} {o.symbol} on {o.venue}"
        f" at ~{format_decimal(o.price)}" + _after(o.depends_on)
        for o in plan.orders
    ]
    lines += [
        f"{t.id}: transfer {format_decimal(t.amount)} {t.asset} {t.source} -> {t.destination}"
        f" over {t.network}" + _after(t.depends_on)
        for t in plan.transfers
    ]
    lines.append(f"estimated cost {format_money(plan.estimated_cost)} {_quote(plan)}".rstrip())
    return lines


def _after(depends_on: Sequence[str]) -> str:
    return f" (after {', '.join(depends_on)})" if depends_on else ""


def _quote(plan: Plan) -> str:
    for order in plan.orders:
        return order.symbol.partition("/")[2]
    return ""


def _order_fee(order: OrderRecord) -> str:
    if order.fee is None:
        return ""
    quote = order.symbol.partition("/")[2]
    converted = order_fee_in_quote(order)
    if order.fee_asset == quote and converted is not None:
        return f", fee {format_money(converted)} {quote}"
    text = f", fee {format_decimal(order.fee)} {order.fee_asset or ''}".rstrip()
    return text + (f" ({format_money(converted)} {quote})" if converted is not None else "")


def describe_order(order: OrderRecord) -> str:
    """What one order did: side, amount, fill, price and fee (in the quote asset too)."""
    price = format_decimal(order.average_price) if order.average_price is not None else "-"
    fee = _order_fee(order)
    return (
        f"{order.venue} {order.side.value} {format_decimal(order.amount)} {order.symbol}: "
        f"{order.state.value}, filled {format_decimal(order.filled)} at {price}{fee}"
    )


def describe_transfer(transfer: TransferRecord) -> str:
    """Where one transfer stands."""
    fee = "" if transfer.fee is None else f", fee {format_decimal(transfer.fee)} {transfer.asset}"
    return (
        f"{transfer.source} -> {transfer.destination} {format_decimal(transfer.amount)} "
        f"{transfer.asset} over {transfer.network}: {transfer.state.value}{fee}"
    )


def spent(orders: Sequence[OrderRecord]) -> Decimal:
    """The quote value the orders filled (sum of filled x average price)."""
    return traded_notional(orders)


def narrating(planner: Planner) -> Planner:
    """The same planner, logging each plan it makes as readable lines."""

    def plan_and_tell(
        snapshot: Snapshot,
        policy: Policy,
        run_type: RunType,
        amount: Decimal | None,
        /,
        *,
        venue: str | None = None,
        partial: bool = False,
    ) -> Plan:
        plan = planner(snapshot, policy, run_type, amount, venue=venue, partial=partial)
        if plan.is_empty:
            log.info("%s: the plan is empty (nothing worth trading)", policy.name)
            return plan
        nodes = len(plan.orders) + len(plan.transfers)
        log.info("%s: plan with %d step(s):", policy.name, nodes)
        for line in describe_plan(plan):
            log.info("  %s", line)
        return plan

    return plan_and_tell


def fees_paid(
    orders: Sequence[OrderRecord], transfers: Sequence[TransferRecord]
) -> dict[str, Decimal]:
    """Every fee the orders and transfers paid, summed per asset."""
    fees: dict[str, Decimal] = {}
    for order in orders:
        if order.fee is not None and order.fee_asset:
            fees[order.fee_asset] = fees.get(order.fee_asset, Decimal(0)) + order.fee
    for transfer in transfers:
        if transfer.fee is not None:
            fees[transfer.asset] = fees.get(transfer.asset, Decimal(0)) + transfer.fee
    return fees
