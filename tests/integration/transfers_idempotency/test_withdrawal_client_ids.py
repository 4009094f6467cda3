"""Withdrawals carry our client id over real ccxt to the simulator, on both protocols."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.integration.venues.conftest import GatewayFactory

from rebalancer.domain.errors import AmbiguousOrderOutcome, OrderRejected
from rebalancer.domain.transfers import TransferStatus, WithdrawRequest
from rebalancer.exchange_sim.server import SimulatorServer
from rebalancer.venues.ccxt.gateway import CcxtGateway

WITHDRAW_PATH = {"binance": "/sapi/v1/capital/withdraw/apply", "okx": "/api/v5/asset/withdrawal"}
OTHER = {"binance": "okx", "okx": "binance"}


async def request_to_other_venue(
    make_gateway: GatewayFactory, venue: str, amount: str, client_id: str
) -> WithdrawRequest:
    receiver = await make_gateway(OTHER[venue])
    address = await receiver.fetch_deposit_address("USDT", "TRC20")
    return WithdrawRequest("USDT", "TRC20", Decimal(amount), address.address, None, client_id)


def withdrawals_on(sim: SimulatorServer, venue: str) -> list[dict[str, object]]:
    return [w for w in sim.control.transfer_log()["withdrawals"] if w["venue"] == venue]


async def test_the_client_id_round_trips_through_withdraw_and_history(
    gateway: CcxtGateway, make_gateway: GatewayFactory, venue: str
) -> None:
    request = await request_to_other_venue(make_gateway, venue, "100", "rb2r12t11")
    started = await gateway.withdraw(request)
    assert started.client_id == "rb2r12t11"

    (listed,) = [w for w in await gateway.fetch_withdrawals("USDT") if w.id == started.id]
    assert listed.client_id == "rb2r12t11"
    found = await gateway.fetch_withdrawal_by_client_id("USDT", "rb2r12t11")
    assert found is not None
    assert (found.id, found.amount, found.status) == (
        started.id,
        Decimal(100),
        TransferStatus.PENDING,
    )


async def test_the_history_filter_picks_our_withdrawal_among_others(
    gateway: CcxtGateway, make_gateway: GatewayFactory, venue: str
) -> None:
    for number, amount in enumerate(("20", "30", "40")):
        request = await request_to_other_venue(make_gateway, venue, amount, f"rb2r12t{number}1")
        await gateway.withdraw(request)
    found = await gateway.fetch_withdrawal_by_client_id("USDT", "rb2r12t11")
    assert found is not None
    assert found.amount == Decimal(30)


async def test_an_unknown_client_id_is_definitively_none(gateway: CcxtGateway) -> None:
    assert await gateway.fetch_withdrawal_by_client_id("USDT", "rb2r12t91") is None


async def test_a_duplicate_client_id_is_refused_and_nothing_moves_twice(
    gateway: CcxtGateway, make_gateway: GatewayFactory, sim: SimulatorServer, venue: str
) -> None:
    request = await request_to_other_venue(make_gateway, venue, "100", "rb2r12t11")
    await gateway.withdraw(request)
    with pytest.raises(AmbiguousOrderOutcome, match=r"(?i)duplicate"):
        await gateway.withdraw(request)  # the id names a withdrawal that exists: look it up
    assert len(withdrawals_on(sim, venue)) == 1
    assert (await gateway.fetch_balances())["USDT"].free == Decimal(499900)


async def test_a_withdrawal_whose_reply_is_lost_is_found_by_its_client_id(
    gateway: CcxtGateway, make_gateway: GatewayFactory, sim: SimulatorServer, venue: str
) -> None:
    request = await request_to_other_venue(make_gateway, venue, "100", "rb2r12t11")
    sim.control.inject_fault(
        {
            "venue": venue,
            "path": WITHDRAW_PATH[venue],
            "method": "POST",
            "execute": True,
            "drop": True,
        }
    )
    with pytest.raises(AmbiguousOrderOutcome):
        await gateway.withdraw(request)
    found = await gateway.fetch_withdrawal_by_client_id("USDT", "rb2r12t11")
    assert found is not None
    assert [w["id"] for w in withdrawals_on(sim, venue)] == [found.id]


async def test_a_withdrawal_dropped_before_the_venue_saw_it_is_none_by_client_id(
    gateway: CcxtGateway, make_gateway: GatewayFactory, sim: SimulatorServer, venue: str
) -> None:
    request = await request_to_other_venue(make_gateway, venue, "100", "rb2r12t11")
    sim.control.inject_fault(
        {"venue": venue, "path": WITHDRAW_PATH[venue], "method": "POST", "drop": True}
    )
    with pytest.raises(AmbiguousOrderOutcome):
        await gateway.withdraw(request)
    assert await gateway.fetch_withdrawal_by_client_id("USDT", "rb2r12t11") is None
    assert withdrawals_on(sim, venue) == []


async def test_okx_refuses_a_client_id_that_is_not_1_to_32_letters_and_digits(
    make_gateway: GatewayFactory, sim: SimulatorServer
) -> None:
    okx = await make_gateway("okx")
    request = await request_to_other_venue(make_gateway, "okx", "100", "rb-not_alnum")
    with pytest.raises(OrderRejected, match="clientId"):
        await okx.withdraw(request)
    assert withdrawals_on(sim, "okx") == []
