from decimal import Decimal

import pytest

from rebalancer.domain.errors import DustError, InvalidValue
from rebalancer.domain.market import Market, Rounding
from rebalancer.domain.money import to_decimal


def btc_usdt() -> Market:
    return Market(
        symbol="BTC/USDT",
        base="BTC",
        quote="USDT",
        amount_step=Decimal("0.00001"),
        min_amount=Decimal("0.00001"),
        min_notional=Decimal("5"),
        price_tick=Decimal("0.01"),
        taker_fee=Decimal("0.001"),
    )


def test_sell_rounds_down_to_lot_step() -> None:
    rounded = btc_usdt().round_amount(Decimal("0.123456789"), Rounding.DOWN)
    assert rounded.value == Decimal("0.12345")
    assert rounded.remainder == Decimal("0.000006789")


def test_nonzero_amount_rounding_to_zero_is_dust() -> None:
    market = btc_usdt()
    assert market.round_amount(Decimal("0.000001"), Rounding.DOWN).dust
    with pytest.raises(DustError, match="rounds to zero"):
        market.strict_amount(Decimal("0.000001"))


def test_order_below_min_notional_is_reported() -> None:
    check = btc_usdt().check_order(Decimal("0.00001"), Decimal("60000"))
    assert not check.ok
    assert any("min_notional" in p for p in check.problems)


def test_floats_are_refused_as_money() -> None:
    with pytest.raises(InvalidValue, match="not a float"):
        to_decimal(0.1)
    assert to_decimal("0.1") == Decimal("0.1")
