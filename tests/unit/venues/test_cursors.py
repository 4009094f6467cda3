"""No stream update is lost between two watch calls (ccxt.md §9.2)."""

from __future__ import annotations

from rebalancer.venues.ccxt.cursors import BalanceMarks, OrderCursor, QuoteCursor


def test_quotes_updated_between_calls_are_returned_once_each() -> None:
    cursor = QuoteCursor()
    cache = {"BTC/USDT": {"bid": 1}, "ETH/USDT": {"bid": 2}}
    assert set(cursor.changed(cache, ["BTC/USDT", "ETH/USDT"])) == {"BTC/USDT", "ETH/USDT"}
    assert cursor.changed(cache, ["BTC/USDT", "ETH/USDT"]) == {}
    cache["ETH/USDT"] = {"bid": 2}  # a new message with the same numbers is still news
    assert set(cursor.changed(cache, ["BTC/USDT", "ETH/USDT"])) == {"ETH/USDT"}


def test_quotes_of_unwanted_symbols_are_not_returned() -> None:
    assert QuoteCursor().changed({"SOL/USDT": {}}, ["BTC/USDT"]) == {}
    assert QuoteCursor().changed(None, ["BTC/USDT"]) == {}


def test_an_order_is_reported_again_only_when_its_state_moves() -> None:
    cursor = OrderCursor()
    new = {"id": "1", "status": "open", "filled": 0.0, "info": {"X": "NEW"}}
    cache = [new]
    assert cursor.changed(cache) == [new]
    assert cursor.changed(cache) == []
    filled = {"id": "1", "status": "closed", "filled": 1.0, "info": {"X": "FILLED"}}
    cache[0] = filled
    assert cursor.changed(cache) == [filled]


def test_a_balance_change_not_stated_by_the_update_is_flagged_as_missed() -> None:
    marks = BalanceMarks()
    first = {"info": {}, "BTC": {"free": 1.0, "used": 0.0}, "USDT": {"free": 5.0, "used": 0.0}}
    assert marks.missed(first, ["BTC", "USDT"]) == []
    second = {"info": {}, "BTC": {"free": 0.5, "used": 0.0}, "USDT": {"free": 9.0, "used": 0.0}}
    assert marks.missed(second, ["BTC"]) == ["USDT"]
    assert marks.missed(second, []) == []
