"""Binance's error codes, messages and HTTP statuses for the engine's neutral reasons."""

from __future__ import annotations

from aiohttp import web

from rebalancer.exchange_sim.engine import RejectReason

# reason -> (HTTP status, Binance code, message); the messages are Binance's own wording, which
# ccxt matches (e.g. "Filter failure: LOT_SIZE" -> InvalidOrder, "insufficient balance" -> funds)
ORDER_ERRORS: dict[RejectReason, tuple[int, int, str]] = {
    RejectReason.UNKNOWN_SYMBOL: (400, -1121, "Invalid symbol."),
    RejectReason.UNKNOWN_ACCOUNT: (401, -2015, "Invalid API-key, IP, or permissions for action."),
    RejectReason.BAD_PARAMETER: (
        400,
        -1102,
        "Mandatory parameter was not sent, was empty/null, or malformed.",
    ),
    RejectReason.LOT_SIZE: (400, -1013, "Filter failure: LOT_SIZE"),
    # Binance's LOT_SIZE filter holds the minimum quantity too
    RejectReason.BELOW_MIN_AMOUNT: (400, -1013, "Filter failure: LOT_SIZE"),
    RejectReason.PRICE_FILTER: (400, -1013, "Filter failure: PRICE_FILTER"),
    RejectReason.MIN_NOTIONAL: (400, -1013, "Filter failure: NOTIONAL"),
    RejectReason.INSUFFICIENT_BALANCE: (
        400,
        -2010,
        "Account has insufficient balance for requested action.",
    ),
    RejectReason.DUPLICATE_CLIENT_ORDER_ID: (400, -2010, "Duplicate order sent."),
    RejectReason.ORDER_NOT_FOUND: (400, -2013, "Order does not exist."),
    RejectReason.ORDER_NOT_OPEN: (400, -2011, "Unknown order sent."),
    RejectReason.NO_LIQUIDITY: (400, -2010, "Order would immediately match and take."),
}

# the wallet (sapi) endpoints use their own -4xxx family
WALLET_ERRORS: dict[RejectReason, tuple[int, int, str]] = {
    **ORDER_ERRORS,
    RejectReason.INSUFFICIENT_BALANCE: (400, -4026, "You have insufficient balance."),
    RejectReason.UNKNOWN_NETWORK: (400, -4019, "Current asset is not open for withdrawal."),
    RejectReason.WITHDRAW_DISABLED: (400, -4019, "Current asset is not open for withdrawal."),
    RejectReason.WITHDRAW_BELOW_MIN: (400, -4022, "Not less than the minimum pick-up quantity."),
    RejectReason.TRANSFER_NOT_FOUND: (400, -4029, "The withdrawal record does not exist."),
    # Binance documents no code for a reused withdrawOrderId; the simulator's choice keeps the
    # word "Duplicate" so a client can tell "already exists" from a refusal.
    RejectReason.DUPLICATE_WITHDRAWAL_ID: (400, -4000, "Duplicate withdrawOrderId."),
}

BAD_SIGNATURE = (400, -1022, "Signature for this request is not valid.")
BAD_TIMESTAMP = (400, -1021, "Timestamp for this request is outside of the recvWindow.")
BAD_KEY = (401, -2015, "Invalid API-key, IP, or permissions for action.")
UNKNOWN_ORDER_ON_CANCEL = (400, -2011, "Unknown order sent.")


def error_response(error: tuple[int, int, str], detail: str | None = None) -> web.Response:
    """A Binance error reply: ``{"code": -N, "msg": "..."}`` with its HTTP status."""
    status, code, message = error
    del detail  # Binance's messages are fixed strings; ccxt matches them exactly
    return web.json_response({"code": code, "msg": message}, status=status)


class BinanceError(Exception):
    """Raised inside handlers to reply with a Binance error (caught by the app's middleware)."""

    def __init__(self, error: tuple[int, int, str]) -> None:
        self.error = error
        super().__init__(error[2])
