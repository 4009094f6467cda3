"""OKX JSON objects built from engine values: what ccxt will read from them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebalancer.domain.market import Market, OrderSide
from rebalancer.exchange_sim.engine.book import Level
from rebalancer.exchange_sim.engine.errors import Rejected, RejectReason
from rebalancer.exchange_sim.engine.orders import Order, OrderKind, OrderState, TimeInForce, Trade
from rebalancer.exchange_sim.engine.transfers import Network
from rebalancer.exchange_sim.okx import funding_payloads, payloads
from rebalancer.exchange_sim.okx.errors import OkxRejection
from rebalancer.exchange_sim.okx.payloads import OrderMeta
from rebalancer.exchange_sim.okx.rejections import Endpoint, to_okx
from rebalancer.exchange_sim.okx.wire import inst_id, num, symbol_of
from rebalancer.exchange_sim.okx.ws_books import BookFeed

BTC = Market(
    "BTC/USDT",
    "BTC",
    "USDT",
    amount_step=Decimal("0.00001"),
    min_amount=Decimal("0.00001"),
    min_notional=Decimal("5"),
    price_tick=Decimal("0.01"),
    taker_fee=Decimal("0.001"),
)


def make_order(state: OrderState, trades: list[Trade]) -> Order:
    filled = sum((t.amount for t in trades), Decimal(0))
    cost = sum((t.cost for t in trades), Decimal(0))
    return Order(
        id=7,
        client_order_id="rb1",
        account="k",
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        kind=OrderKind.LIMIT,
        time_in_force=TimeInForce.GTC,
        amount=Decimal("1.5"),
        price=Decimal("60000.00"),
        created_ms=1000,
        updated_ms=2000,
        filled=filled,
        cost=cost,
        state=state,
        trades=trades,
    )


def make_trade(trade_id: int, amount: str, price: str) -> Trade:
    qty, px = Decimal(amount), Decimal(price)
    return Trade(
        id=trade_id,
        order_id=7,
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        price=px,
        amount=qty,
        cost=qty * px,
        fee=qty * Decimal("0.001"),
        fee_asset="BTC",
        maker=False,
        time_ms=1500,
    )


def test_numbers_are_plain_strings_without_exponent() -> None:
    assert num(Decimal("1E+2")) == "100"
    assert num(Decimal("0.0010000")) == "0.001"
    assert num(None) == ""


def test_instrument_ids_translate_both_ways() -> None:
    assert inst_id("BTC/USDT") == "BTC-USDT"
    assert symbol_of("ETH-USDT") == "ETH/USDT"
    with pytest.raises(OkxRejection):
        symbol_of("BTC-USDT-SWAP")


def test_instrument_carries_tick_lot_and_minimum() -> None:
    entry = payloads.instrument(BTC, 0)
    assert (entry["instId"], entry["tickSz"], entry["lotSz"], entry["minSz"]) == (
        "BTC-USDT",
        "0.01",
        "0.00001",
        "0.00001",
    )
    assert entry["state"] == "live"


def test_partly_filled_order_reports_live_progress_and_negative_fee() -> None:
    order = make_order(OrderState.PARTIALLY_FILLED, [make_trade(1, "0.5", "59990")])
    body = payloads.order(order, OrderMeta("limit", "base_ccy", "", "1.5"))
    assert body["state"] == "partially_filled"
    assert (body["sz"], body["accFillSz"], body["avgPx"], body["px"]) == (
        "1.5",
        "0.5",
        "59990",
        "60000",
    )
    assert (body["fee"], body["feeCcy"]) == ("-0.0005", "BTC")
    assert (body["tradeId"], body["fillSz"], body["execType"]) == ("1", "0.5", "T")


@pytest.mark.parametrize(
    ("state", "okx_state"),
    [
        (OrderState.NEW, "live"),
        (OrderState.FILLED, "filled"),
        (OrderState.CANCELED, "canceled"),
        (OrderState.EXPIRED, "canceled"),
    ],
)
def test_engine_states_map_to_okx_states(state: OrderState, okx_state: str) -> None:
    assert payloads.order(make_order(state, []), OrderMeta())["state"] == okx_state


def test_order_push_without_a_trade_has_no_fill() -> None:
    order = make_order(OrderState.CANCELED, [make_trade(1, "0.5", "59990")])
    body = payloads.order(order, OrderMeta(), None, last_fill=False)
    assert body["tradeId"] == ""  # ccxt makes a trade only from pushes that carry one


def test_balance_lists_free_frozen_and_equity() -> None:
    body = payloads.balance({"USDT": (Decimal("90"), Decimal("10"))}, 5)
    [detail] = body["details"]  # type: ignore[misc]
    assert (detail["availBal"], detail["frozenBal"], detail["eq"]) == ("90", "10", "100")


def test_currency_chain_names_the_network() -> None:
    entry = funding_payloads.currency(Network("USDT", "TRC20", fee=Decimal("1")))
    assert (entry["chain"], entry["fee"], entry["canWd"]) == ("USDT-TRC20", "1", True)
    assert funding_payloads.network_of("USDT", "USDT-TRC20") == "TRC20"
    assert funding_payloads.network_of("USDT", "BTC-Bitcoin") == ""


@pytest.mark.parametrize(
    ("reason", "endpoint", "code"),
    [
        (RejectReason.INSUFFICIENT_BALANCE, Endpoint.ORDER, "51008"),
        (RejectReason.INSUFFICIENT_BALANCE, Endpoint.FUNDING, "58350"),
        (RejectReason.ORDER_NOT_FOUND, Endpoint.LOOKUP, "51603"),
        (RejectReason.ORDER_NOT_FOUND, Endpoint.CANCEL, "51400"),
        (RejectReason.DUPLICATE_CLIENT_ORDER_ID, Endpoint.ORDER, "51016"),
        (RejectReason.LOT_SIZE, Endpoint.ORDER, "51121"),
        (RejectReason.MIN_NOTIONAL, Endpoint.ORDER, "51020"),
    ],
)
def test_engine_refusals_get_the_okx_code_of_the_endpoint(
    reason: RejectReason, endpoint: Endpoint, code: str
) -> None:
    assert to_okx(Rejected(reason, "why"), endpoint).code == code


def test_every_engine_reason_has_an_okx_code() -> None:
    for reason in RejectReason:
        assert to_okx(Rejected(reason, "why"), Endpoint.ORDER).code


def test_books_feed_sends_snapshot_then_chained_diffs() -> None:
    feed = BookFeed()
    bids = [Level(Decimal("100"), Decimal("1")), Level(Decimal("99"), Decimal("2"))]
    asks = [Level(Decimal("101"), Decimal("1"))]
    first = feed.next_push(bids, asks, 1)
    assert first is not None
    action, data = first
    assert (action, data["prevSeqId"], data["seqId"]) == ("snapshot", -1, 1)
    assert data["bids"] == [["100", "1", "0", "1"], ["99", "2", "0", "1"]]
    assert feed.next_push(bids, asks, 2) is None  # nothing changed, nothing sent
    second = feed.next_push([Level(Decimal("99"), Decimal("3"))], asks, 3)
    assert second is not None
    action, data = second
    assert (action, data["prevSeqId"], data["seqId"]) == ("update", 1, 2)
    assert data["bids"] == [["100", "0", "0", "1"], ["99", "3", "0", "1"]]
    assert data["asks"] == []
