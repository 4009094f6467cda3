from decimal import Decimal

from rebalancer.core.reconcile import (
    apply_deltas,
    arrival_deltas,
    compare_balances,
    fill_deltas,
    order_residual,
    run_status,
    withdrawal_deltas,
)
from rebalancer.domain.market import Market, OrderSide
from rebalancer.domain.orders import OrderReport, OrderStatus, OrderType
from rebalancer.domain.runs import RunStatus

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


def report(side: OrderSide, filled: str, price: str, fee: str | None, fee_asset: str | None):
    return OrderReport(
        venue="binance",
        client_order_id="rb1a2o10",
        exchange_order_id="1",
        symbol="BTC/USDT",
        side=side,
        type=OrderType.MARKET,
        status=OrderStatus.FILLED,
        amount=Decimal(filled),
        filled=Decimal(filled),
        average_price=Decimal(price),
        fee=Decimal(fee) if fee else None,
        fee_asset=fee_asset,
    )


def test_buy_adds_base_spends_quote_and_pays_fee_in_base_by_default() -> None:
    deltas = fill_deltas(report(OrderSide.BUY, "0.5", "1000", "0.0005", None), "BTC", "USDT")
    assert deltas == {"BTC": Decimal("0.4995"), "USDT": Decimal("-500.0")}


def test_sell_with_fee_in_a_third_asset() -> None:
    deltas = fill_deltas(report(OrderSide.SELL, "0.5", "1000", "0.1", "BNB"), "BTC", "USDT")
    assert deltas == {"BTC": Decimal("-0.5"), "USDT": Decimal("500.0"), "BNB": Decimal("-0.1")}


def test_expected_balances_follow_fills_and_transfers() -> None:
    before = {"BTC": Decimal(1), "USDT": Decimal(100)}
    after = apply_deltas(
        before,
        [
            fill_deltas(report(OrderSide.SELL, "0.5", "1000", "0.5", "USDT"), "BTC", "USDT"),
            withdrawal_deltas("USDT", Decimal(200)),
        ],
    )
    assert after == {"BTC": Decimal("0.5"), "USDT": Decimal("399.5")}
    assert arrival_deltas("USDT", Decimal(200), Decimal(1)) == {"USDT": Decimal(199)}


def test_balances_within_tolerance_match() -> None:
    expected = {"USDT": Decimal("1000")}
    assert compare_balances("binance", expected, {"USDT": Decimal("1000.5")}) == ()


def test_a_missing_balance_is_a_mismatch_naming_venue_and_asset() -> None:
    mismatches = compare_balances(
        "okx", {"USDT": Decimal("1000"), "BTC": Decimal(1)}, {"BTC": Decimal(1)}
    )
    assert len(mismatches) == 1
    assert mismatches[0].asset == "USDT"
    assert mismatches[0].difference == Decimal(-1000)
    assert "okx USDT" in str(mismatches[0])


def test_unfilled_part_is_a_residual_and_tiny_ones_are_dust() -> None:
    residual = order_residual(
        node_id="o1",
        venue="binance",
        market=BTC,
        side=OrderSide.BUY,
        planned=Decimal("0.5"),
        filled=Decimal("0.3"),
        price=Decimal(1000),
    )
    assert residual is not None
    assert residual.amount == Decimal("0.2")
    assert not residual.dust
    dust = order_residual(
        node_id="o1",
        venue="binance",
        market=BTC,
        side=OrderSide.BUY,
        planned=Decimal("0.5"),
        filled=Decimal("0.4995"),
        price=Decimal(1000),
    )
    assert dust is not None
    assert dust.dust


def test_a_fully_filled_order_has_no_residual() -> None:
    assert (
        order_residual(
            node_id="o1",
            venue="binance",
            market=BTC,
            side=OrderSide.SELL,
            planned=Decimal("0.5"),
            filled=Decimal("0.5"),
            price=Decimal(1000),
        )
        is None
    )


def test_run_status_from_node_counts() -> None:
    assert run_status(planned=3, done=3, partial=0) is RunStatus.FILLED
    assert run_status(planned=3, done=0, partial=0) is RunStatus.FAILED
    assert run_status(planned=3, done=1, partial=0) is RunStatus.PARTIALLY_FILLED
    assert run_status(planned=3, done=3, partial=1) is RunStatus.PARTIALLY_FILLED
    assert run_status(planned=0, done=0, partial=0) is RunStatus.FILLED
