"""Factories for engine tests: one venue with real BTC/USDT rules and a manual clock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebalancer.domain.market import Market
from rebalancer.exchange_sim.engine import (
    Account,
    BookShape,
    Engine,
    ManualClock,
    Network,
)

BTC_USDT = Market(
    symbol="BTC/USDT",
    base="BTC",
    quote="USDT",
    amount_step=Decimal("0.00001"),
    min_amount=Decimal("0.00001"),
    min_notional=Decimal("5"),
    price_tick=Decimal("0.01"),
    taker_fee=Decimal("0.001"),
    maker_fee=Decimal("0.0008"),
)

# 1 bps spread, 10 bps between levels,, 60 000 USDT per level: one level at 60k holds 1 BTC
SHAPE = BookShape(
    spread_bps=Decimal("1"), levels=3, level_gap_bps=Decimal("10"), level_notional=Decimal("60000")
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def engine(clock: ManualClock) -> Engine:
    engine = Engine(clock)
    for name in ("alpha", "beta"):
        engine.add_venue(name, [BTC_USDT], SHAPE)
        engine.add_network(
            name,
            Network("USDT", "TRC20", fee=Decimal("1"), min_amount=Decimal("10"), delay_s=60),
        )
        account = Account("key", "secret")
        account.credit("USDT", Decimal("100000"))
        account.credit("BTC", Decimal("2"))
        engine.add_account(name, account)
        engine.set_price(name, "BTC/USDT", Decimal("60000"))
    return engine
