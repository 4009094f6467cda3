"""Cash set aside for a withdrawal stays outside the portfolio: the pure adjustment, where a
withdrawal's cash is set aside, and which set-asides a fall of the balance paid out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from tests.unit.planner.builders import market, policy, snapshot, venue

from rebalancer.core.drift import drift_of_snapshot
from rebalancer.core.planner import max_raisable, plan_rebalance
from rebalancer.core.set_aside import (
    held_by_venue,
    paid_out,
    spread_set_aside,
    without_set_asides,
)
from rebalancer.domain.market import OrderSide
from rebalancer.domain.set_asides import ReleaseCause, SetAside
from rebalancer.domain.snapshot import Snapshot

D = Decimal
T0 = datetime(2024, 3, 1, tzinfo=UTC)
WEIGHTS = {"BTC": "80", "USDT": "20"}


def set_aside(
    amount: str,
    where: str = "x",
    seen: str = "0",
    minutes: int = 0,
    asset: str = "USDT",
    *,
    released: bool = False,
) -> SetAside:
    at = T0 + timedelta(minutes=minutes)
    return SetAside(
        id=f"sa-{minutes:02d}",
        portfolio="core",
        venue=where,
        asset=asset,
        amount=D(amount),
        created_at=at,
        seen_balance=D(seen),
        seen_at=at,
        released_at=at if released else None,
        release_cause=ReleaseCause.RELEASED if released else None,
    )


def two_venues(x_cash: str = "7000", y_cash: str = "3000") -> Snapshot:
    btc = market("BTC", "39990", "40010", step="0.00001")
    return snapshot(
        {
            "x": venue({"BTC": "1", "USDT": x_cash}, btc),
            "y": venue({"BTC": "1", "USDT": y_cash}, btc),
        }
    )


def test_held_counts_only_active_set_asides_of_the_asset_per_venue() -> None:
    items = [
        set_aside("100", "x"),
        set_aside("50", "x", minutes=1),
        set_aside("7", "y", minutes=2),
        set_aside("1000", "y", minutes=3, released=True),
        set_aside("3", "y", minutes=4, asset="BTC"),
    ]

    assert held_by_venue(items, "USDT") == {"x": D("150"), "y": D("7")}


def test_set_aside_cash_leaves_the_venue_balance_and_nothing_else() -> None:
    before = two_venues()

    after = without_set_asides(before, "USDT", {"x": D("5000")})

    assert after.venue("x").balance("USDT") == D("2000")
    assert after.venue("x").balance("BTC") == D("1")
    assert after.venue("y") == before.venue("y")
    assert after.taken_at == before.taken_at
    assert before.venue("x").balance("USDT") == D("7000")  # the input is untouched


def test_a_set_aside_larger_than_the_balance_leaves_zero_never_less() -> None:
    after = without_set_asides(two_venues(), "USDT", {"y": D("5000"), "nowhere": D("1")})

    assert after.venue("y").balance("USDT") == D("0")


def test_nothing_set_aside_gives_the_snapshot_itself() -> None:
    before = two_venues()

    assert without_set_asides(before, "USDT", {}) is before


def test_weights_are_of_the_portfolio_that_remains() -> None:
    # 2 BTC at 40,000 + 10,000 cash: cash is 11.1 %; with 5,000 set aside it is 5.9 %
    rules = policy(WEIGHTS, venues=("x", "y"))
    kept = without_set_asides(two_venues(), "USDT", {"x": D("5000")})

    cash = {a.asset: a for a in drift_of_snapshot(kept, rules).assets}["USDT"]

    assert D("5.8") < cash.weight < D("5.9")


def test_a_full_run_never_buys_with_set_aside_cash() -> None:
    # 1.5 BTC at 40,000 and 27,000 cash: 31 % cash, above its band (15..25 %), so a full
    # run buys; with 12,000 of it raised for a withdrawal, 15,000 of 75,000 is 20 %: no buy
    btc = market("BTC", "39990", "40010", step="0.00001")
    raw = snapshot({"x": venue({"BTC": "1.5", "USDT": "27000"}, btc)})
    rules = policy(WEIGHTS, venues=("x",))
    counted = plan_rebalance(raw, rules)
    assert any(o.side is OrderSide.BUY for o in counted.orders)  # what the issue saw

    kept = plan_rebalance(without_set_asides(raw, "USDT", {"x": D("12000")}), rules)

    assert not any(o.side is OrderSide.BUY for o in kept.orders)


def test_a_later_withdraw_cannot_raise_the_cash_already_set_aside() -> None:
    rules = policy(WEIGHTS, venues=("x", "y"))
    raw = two_venues()
    kept = without_set_asides(raw, "USDT", {"x": D("5000")})

    assert max_raisable(raw, rules) - max_raisable(kept, rules) == D("5000")


def test_a_withdrawal_at_a_venue_is_set_aside_there_up_to_its_free_cash() -> None:
    rules = policy(WEIGHTS, venues=("x", "y"), cash_reserve={"y": D("500")})

    assert spread_set_aside(two_venues(), rules, D("2000"), "y") == (("y", D("2000")),)
    assert spread_set_aside(two_venues(), rules, D("9000"), "y") == (("y", D("2500")),)


def test_a_withdrawal_anywhere_is_set_aside_where_the_most_cash_is_first() -> None:
    rules = policy(WEIGHTS, venues=("x", "y"), cash_reserve={"x": D("1000")})

    assert spread_set_aside(two_venues(), rules, D("5000"), None) == (("x", D("5000")),)
    assert spread_set_aside(two_venues(), rules, D("8000"), None) == (
        ("x", D("6000")),
        ("y", D("2000")),
    )
    assert spread_set_aside(two_venues(), rules, D("99999"), None) == (
        ("x", D("6000")),
        ("y", D("3000")),
    )


def test_equal_free_cash_is_taken_in_venue_order_by_name() -> None:
    rules = policy(WEIGHTS, venues=("y", "x"))

    spread = spread_set_aside(two_venues("3000", "3000"), rules, D("4000"), None)

    assert spread == (("x", D("3000")), ("y", D("1000")))


def test_no_free_cash_sets_nothing_aside() -> None:
    rules = policy(WEIGHTS, venues=("x", "y"), cash_reserve={"y": D("3000")})

    assert spread_set_aside(two_venues(), rules, D("10"), "y") == ()


def test_a_fall_by_the_amount_pays_the_set_aside_out() -> None:
    item = set_aside("5000", seen="7000")

    assert paid_out([item], D("2000")) == ((item, D("5000")),)
    assert paid_out([item], D("1999")) == ((item, D("5000")),)


def test_a_smaller_fall_pays_that_part_out_and_a_rise_nothing() -> None:
    item = set_aside("5000", seen="7000")

    assert paid_out([item], D("2000.01")) == ((item, D("4999.99")),)
    assert paid_out([item], D("7000")) == ()
    assert paid_out([item], D("9000")) == ()


def test_a_fall_pays_the_oldest_set_asides_first() -> None:
    old = set_aside("3000", seen="10000", minutes=0)
    new = set_aside("4000", seen="10000", minutes=5)
    small = set_aside("1000", seen="10000", minutes=9)

    assert paid_out([new, old, small], D("8000")) == ((old, D("2000")),)
    assert paid_out([new, old, small], D("6000")) == ((old, D("3000")), (new, D("1000")))
    assert paid_out([new, old, small], D("1000")) == (
        (old, D("3000")),
        (new, D("4000")),
        (small, D("1000")),
    )


@given(
    balance=st.decimals(min_value=0, max_value=10**6, places=2),
    held=st.decimals(min_value=0, max_value=10**6, places=2),
)
def test_the_adjusted_balance_is_never_negative_and_never_more(
    balance: Decimal, held: Decimal
) -> None:
    raw = snapshot({"x": venue({"USDT": str(balance)})})

    left = without_set_asides(raw, "USDT", {"x": held}).venue("x").balance("USDT")

    assert left == max(D(0), balance - held)
