"""Why the engine refused a request, in words no exchange owns.

    SimulatorError
    └── Rejected(reason: RejectReason, message)

Each protocol front-end maps a ``RejectReason`` to its own error code and HTTP status (Binance
``-1013 Filter failure: LOT_SIZE``, OKX ``51008`` ...), so one engine serves every protocol.
"""

from __future__ import annotations

import enum


class RejectReason(enum.StrEnum):
    """A neutral reason for refusing an order, a cancel, a lookup or a withdrawal."""

    UNKNOWN_SYMBOL = "unknown_symbol"
    UNKNOWN_ACCOUNT = "unknown_account"
    BAD_PARAMETER = "bad_parameter"
    LOT_SIZE = "lot_size"
    BELOW_MIN_AMOUNT = "below_min_amount"
    PRICE_FILTER = "price_filter"
    MIN_NOTIONAL = "min_notional"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    DUPLICATE_CLIENT_ORDER_ID = "duplicate_client_order_id"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_NOT_OPEN = "order_not_open"
    NO_LIQUIDITY = "no_liquidity"
    UNKNOWN_NETWORK = "unknown_network"
    WITHDRAW_DISABLED = "withdraw_disabled"
    WITHDRAW_BELOW_MIN = "withdraw_below_min"
    TRANSFER_NOT_FOUND = "transfer_not_found"
    DUPLICATE_WITHDRAWAL_ID = "duplicate_withdrawal_id"


class SimulatorError(Exception):
    """Base of every error the simulator raises on purpose."""


class Rejected(SimulatorError):
    """The engine refused a request; nothing changed. ``reason`` says why, neutrally."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{reason.value}: {message}")
