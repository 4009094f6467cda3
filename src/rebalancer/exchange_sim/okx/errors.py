"""OKX v5 error codes as the simulator answers them.

OKX reports most business errors with HTTP 200 and ``code != "0"`` in the envelope; failures of
one order inside a batch carry their own ``sCode``/``sMsg`` under a top-level ``code`` of "1".
Only authentication, malformed requests, rate limits and outages use other HTTP statuses. The
codes below are the ones ccxt maps to the exception classes the daemon distinguishes (ccxt's
``okx.exceptions['exact']``), with the HTTP status OKX documents for each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OkxCode:
    """One OKX error: its code, its standard message and the HTTP status it comes with."""

    code: str
    msg: str
    http_status: int = 200


# Request and authentication errors (whole request refused).
BODY_EMPTY = OkxCode("50000", "Body for POST request cannot be empty.", 400)
SERVICE_UNAVAILABLE = OkxCode("50001", "Service temporarily unavailable. Try again later", 503)
JSON_SYNTAX = OkxCode("50002", "JSON syntax error", 400)
REQUEST_TIMEOUT = OkxCode("50004", "API endpoint request timeout", 400)
RATE_LIMITED = OkxCode("50011", "Rate limit reached. Please refer to API documentation.", 429)
SYSTEM_BUSY = OkxCode("50013", "Systems are busy. Please try again later.", 429)
PARAM_EMPTY = OkxCode("50014", "Parameter {0} can not be empty.", 400)
SYSTEM_ERROR = OkxCode("50026", "System error. Try again later", 500)
TIMESTAMP_EXPIRED = OkxCode("50102", "Timestamp request expired", 401)
KEY_EMPTY = OkxCode("50103", 'Request header "OK-ACCESS-KEY" cannot be empty.', 401)
PASSPHRASE_EMPTY = OkxCode("50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.', 401)
PASSPHRASE_WRONG = OkxCode("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.', 401)
SIGN_EMPTY = OkxCode("50106", 'Request header "OK-ACCESS-SIGN" cannot be empty.', 401)
TIMESTAMP_EMPTY = OkxCode("50107", 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.', 401)
KEY_INVALID = OkxCode("50111", "Invalid OK-ACCESS-KEY.", 401)
TIMESTAMP_INVALID = OkxCode("50112", "Invalid OK-ACCESS-TIMESTAMP.", 401)
SIGN_INVALID = OkxCode("50113", "Invalid Sign.", 401)
NOT_FOUND = OkxCode("50115", "Invalid request method.", 405)

# Trading errors (HTTP 200; per order as sCode/sMsg inside a batch).
OPERATION_FAILED = OkxCode("1", "All operations failed")
PARAM_ERROR = OkxCode("51000", "Parameter {0} error")
INSTRUMENT_UNKNOWN = OkxCode("51001", "Instrument ID does not exist")
ORDER_ID_REQUIRED = OkxCode("51003", "Either client order ID or order ID is required")
INSUFFICIENT_BALANCE = OkxCode("51008", "Order failed. Insufficient {0} balance in account")
DUPLICATE_CLIENT_ID = OkxCode("51016", "Duplicated clOrdId")
BELOW_MIN_SIZE = OkxCode("51020", "Your order should meet or exceed the minimum order amount.")
NOT_LOT_MULTIPLE = OkxCode("51121", "Order quantity must be a multiple of the lot size.")
PRICE_EMPTY = OkxCode("51204", "The price for the limit order can not be empty")
CANCEL_NOT_FOUND = OkxCode(
    "51400", "Order cancellation failed as the order has been filled, canceled or does not exist."
)
ORDER_NOT_FOUND = OkxCode("51603", "Order does not exist")

# Funding errors.
WITHDRAW_INSUFFICIENT = OkxCode("58350", "Insufficient balance")
WITHDRAW_ADDRESS = OkxCode(
    "58207", "Withdrawal address is not whitelisted for verification exemption"
)
CURRENCY_UNKNOWN = OkxCode("51012", "Token does not exist")

# Websocket errors.
WS_LOGIN_FAILED = OkxCode("60009", "Login failed.")
WS_NOT_LOGGED_IN = OkxCode("60011", "Please log in")
WS_ILLEGAL_REQUEST = OkxCode("60012", "Illegal request: {0}")
WS_CHANNEL_UNKNOWN = OkxCode("60018", "Wrong URL or channel:{0},instId:{1} doesn't exist.")


class OkxRejection(Exception):
    """Raised inside a handler to answer with an OKX error envelope.

    ``detail`` fills the ``{0}`` placeholder of the standard message (a field name, an asset).
    """

    def __init__(self, error: OkxCode, *detail: str) -> None:
        self.error = error
        self.msg = error.msg.format(*detail) if detail else error.msg.replace(" {0}", "")
        super().__init__(f"{error.code}: {self.msg}")

    @property
    def code(self) -> str:
        """The OKX error code."""
        return self.error.code

    @property
    def http_status(self) -> int:
        """The HTTP status OKX sends with this code."""
        return self.error.http_status
