"""The one place where ccxt's exceptions become rebalancer's (``rebalancer.domain.errors``).

What an error means depends on what was being done, so every mapping names its ``Operation``:

    ccxt error                                   READ / CANCEL          CREATE_ORDER / WITHDRAW
    -------------------------------------------  ---------------------  -----------------------
    AuthenticationError (+ PermissionDenied ...)  AuthenticationFailed   AuthenticationFailed
    OnMaintenance, ExchangeClosedByUser           VenueUnavailable       VenueUnavailable
    RateLimitExceeded, DDoSProtection,            RetryableVenueError    RetryableVenueError
      InvalidNonce (refused before processing)
    RequestTimeout, ExchangeNotAvailable,         RetryableVenueError    AmbiguousOrderOutcome
      other NetworkError, OperationFailed (5xx),
      BadResponse, a malformed reply
    DuplicateOrderId, any "duplicate" refusal     VenueError             AmbiguousOrderOutcome
      (reused client order or withdrawal id)
    InsufficientFunds, InvalidOrder, BadRequest,  VenueError             OrderRejected
      OperationRejected, InvalidAddress
    any other ExchangeError                       VenueError             AmbiguousOrderOutcome

An order whose request may have reached the exchange is never reported as rejected: it is
ambiguous and gets settled by looking its client order id up. A withdrawal has the same problem
and is reported the same way. Unknown exchange errors on a create are ambiguous for that reason.

ccxt quirk: a failed Binance WS-API subscribe surfaces as ``KeyError``
chained from the real ccxt error; ``unwrap`` digs the ccxt error out of ``__context__``.
"""

from __future__ import annotations

import enum

import ccxt

from rebalancer.domain.errors import (
    AmbiguousOrderOutcome,
    AuthenticationFailed,
    OrderRejected,
    RetryableVenueError,
    VenueError,
    VenueUnavailable,
)

MAX_MESSAGE = 300


class Operation(enum.Enum):
    """What was being attempted when an error happened."""

    READ = "read"
    CANCEL = "cancel"
    CREATE_ORDER = "create_order"
    WITHDRAW = "withdraw"

    @property
    def creates(self) -> bool:
        """True for operations that are not idempotent: a lost reply leaves them ambiguous."""
        return self in (Operation.CREATE_ORDER, Operation.WITHDRAW)


class MalformedReply(Exception):
    """The venue answered, but not with what its protocol promises (e.g. HTTP 200, not JSON)."""


# (ccxt classes, our kind for reads and cancels, our kind for creates), first match wins; the
# order matters because the ccxt classes nest (OnMaintenance is an ExchangeNotAvailable).
_RULES: tuple[tuple[tuple[type[BaseException], ...], type[VenueError], type[VenueError]], ...] = (
    ((ccxt.AuthenticationError,), AuthenticationFailed, AuthenticationFailed),
    ((ccxt.OnMaintenance, ccxt.ExchangeClosedByUser), VenueUnavailable, VenueUnavailable),
    (
        (ccxt.RateLimitExceeded, ccxt.DDoSProtection, ccxt.InvalidNonce),
        RetryableVenueError,
        RetryableVenueError,
    ),
    ((ccxt.OperationFailed, MalformedReply), RetryableVenueError, AmbiguousOrderOutcome),
    ((ccxt.DuplicateOrderId,), VenueError, AmbiguousOrderOutcome),
    (
        (
            ccxt.InsufficientFunds,
            ccxt.InvalidOrder,
            ccxt.BadRequest,
            ccxt.OperationRejected,
            ccxt.InvalidAddress,
        ),
        VenueError,
        OrderRejected,
    ),
)


def unwrap(error: BaseException) -> BaseException:
    """Return the ccxt error behind ``error`` (itself, or one in its ``__context__`` chain)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ccxt.BaseError):
            found: BaseException = current
            return found
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return error


def is_ccxt_error(error: BaseException) -> bool:
    """True when ``error`` is, or hides, a ccxt error or a malformed reply."""
    return isinstance(unwrap(error), (ccxt.BaseError, MalformedReply))


def is_order_not_found(error: BaseException) -> bool:
    """True when the exchange said the order does not exist (not: could not tell)."""
    return isinstance(unwrap(error), ccxt.OrderNotFound)


def describe(error: BaseException) -> str:
    """A short, single-line description: the ccxt class and its (truncated) message."""
    text = " ".join(str(error).split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 3] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def map_error(venue: str, operation: Operation, error: BaseException) -> VenueError:
    """Translate a ccxt error raised during ``operation`` on ``venue`` into our tree."""
    cause = unwrap(error)
    message = f"{operation.value} failed: {describe(cause)}"
    kind = _classify(operation, cause)
    return kind(venue, message)


def _classify(operation: Operation, error: BaseException) -> type[VenueError]:
    if operation.creates and _is_duplicate(error):
        return AmbiguousOrderOutcome
    for classes, for_reads, for_creates in _RULES:
        if isinstance(error, classes):
            return for_creates if operation.creates else for_reads
    return AmbiguousOrderOutcome if operation.creates else VenueError


def _is_duplicate(error: BaseException) -> bool:
    """A refusal because our client id is taken: the order or withdrawal already exists.

    Binance reports a reused order id as InvalidOrder "Duplicate order sent.", a reused
    ``withdrawOrderId`` as "Duplicate withdrawOrderId."; OKX a reused ``clientId`` as
    "Duplicated clientId" (51016, which ccxt reads as InvalidOrder).
    """
    return isinstance(error, ccxt.ExchangeError) and "duplicate" in str(error).lower()
