"""The engine's neutral refusals translated into OKX error codes.

The same engine reason can mean different OKX codes depending on the endpoint: an unknown order
is 51603 on a lookup but 51400 on a cancel; a short balance is 51008 on an order but 58350 on a
withdrawal.
"""

from __future__ import annotations

import enum

from rebalancer.exchange_sim.engine.errors import Rejected, RejectReason
from rebalancer.exchange_sim.okx import errors
from rebalancer.exchange_sim.okx.errors import OkxCode, OkxRejection

NO_OFFER = OkxCode("51109", "No available offer")
CANCEL_COMPLETED = OkxCode("51402", "Order cancellation failed as the order has been completed.")
WITHDRAW_BELOW_MIN = OkxCode("58206", "Withdrawal amount is lower than the lower limit")
# OKX documents no code for a reused withdrawal clientId; the simulator answers in the family of
# its duplicated client-supplied order id (51016), worded so a client can tell "already exists".
DUPLICATE_WITHDRAWAL_ID = OkxCode("51016", "Duplicated clientId")
WITHDRAW_UNAVAILABLE = OkxCode(
    "58200", "Withdrawal from {0} to {1} is unavailable for this currency"
)


class Endpoint(enum.Enum):
    """Which kind of request the refusal answers."""

    ORDER = "order"
    LOOKUP = "lookup"
    CANCEL = "cancel"
    FUNDING = "funding"


_COMMON: dict[RejectReason, tuple[OkxCode, tuple[str, ...]]] = {
    RejectReason.UNKNOWN_SYMBOL: (errors.INSTRUMENT_UNKNOWN, ()),
    RejectReason.UNKNOWN_ACCOUNT: (errors.KEY_INVALID, ()),
    RejectReason.BAD_PARAMETER: (errors.PARAM_ERROR, ()),
    RejectReason.LOT_SIZE: (errors.NOT_LOT_MULTIPLE, ()),
    RejectReason.BELOW_MIN_AMOUNT: (errors.BELOW_MIN_SIZE, ()),
    RejectReason.PRICE_FILTER: (errors.PARAM_ERROR, ("px",)),
    RejectReason.MIN_NOTIONAL: (errors.BELOW_MIN_SIZE, ()),
    RejectReason.INSUFFICIENT_BALANCE: (errors.INSUFFICIENT_BALANCE, ()),
    RejectReason.DUPLICATE_CLIENT_ORDER_ID: (errors.DUPLICATE_CLIENT_ID, ()),
    RejectReason.ORDER_NOT_FOUND: (errors.ORDER_NOT_FOUND, ()),
    RejectReason.ORDER_NOT_OPEN: (CANCEL_COMPLETED, ()),
    RejectReason.NO_LIQUIDITY: (NO_OFFER, ()),
    RejectReason.UNKNOWN_NETWORK: (errors.PARAM_ERROR, ("chain",)),
    RejectReason.WITHDRAW_DISABLED: (WITHDRAW_UNAVAILABLE, ()),
    RejectReason.WITHDRAW_BELOW_MIN: (WITHDRAW_BELOW_MIN, ()),
    RejectReason.TRANSFER_NOT_FOUND: (errors.PARAM_ERROR, ("wdId",)),
    RejectReason.DUPLICATE_WITHDRAWAL_ID: (DUPLICATE_WITHDRAWAL_ID, ()),
}

_BY_ENDPOINT: dict[tuple[Endpoint, RejectReason], tuple[OkxCode, tuple[str, ...]]] = {
    (Endpoint.CANCEL, RejectReason.ORDER_NOT_FOUND): (errors.CANCEL_NOT_FOUND, ()),
    (Endpoint.FUNDING, RejectReason.INSUFFICIENT_BALANCE): (errors.WITHDRAW_INSUFFICIENT, ()),
    (Endpoint.FUNDING, RejectReason.UNKNOWN_SYMBOL): (errors.CURRENCY_UNKNOWN, ()),
}


def to_okx(rejected: Rejected, endpoint: Endpoint) -> OkxRejection:
    """Return the OKX refusal for an engine refusal at this kind of endpoint."""
    code, detail = _BY_ENDPOINT.get((endpoint, rejected.reason)) or _COMMON[rejected.reason]
    return OkxRejection(code, *detail)
