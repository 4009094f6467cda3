"""Deposit addresses, withdrawals between venues and transfer history through ccxt."""

from __future__ import annotations

from typing import Any

import ccxt.pro as ccxtpro
import pytest
from tests.integration.exchange_sim.conftest import ExchangeFactory

from rebalancer.exchange_sim.server import SimulatorServer


async def test_deposit_address_names_its_network(exchange: Any) -> None:
    default = await exchange.fetch_deposit_address("USDT")
    erc20 = await exchange.fetch_deposit_address("USDT", {"network": "ERC20"})
    assert default["network"] == "TRC20"
    assert erc20["network"] == "ERC20"
    assert default["address"] != erc20["address"]
    assert default["address"] == (await exchange.fetch_deposit_address("USDT"))["address"]


async def test_a_withdrawal_arrives_on_the_other_venue_minus_its_fee(
    make_exchange: ExchangeFactory, sim: SimulatorServer
) -> None:
    source = await make_exchange("binance")
    target = await make_exchange("other")
    address = (await target.fetch_deposit_address("USDT"))["address"]
    sent = await source.withdraw("USDT", 500, address, params={"network": "TRC20"})
    [pending] = await source.fetch_withdrawals("USDT")
    assert (pending["id"], pending["status"], pending["fee"]["cost"]) == (sent["id"], "pending", 1)
    assert await target.fetch_deposits("USDT") == []
    sim.control.complete_withdrawal(sent["id"])
    [done] = await source.fetch_withdrawals("USDT")
    assert done["status"] == "ok"
    [arrived] = await target.fetch_deposits("USDT")
    assert (arrived["amount"], arrived["status"], arrived["txid"]) == (499, "ok", done["txid"])
    assert (await target.fetch_balance())["USDT"]["free"] == 549
    assert (await source.fetch_balance())["USDT"]["free"] == 99500


async def test_a_failed_withdrawal_is_reported_and_refunded(
    exchange: Any, sim: SimulatorServer
) -> None:
    sent = await exchange.withdraw("USDT", 100, "TXexternaladdress000000000000000")
    sim.control.fail_withdrawal(sent["id"])
    [failed] = await exchange.fetch_withdrawals("USDT")
    assert failed["status"] == "failed"
    assert (await exchange.fetch_balance())["USDT"]["free"] == 100000


async def test_withdrawing_more_than_the_balance_is_refused(exchange: Any) -> None:
    exchange.exceptions["exact"] = {
        **exchange.exceptions["exact"],
        **exchange.exceptions["spot"]["exact"],
    }
    with pytest.raises(ccxtpro.InsufficientFunds):
        await exchange.withdraw("USDT", 200000, "TXexternaladdress000000000000000")


async def test_a_credited_deposit_shows_in_history_and_balance(
    exchange: Any, sim: SimulatorServer
) -> None:
    from decimal import Decimal

    sim.control.credit_deposit("binance", "USDT", Decimal("250"))
    [deposit] = await exchange.fetch_deposits("USDT")
    assert (deposit["amount"], deposit["network"], deposit["status"]) == (250, "TRC20", "ok")
    assert (await exchange.fetch_balance())["USDT"]["free"] == 100250
