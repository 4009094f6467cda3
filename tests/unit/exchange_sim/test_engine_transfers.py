"""Withdrawals with fee, minimum and delay, arriving as deposits on another venue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebalancer.exchange_sim.engine import (
    Engine,
    ManualClock,
    Rejected,
    RejectReason,
    TransferState,
)

D = Decimal


def test_a_withdrawal_to_another_venue_arrives_there_minus_the_fee_after_the_delay(
    engine: Engine, clock: ManualClock
) -> None:
    network, address = engine.deposit_address("beta", "key", "USDT")
    assert network.network == "TRC20"
    withdrawal = engine.withdraw("alpha", "key", "USDT", D("500"), address, network="TRC20")
    alpha = engine.venue("alpha").accounts["key"]
    beta = engine.venue("beta").accounts["key"]
    assert alpha.balance("USDT").free == D("99500")
    clock.advance(59)
    engine.advance()
    assert withdrawal.state is TransferState.PENDING
    assert beta.balance("USDT").free == D("100000")
    clock.advance(1)
    engine.advance()
    assert withdrawal.state is TransferState.COMPLETED
    assert [s for s, _ in withdrawal.history] == [TransferState.PENDING, TransferState.COMPLETED]
    assert beta.balance("USDT").free == D("100499")
    [deposit] = engine.account_deposits("beta", "key")
    assert (deposit.amount, deposit.txid, deposit.withdrawal_id) == (
        D("499"),
        withdrawal.txid,
        withdrawal.id,
    )


def test_a_failed_withdrawal_returns_the_whole_amount(engine: Engine) -> None:
    withdrawal = engine.withdraw("alpha", "key", "USDT", D("50"), "Txexternal0000000000000000000")
    engine.fail_withdrawal(withdrawal.id)
    assert withdrawal.state is TransferState.FAILED
    assert engine.venue("alpha").accounts["key"].balance("USDT").free == D("100000")
    with pytest.raises(Rejected):
        engine.complete_withdrawal(withdrawal.id)


def test_withdrawals_below_the_minimum_or_beyond_the_balance_are_refused(engine: Engine) -> None:
    with pytest.raises(Rejected) as small:
        engine.withdraw("alpha", "key", "USDT", D("9"), "Tx0000000000000000000000000")
    with pytest.raises(Rejected) as large:
        engine.withdraw("alpha", "key", "USDT", D("100001"), "Tx0000000000000000000000000")
    with pytest.raises(Rejected) as network:
        engine.withdraw("alpha", "key", "USDT", D("100"), "Tx000", network="ERC20")
    assert small.value.reason is RejectReason.WITHDRAW_BELOW_MIN
    assert large.value.reason is RejectReason.INSUFFICIENT_BALANCE
    assert network.value.reason is RejectReason.UNKNOWN_NETWORK
    assert engine.withdrawals == {}


def test_credit_deposit_adds_to_the_free_balance_and_is_logged(engine: Engine) -> None:
    deposit = engine.credit_deposit("alpha", "key", "USDT", D("250"))
    assert engine.venue("alpha").accounts["key"].balance("USDT").free == D("100250")
    assert engine.account_deposits("alpha", "key") == [deposit]
    assert engine.account_deposits("beta", "key") == []


def test_a_reused_withdrawal_client_id_is_refused_and_nothing_moves(engine: Engine) -> None:
    _, address = engine.deposit_address("beta", "key", "USDT")
    first = engine.withdraw("alpha", "key", "USDT", D("100"), address, client_id="rb1a2t11")
    engine.complete_withdrawal(first.id)  # even once finished, the id stays taken
    with pytest.raises(Rejected) as refused:
        engine.withdraw("alpha", "key", "USDT", D("100"), address, client_id="rb1a2t11")
    assert refused.value.reason is RejectReason.DUPLICATE_WITHDRAWAL_ID
    assert engine.venue("alpha").accounts["key"].balance("USDT").free == D("99900")
    assert engine.find_withdrawal("alpha", "key", "rb1a2t11") is first
    assert engine.find_withdrawal("alpha", "key", "rb1a2t21") is None


def test_withdrawals_without_a_client_id_are_never_duplicates(engine: Engine) -> None:
    _, address = engine.deposit_address("beta", "key", "USDT")
    engine.withdraw("alpha", "key", "USDT", D("100"), address)
    engine.withdraw("alpha", "key", "USDT", D("100"), address)
    assert len(engine.account_withdrawals("alpha", "key")) == 2
