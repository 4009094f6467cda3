"""The simulator engine's values as domain values: the one place they are translated.

Engine orders become ``OrderReport``s, withdrawals and deposits ``TransferReport``s, and the
engine's neutral rejection reasons the domain's error tree.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.errors import AuthenticationFailed, OrderRejected, VenueError
from rebalancer.domain.money import ZERO
from rebalancer.domain.orders import OrderReport, OrderStatus
from rebalancer.domain.transfers import TransferReport, TransferStatus
from rebalancer.exchange_sim.engine import (
    Deposit,
    Order,
    OrderState,
    Rejected,
    RejectReason,
    TransferState,
    Withdrawal,
)

_ORDER_STATUS = {
    OrderState.NEW: OrderStatus.OPEN,
    OrderState.PARTIALLY_FILLED: OrderStatus.OPEN,
    OrderState.FILLED: OrderStatus.FILLED,
    OrderState.CANCELED: OrderStatus.CANCELED,
    OrderState.EXPIRED: OrderStatus.EXPIRED,
}

_TRANSFER_STATUS = {
    TransferState.PENDING: TransferStatus.PENDING,
    TransferState.COMPLETED: TransferStatus.OK,
    TransferState.FAILED: TransferStatus.FAILED,
    TransferState.CANCELED: TransferStatus.CANCELED,
}


def order_report(venue: str, order: Order) -> OrderReport:
    """What the engine holds about one order, as the exchange would report it."""
    fee: Decimal | None = None
    fee_asset: str | None = None
    if order.trades:
        fee = sum((trade.fee for trade in order.trades), ZERO)
        fee_asset = order.trades[-1].fee_asset
    return OrderReport(
        venue=venue,
        client_order_id=order.client_order_id,
        exchange_order_id=str(order.id),
        symbol=order.symbol,
        side=order.side,
        type=order.kind,
        status=_ORDER_STATUS[order.state],
        amount=order.amount,
        filled=order.filled,
        average_price=order.average_price,
        fee=fee,
        fee_asset=fee_asset,
        price=order.price,
        timestamp_ms=order.created_ms,
    )


def withdrawal_report(withdrawal: Withdrawal) -> TransferReport:
    """A withdrawal as the source venue reports it."""
    return TransferReport(
        venue=withdrawal.venue,
        id=withdrawal.id,
        direction="withdrawal",
        asset=withdrawal.asset,
        network=withdrawal.network,
        amount=withdrawal.amount,
        fee=withdrawal.fee,
        status=_TRANSFER_STATUS[withdrawal.state],
        address=withdrawal.address,
        txid=withdrawal.txid,
        timestamp_ms=withdrawal.applied_ms,
        client_id=withdrawal.client_id,
    )


def deposit_report(deposit: Deposit) -> TransferReport:
    """A deposit as the destination venue reports it."""
    return TransferReport(
        venue=deposit.venue,
        id=deposit.id,
        direction="deposit",
        asset=deposit.asset,
        network=deposit.network,
        amount=deposit.amount,
        fee=None,
        status=_TRANSFER_STATUS[deposit.state],
        address=deposit.address,
        txid=deposit.txid,
        timestamp_ms=deposit.time_ms,
    )


def venue_error(venue: str, error: Rejected) -> VenueError:
    """The domain error for an engine rejection (every rejection is definitive)."""
    if error.reason is RejectReason.UNKNOWN_ACCOUNT:
        return AuthenticationFailed(venue, error.message)
    return OrderRejected(venue, f"{error.reason.value}: {error.message}")
