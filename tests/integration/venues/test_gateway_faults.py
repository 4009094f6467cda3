"""Every fault class the simulator can inject lands in the right branch of our error tree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tests.integration.venues.conftest import GatewayFactory

from rebalancer.domain.errors import (
    AmbiguousOrderOutcome,
    AuthenticationFailed,
    OrderRejected,
    RetryableVenueError,
    VenueUnavailable,
)
from rebalancer.domain.market import OrderSide
from rebalancer.domain.orders import OrderStatus, OrderType, SubmitOrder
from rebalancer.domain.transfers import WithdrawRequest
from rebalancer.exchange_sim.server import SimulatorServer
from rebalancer.venues.ccxt.gateway import CcxtGateway

ORDER_PATH = {"binance": "/api/v3/order", "okx": "/api/v5/trade/batch-orders"}
BALANCE_PATH = {"binance": "/api/v3/account", "okx": "/api/v5/account/balance"}
RATE_LIMITED = {
    "binance": (429, {"code": -1003, "msg": "Too much request weight used."}),
    "okx": (429, {"code": "50011", "msg": "Rate limit reached.", "data": []}),
}
MAINTENANCE = {
    "binance": (200, {"code": 1, "msg": "System is under maintenance."}),
    "okx": (200, {"code": "50001", "msg": "Service temporarily unavailable.", "data": []}),
}
SERVER_ERROR = {
    "binance": (503, {"code": -1001, "msg": "Internal error; unable to process your request."}),
    "okx": (503, "<html>503 Service Temporarily Unavailable</html>"),
}


def buy(cid: str, amount: str = "0.01") -> SubmitOrder:
    return SubmitOrder(cid, "BTC/USDT", OrderSide.BUY, OrderType.MARKET, Decimal(amount))


def inject(sim: SimulatorServer, venue: str, path: str, **fault: Any) -> None:
    sim.control.inject_fault({"venue": venue, "path": path, **fault})


async def test_accepted_order_whose_reply_is_lost_is_found_by_client_id(
    gateway: CcxtGateway, sim: SimulatorServer, venue: str
) -> None:
    inject(sim, venue, ORDER_PATH[venue], method="POST", execute=True, delay_ms=2500)
    with pytest.raises(AmbiguousOrderOutcome):
        await gateway.create_order(buy("rblost1"))
    found = await gateway.fetch_order_by_client_id("BTC/USDT", "rblost1")
    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert found.filled == Decimal("0.01")


async def test_order_dropped_before_the_venue_saw_it_is_ambiguous_then_not_found(
    gateway: CcxtGateway, sim: SimulatorServer, venue: str
) -> None:
    inject(sim, venue, ORDER_PATH[venue], method="POST", drop=True)
    with pytest.raises(AmbiguousOrderOutcome):
        await gateway.create_order(buy("rbdrop1"))
    assert await gateway.fetch_order_by_client_id("BTC/USDT", "rbdrop1") is None


async def test_a_server_error_on_create_is_ambiguous(
    gateway: CcxtGateway, sim: SimulatorServer, venue: str
) -> None:
    status, body = SERVER_ERROR[venue]
    inject(sim, venue, ORDER_PATH[venue], method="POST", status=status, body=body)
    with pytest.raises(AmbiguousOrderOutcome):
        await gateway.create_order(buy("rb5xx1"))


async def test_rate_limit_is_retryable_on_reads_and_on_create(
    gateway: CcxtGateway, sim: SimulatorServer, venue: str
) -> None:
    status, body = RATE_LIMITED[venue]
    inject(sim, venue, BALANCE_PATH[venue], status=status, body=body)
    with pytest.raises(RetryableVenueError):
        await gateway.fetch_balances()
    inject(sim, venue, ORDER_PATH[venue], method="POST", status=status, body=body)
    with pytest.raises(RetryableVenueError) as raised:
        await gateway.create_order(buy("rbrate1"))
    assert not isinstance(raised.value, AmbiguousOrderOutcome)


async def test_a_transient_read_failure_is_retried_with_backoff(
    make_gateway: GatewayFactory, sim: SimulatorServer, venue: str
) -> None:
    gateway = await make_gateway(venue, read_attempts=3)
    status, body = SERVER_ERROR[venue]
    inject(sim, venue, BALANCE_PATH[venue], status=status, body=body, count=2)
    balances = await gateway.fetch_balances()
    assert balances["USDT"].free == Decimal("500000")


async def test_create_order_is_never_retried(
    make_gateway: GatewayFactory, sim: SimulatorServer, venue: str
) -> None:
    gateway = await make_gateway(venue, read_attempts=5)
    status, body = SERVER_ERROR[venue]
    inject(sim, venue, ORDER_PATH[venue], method="POST", status=status, body=body, count=1)
    with pytest.raises(AmbiguousOrderOutcome):
        await gateway.create_order(buy("rbonce1"))
    assert await gateway.fetch_order_by_client_id("BTC/USDT", "rbonce1") is None


async def test_maintenance_makes_the_venue_unavailable(
    gateway: CcxtGateway, sim: SimulatorServer, venue: str
) -> None:
    status, body = MAINTENANCE[venue]
    inject(sim, venue, BALANCE_PATH[venue], status=status, body=body)
    with pytest.raises(VenueUnavailable):
        await gateway.fetch_balances()


async def test_a_reply_that_is_not_json_is_an_error_not_an_empty_balance(
    gateway: CcxtGateway, sim: SimulatorServer, venue: str
) -> None:
    inject(sim, venue, BALANCE_PATH[venue], status=200, body="{not json")
    with pytest.raises(RetryableVenueError, match="not a JSON object"):
        await gateway.fetch_balances()


async def test_a_wrong_secret_is_an_authentication_failure(
    make_gateway: GatewayFactory, venue: str
) -> None:
    gateway = await make_gateway(venue, secret="not-the-secret", load=False)
    with pytest.raises(AuthenticationFailed):
        await gateway.fetch_balances()


async def test_a_refused_stream_login_is_an_authentication_failure(
    make_gateway: GatewayFactory, venue: str
) -> None:
    # Binance: ccxt raises KeyError('spot') over the real error (ccxt.md §9.1)
    gateway = await make_gateway(venue, secret="not-the-secret", load=False)
    with pytest.raises(AuthenticationFailed):
        await gateway.watch_balances()


async def test_a_withdrawal_beyond_the_balance_is_rejected(gateway: CcxtGateway) -> None:
    address = await gateway.fetch_deposit_address("USDT", "TRC20")
    with pytest.raises(OrderRejected):
        await gateway.withdraw(
            WithdrawRequest("USDT", "TRC20", Decimal("9999999"), address.address)
        )
