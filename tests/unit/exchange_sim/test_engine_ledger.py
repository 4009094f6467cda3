"""The account statement: every balance change with the balance after it."""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.market import OrderSide
from rebalancer.exchange_sim.engine import Engine, OrderKind
from rebalancer.exchange_sim.engine.ledger import LedgerKind

D = Decimal


def test_a_fill_pays_one_asset_and_receives_the_other_less_the_fee(engine: Engine) -> None:
    venue = engine.venue("alpha")
    order = venue.place_order("key", "BTC/USDT", OrderSide.BUY, OrderKind.MARKET, amount=D("0.5"))
    [trade] = order.trades
    paid, received = venue.account_ledger("key")
    assert (paid.asset, paid.kind, paid.change) == ("USDT", LedgerKind.TRADE, -trade.cost)
    assert paid.balance == D(100000) - trade.cost
    assert (received.asset, received.change, received.fee) == (
        "BTC",
        D("0.5") - trade.fee,
        trade.fee,
    )
    assert received.gross == D("0.5")
    assert received.balance == D(2) + D("0.5") - trade.fee
    assert (received.order_id, received.symbol, received.side) == (order.id, "BTC/USDT", "buy")


def test_transfers_are_on_the_statement_of_both_venues(engine: Engine) -> None:
    _, address = engine.deposit_address("beta", "key", "USDT")
    withdrawal = engine.withdraw("alpha", "key", "USDT", D(100), address)
    engine.complete_withdrawal(withdrawal.id)
    failed = engine.withdraw("alpha", "key", "USDT", D(50), address)
    engine.fail_withdrawal(failed.id)
    alpha = [(e.kind, e.change, e.balance) for e in engine.venue("alpha").account_ledger("key")]
    assert alpha == [
        (LedgerKind.WITHDRAWAL, D(-100), D(99900)),
        (LedgerKind.WITHDRAWAL, D(-50), D(99850)),
        (LedgerKind.REFUND, D(50), D(99900)),
    ]
    [arrived] = engine.venue("beta").account_ledger("key")
    assert (arrived.kind, arrived.change, arrived.balance) == (LedgerKind.DEPOSIT, D(99), D(100099))
    assert arrived.reference is not None
