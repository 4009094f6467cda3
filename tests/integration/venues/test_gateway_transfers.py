"""A withdrawal from one venue arrives as a deposit on the other (both protocols)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.integration.venues.conftest import GatewayFactory

from rebalancer.domain.transfers import TransferStatus, WithdrawRequest
from rebalancer.exchange_sim.server import SimulatorServer


@pytest.mark.parametrize(("source", "destination"), [("binance", "okx"), ("okx", "binance")])
async def test_a_withdrawal_arrives_as_a_deposit_on_the_other_venue(
    make_gateway: GatewayFactory, sim: SimulatorServer, source: str, destination: str
) -> None:
    sender = await make_gateway(source)
    receiver = await make_gateway(destination)
    address = await receiver.fetch_deposit_address("USDT", "TRC20")

    started = await sender.withdraw(
        WithdrawRequest("USDT", "TRC20", Decimal("250"), address.address)
    )
    assert started.status is TransferStatus.PENDING
    (pending,) = [w for w in await sender.fetch_withdrawals("USDT") if w.id == started.id]
    assert pending.status is TransferStatus.PENDING
    assert pending.amount == Decimal("250")
    assert (await sender.fetch_balances())["USDT"].free == Decimal("499750")

    sim.control.complete_withdrawal(started.id)

    (done,) = [w for w in await sender.fetch_withdrawals("USDT") if w.id == started.id]
    assert done.status is TransferStatus.OK
    assert done.fee == Decimal("1")
    (arrived,) = await receiver.fetch_deposits("USDT")
    assert arrived.status is TransferStatus.OK
    assert arrived.amount == Decimal("249")
    assert (await receiver.fetch_balances())["USDT"].free == Decimal("500249")
