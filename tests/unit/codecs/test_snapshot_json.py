import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from rebalancer.codecs.snapshot_json import dump_snapshot, parse_snapshot
from rebalancer.domain.errors import SnapshotError

D = Decimal


def contract_example() -> dict[str, Any]:
    """The example of contracts.md §2."""
    return {
        "version": 1,
        "taken_at": "2024-03-01T00:00:00Z",
        "venues": {
            "binance": {
                "balances": {"BTC": "0.51", "ETH": "2.0", "USDT": "1500"},
                "markets": {
                    "BTC/USDT": {
                        "bid": "61990.00",
                        "ask": "62010.00",
                        "amount_step": "0.00001",
                        "min_amount": "0.00001",
                        "min_notional": "5",
                        "price_tick": "0.01",
                        "taker_fee": "0.001",
                    }
                },
            },
            "okx": {"balances": {"USDT": "900"}, "markets": {}},
        },
        "routes": [
            {
                "asset": "USDT",
                "network": "TRC20",
                "from": "binance",
                "to": "okx",
                "fee": "1",
                "min_amount": "10",
                "eta_s": 300,
            }
        ],
        "in_transit": [{"asset": "USDT", "from": "binance", "to": "okx", "amount": "250"}],
    }


def test_contract_example_parses_into_domain_values() -> None:
    snapshot = parse_snapshot(json.dumps(contract_example()))
    assert snapshot.taken_at == datetime(2024, 3, 1, tzinfo=UTC)
    binance = snapshot.venue("binance")
    assert binance.balance("BTC") == D("0.51")
    listed = binance.markets["BTC/USDT"]
    assert (listed.rules.base, listed.rules.quote) == ("BTC", "USDT")
    assert listed.quote.mid == D("62000.00")
    assert listed.rules.amount_step == D("0.00001")
    route = snapshot.routes[0]
    assert (route.source, route.destination, route.fee, route.eta_s) == (
        "binance",
        "okx",
        D(1),
        300,
    )
    assert snapshot.in_transit[0].amount == D("250")


def test_dump_then_parse_gives_the_same_snapshot() -> None:
    snapshot = parse_snapshot(contract_example())
    again = parse_snapshot(dump_snapshot(snapshot))
    assert again == snapshot
    assert dump_snapshot(again) == dump_snapshot(snapshot)


def test_dump_keeps_decimal_strings_exactly_as_written() -> None:
    text = dump_snapshot(parse_snapshot(contract_example()))
    assert '"bid": "61990.00"' in text
    assert '"ETH": "2.0"' in text
    assert '"eta_s": 300' in text


def test_optional_lists_and_reference_prices() -> None:
    doc = contract_example()
    del doc["routes"], doc["in_transit"]
    doc["reference_prices"] = {"LUNA": "0.0001"}
    snapshot = parse_snapshot(doc)
    assert snapshot.routes == ()
    assert snapshot.in_transit == ()
    assert snapshot.reference_prices == {"LUNA": D("0.0001")}
    assert parse_snapshot(dump_snapshot(snapshot)) == snapshot


def test_unknown_fields_are_tolerated_for_newer_writers() -> None:
    doc = contract_example()
    doc["source"] = "daemon 0.2"
    doc["venues"]["okx"]["fetched_at"] = "2024-03-01T00:00:00Z"
    assert parse_snapshot(doc).venue("okx").balance("USDT") == D(900)


MARKET = "venues.binance.markets.BTC/USDT"


def broken(path: str, value: object) -> dict[str, Any]:
    """The contract example with the member at dotted ``path`` set to ``value`` (or removed)."""
    doc = copy.deepcopy(contract_example())
    keys = path.split(".")
    target: Any = doc
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is REMOVE:
        del target[last]
    else:
        target[last] = value
    return doc


