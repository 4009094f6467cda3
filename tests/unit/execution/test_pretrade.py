from decimal import Decimal

import pytest

from rebalancer.core.pretrade import PretradeLimits, check_notional, check_price, slice_order
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.market import Market
from rebalancer.domain.quotes import Quote

BTC = Market(
    symbol="BTC/USDT",
    base="BTC",
    quote="USDT",
    amount_step=Decimal("0.001"),
    min_amount=Decimal("0.001"),
    min_notional=Decimal("10"),
    price_tick=Decimal("0.01"),
    taker_fee=Decimal("0.001"),
)


def q(mid: str) -> Quote:
    m = Decimal(mid)
    return Quote(m - 1, m + 1)


def test_order_within_every_limit_passes() -> None:
    limits = PretradeLimits(Decimal(1000), Decimal(5000), Decimal(20000))
    assert check_notional(Decimal(999), Decimal(0), Decimal(0), limits).ok


def test_order_above_max_order_notional_is_stopped_naming_the_limit() -> None:
    decision = check_notional(Decimal(1001), Decimal(0), Decimal(0), PretradeLimits(Decimal(1000)))
    assert not decision.ok
    assert "max_order_notional" in decision.problems[0]


def test_run_and_day_totals_count_what_was_already_sent() -> None:
    limits = PretradeLimits(None, Decimal(5000), Decimal(8000))
    decision = check_notional(Decimal(600), Decimal(4500), Decimal(7500), limits)
    assert len(decision.problems) == 2
    assert "max_run_notional" in decision.problems[0]
    assert "max_day_notional" in decision.problems[1]


def test_limits_must_be_positive() -> None:
    with pytest.raises(InvalidValue, match="max_run_notional"):
        PretradeLimits(max_run_notional=Decimal(0))


def test_quote_that_jumped_from_the_last_good_one_fails_the_price_check() -> None:
    limits = PretradeLimits(max_price_move=Decimal("0.05"))
    decision = check_price(
        "BTC/USDT", "binance", q("60000"), last_good=q("50000"), other_venues={}, limits=limits
    )
    assert not decision.ok
    assert "moved 20.00%" in decision.problems[0]


def test_quote_that_disagrees_with_another_venue_fails_the_price_check() -> None:
    limits = PretradeLimits(max_venue_disagreement=Decimal("0.02"))
    decision = check_price(
        "BTC/USDT",
        "binance",
        q("60000"),
        last_good=None,
        other_venues={"okx": q("50000"), "binance": q("60000")},
        limits=limits,
    )
    assert len(decision.problems) == 1
    assert "okx" in decision.problems[0]


def test_small_moves_pass_the_price_check() -> None:
    decision = check_price(
        "BTC/USDT",
        "binance",
        q("50100"),
        last_good=q("50000"),
        other_venues={"okx": q("50050")},
        limits=PretradeLimits(),
    )
    assert decision.ok


def test_order_above_cap_is_cut_into_slices_on_the_step() -> None:
    slices = slice_order(Decimal("0.25"), Decimal(1000), BTC, Decimal(100))
    assert slices.amounts == (Decimal("0.1"), Decimal("0.1"), Decimal("0.05"))
    assert slices.remainder == 0
    assert all(a * 1000 <= 100 for a in slices.amounts)


def test_order_below_cap_is_one_slice() -> None:
    slices = slice_order(Decimal("0.0505"), Decimal(1000), BTC, Decimal(100))
    assert slices.amounts == (Decimal("0.050"),)
    assert slices.remainder == Decimal("0.0005")


def test_last_slice_below_market_minimum_is_reported_as_remainder_not_dropped() -> None:
    slices = slice_order(Decimal("0.205"), Decimal(1000), BTC, Decimal(100))
    assert slices.amounts == (Decimal("0.1"), Decimal("0.1"))
    assert slices.remainder == Decimal("0.005")
    assert slices.total + slices.remainder == Decimal("0.205")


def test_cap_below_the_smallest_order_is_refused() -> None:
    with pytest.raises(InvalidValue, match="max_order_notional"):
        slice_order(Decimal(1), Decimal(1000), BTC, Decimal(5))


def test_snapshot_price_check_names_each_bad_quote() -> None:
    from rebalancer.core.pretrade import check_snapshot_prices

    quotes = {("binance", "BTC/USDT"): q("60000"), ("okx", "BTC/USDT"): q("60100")}
    last = {("binance", "BTC/USDT"): q("50000")}
    decision = check_snapshot_prices(quotes, last, PretradeLimits())
    assert len(decision.problems) == 1
    assert decision.problems[0].startswith("binance BTC/USDT")
