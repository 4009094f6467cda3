"""ccxt's errors land in the right branch of our tree, depending on what was being done."""

from __future__ import annotations

import ccxt
import pytest

from rebalancer.domain.errors import (
    AmbiguousOrderOutcome,
    AuthenticationFailed,
    OrderRejected,
    RetryableVenueError,
    VenueError,
    VenueUnavailable,
)
from rebalancer.venues.ccxt.errors import (
    MalformedReply,
    Operation,
    is_ccxt_error,
    is_order_not_found,
    map_error,
)

CASES = [
    # (ccxt error, kind on a read, kind on create_order)
    (ccxt.RequestTimeout("timed out"), RetryableVenueError, AmbiguousOrderOutcome),
    (ccxt.ExchangeNotAvailable("connection reset"), RetryableVenueError, AmbiguousOrderOutcome),
    (ccxt.NetworkError("closing code 1001"), RetryableVenueError, AmbiguousOrderOutcome),
    (ccxt.OperationFailed('{"code":-1001}'), RetryableVenueError, AmbiguousOrderOutcome),
    (ccxt.BadResponse("garbage"), RetryableVenueError, AmbiguousOrderOutcome),
    (ccxt.RateLimitExceeded("-1015"), RetryableVenueError, RetryableVenueError),
    (ccxt.DDoSProtection("429"), RetryableVenueError, RetryableVenueError),
    (ccxt.InvalidNonce("-1021 recvWindow"), RetryableVenueError, RetryableVenueError),
    (ccxt.OnMaintenance("under maintenance"), VenueUnavailable, VenueUnavailable),
    (ccxt.AuthenticationError("-1022"), AuthenticationFailed, AuthenticationFailed),
    (ccxt.PermissionDenied("no trading"), AuthenticationFailed, AuthenticationFailed),
    (ccxt.InsufficientFunds("-2010"), VenueError, OrderRejected),
    (ccxt.InvalidOrder("LOT_SIZE"), VenueError, OrderRejected),
    (ccxt.BadRequest("NOTIONAL"), VenueError, OrderRejected),
    (ccxt.BadSymbol("-1121"), VenueError, OrderRejected),
    (ccxt.MarketClosed("closed"), VenueError, OrderRejected),
    (
        ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'),
        VenueError,
        AmbiguousOrderOutcome,
    ),
    (ccxt.DuplicateOrderId("51016"), VenueError, AmbiguousOrderOutcome),
    (ccxt.ExchangeError("-9999 unknown"), VenueError, AmbiguousOrderOutcome),
    (MalformedReply("not JSON"), RetryableVenueError, AmbiguousOrderOutcome),
]


@pytest.mark.parametrize(("error", "on_read", "on_create"), CASES)
def test_each_ccxt_error_maps_by_operation(
    error: Exception, on_read: type[VenueError], on_create: type[VenueError]
) -> None:
    assert type(map_error("binance", Operation.READ, error)) is on_read
    assert type(map_error("binance", Operation.CREATE_ORDER, error)) is on_create


def test_a_lost_withdrawal_reply_is_ambiguous_like_an_order() -> None:
    mapped = map_error("okx", Operation.WITHDRAW, ccxt.RequestTimeout("timed out"))
    assert isinstance(mapped, AmbiguousOrderOutcome)
    assert isinstance(map_error("okx", Operation.WITHDRAW, ccxt.InvalidAddress("x")), OrderRejected)


def test_a_failed_cancel_is_retryable_not_ambiguous() -> None:
    mapped = map_error("binance", Operation.CANCEL, ccxt.ExchangeNotAvailable("reset"))
    assert isinstance(mapped, RetryableVenueError)


def test_binance_temporary_ban_after_login_is_retryable() -> None:
    # ccxt.md §9 / §7.3: -2015 after a successful private call arrives as DDoSProtection
    error = ccxt.DDoSProtection('binance {"code":-2015,"msg":"Invalid API-key, IP"}')
    assert isinstance(map_error("binance", Operation.READ, error), RetryableVenueError)


def _ws_subscribe_quirk() -> None:
    try:
        raise ccxt.AuthenticationError('{"code":-1022,"msg":"Signature not valid"}')
    except ccxt.AuthenticationError:
        raise KeyError("spot")  # noqa: B904 - reproduces ccxt's implicit chaining


def test_keyerror_from_a_failed_ws_subscribe_maps_to_the_hidden_auth_error() -> None:
    # ccxt.md §9.1: the WS-API subscribe failure surfaces as KeyError('spot')
    with pytest.raises(KeyError) as caught:
        _ws_subscribe_quirk()
    assert is_ccxt_error(caught.value)
    mapped = map_error("binance", Operation.READ, caught.value)
    assert isinstance(mapped, AuthenticationFailed)
    assert "-1022" in str(mapped)


def test_a_plain_bug_is_not_taken_for_a_venue_error() -> None:
    assert not is_ccxt_error(KeyError("spot"))
    assert not is_ccxt_error(TypeError("bad call"))


def test_only_order_not_found_means_not_found() -> None:
    assert is_order_not_found(ccxt.OrderNotFound("-2013"))
    assert not is_order_not_found(ccxt.RequestTimeout("timed out"))
    assert not is_order_not_found(ccxt.ExchangeNotAvailable("reset"))


def test_mapped_message_names_venue_operation_and_cause_and_is_short() -> None:
    mapped = map_error("binance", Operation.CREATE_ORDER, ccxt.RequestTimeout("x" * 1000))
    text = str(mapped)
    assert text.startswith("binance: create_order failed: RequestTimeout: ")
    assert len(text) < 400
    assert mapped.venue == "binance"