REMOVE = object()


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        ("version", 2, "version", "unsupported version 2"),
        ("version", "1", "version", "expected an integer"),
        ("taken_at", REMOVE, "taken_at", "missing"),
        ("taken_at", "2024-03-01T00:00:00", "taken_at", "timezone"),
        ("taken_at", "yesterday", "taken_at", "ISO 8601"),
        ("venues", [], "venues", "expected an object"),
        ("venues.okx.balances", REMOVE, "venues.okx.balances", "missing"),
        ("venues.binance.balances.BTC", "-0.1", "venues.binance.balances.BTC", "at least 0"),
        ("venues.binance.balances.BTC", 0.51, "venues.binance.balances.BTC", "JSON number"),
        ("venues.binance.balances.BTC", "lots", "venues.binance.balances.BTC", "decimal number"),
        ("venues.binance.balances.BTC", "NaN", "venues.binance.balances.BTC", "decimal number"),
        (f"{MARKET}.bid", REMOVE, f"{MARKET}.bid", "missing"),
        (f"{MARKET}.ask", 62010, f"{MARKET}.ask", "JSON number"),
        (f"{MARKET}.bid", "62020", f"{MARKET}.bid", "bid 62020 is above ask 62010.00"),
        (f"{MARKET}.bid", "0", f"{MARKET}.bid", "must be positive"),
        (f"{MARKET}.ask", "-1", f"{MARKET}.ask", "must be positive"),
        (f"{MARKET}.amount_step", "-0.001", f"{MARKET}.amount_step", "at least 0"),
        (f"{MARKET}.min_notional", REMOVE, f"{MARKET}.min_notional", "missing"),
        (f"{MARKET}.taker_fee", "1", f"{MARKET}.taker_fee", "fraction"),
        (f"{MARKET}.taker_fee", "-0.001", f"{MARKET}.taker_fee", "fraction"),
        (f"{MARKET}.max_amount", "0", f"{MARKET}.max_amount", "must be positive"),
        ("routes.0.from", "kraken", "routes[0].from", "venue 'kraken' is not in venues"),
        ("routes.0.to", "binance", "routes[0].to", "another venue"),
        ("routes.0.fee", "-1", "routes[0].fee", "at least 0"),
        ("routes.0.eta_s", "300", "routes[0].eta_s", "expected an integer"),
        ("routes.0.eta_s", True, "routes[0].eta_s", "JSON boolean"),
        ("routes.0.network", REMOVE, "routes[0].network", "missing"),
        ("in_transit.0.to", "kraken", "in_transit[0].to", "not in venues"),
        ("in_transit.0.amount", "-250", "in_transit[0].amount", "at least 0"),
        ("in_transit", {}, "in_transit", "expected an array"),
        ("reference_prices", {"LUNA": "0"}, "reference_prices.LUNA", "must be positive"),
    ],
)
def test_malformed_snapshot_names_the_field(
    path: str, value: object, field: str, message: str
) -> None:
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(json.dumps(broken(path, value), default=str))
    assert caught.value.field == field
    assert message in caught.value.reason


def test_json_number_with_decimals_is_refused_with_its_exact_text() -> None:
    text = json.dumps(contract_example()).replace('"61990.00"', "61990.00")
    with pytest.raises(SnapshotError, match=r"BTC/USDT\.bid: .*JSON number 61990\.00"):
        parse_snapshot(text)


def test_symbol_must_be_base_slash_quote() -> None:
    doc = contract_example()
    markets = doc["venues"]["binance"]["markets"]
    markets["BTCUSDT"] = markets.pop("BTC/USDT")
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(doc)
    assert caught.value.field == "venues.binance.markets.BTCUSDT"
    assert "BASE/QUOTE" in caught.value.reason


def test_bad_json_reports_line_and_column() -> None:
    with pytest.raises(SnapshotError, match=r"snapshot: not valid JSON \(line 1, column 13\)"):
        parse_snapshot('{"version": }')


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(SnapshotError, match="duplicate key 'version'"):
        parse_snapshot('{"version": 1, "version": 1}')


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(SnapshotError, match="snapshot: expected an object, got an array"):
        parse_snapshot("[]")
