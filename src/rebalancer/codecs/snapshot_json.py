"""The snapshot's JSON form (docs/formats.md): strict parsing and deterministic dumping.

Parsing checks everything a plan relies on and raises ``SnapshotError`` naming the JSON path
(``venues.binance.markets.BTC/USDT.bid``): decimals must be JSON strings, balances and amounts
non-negative, prices positive with the bid not above the ask, steps and minimums non-negative,
fees below 100 %, symbols BASE/QUOTE, and every venue a route or transfer names must be in
``venues``. Whether the portfolio's assets have markets is the config's check
(``rebalancer.settings.check_against_snapshot``), not the format's.

``routes``, ``in_transit`` and ``reference_prices`` may be omitted (empty). Dumping writes keys
in the documented order and sorts every mapping, so one snapshot always gives the same bytes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rebalancer.codecs.json_fields import JsonReader, child, format_timestamp
from rebalancer.domain.errors import SnapshotError
from rebalancer.domain.market import Market
from rebalancer.domain.money import ONE, ZERO, format_decimal
from rebalancer.domain.quotes import Quote
from rebalancer.domain.snapshot import (
    SNAPSHOT_VERSION,
    InTransit,
    ListedMarket,
    Route,
    Snapshot,
    VenueSnapshot,
)

STEP_FIELDS = ("amount_step", "min_amount", "min_notional", "price_tick")


def parse_snapshot(source: str | bytes | Mapping[str, Any]) -> Snapshot:
    """Read a snapshot from JSON text (or its parsed object); raise SnapshotError on any fault."""
    reader = JsonReader(SnapshotError, "snapshot")
    doc = reader.load(source)
    version = reader.integer(reader.member(doc, "version", ""), "version")
    if version != SNAPSHOT_VERSION:
        reader.fail(
            "version", f"unsupported version {version}; this reader knows {SNAPSHOT_VERSION}"
        )
    taken_at = reader.timestamp(reader.member(doc, "taken_at", ""), "taken_at")
    venues_doc = reader.obj(reader.member(doc, "venues", ""), "venues")
    venues = {
        reader.text(name, "venues"): _venue(reader, body, child("venues", name))
        for name, body in sorted(venues_doc.items())
    }
    routes = tuple(
        _route(reader, item, child("routes", index), venues)
        for index, item in enumerate(reader.array(doc.get("routes", []), "routes"))
    )
    in_transit = tuple(
        _in_transit(reader, item, child("in_transit", index), venues)
        for index, item in enumerate(reader.array(doc.get("in_transit", []), "in_transit"))
    )
    references = _amounts(reader, doc.get("reference_prices", {}), "reference_prices", True)
    return Snapshot(taken_at, venues, routes, in_transit, version, references)


def dump_snapshot(snapshot: Snapshot, *, compact: bool = False) -> str:
    """Write ``snapshot`` as docs/formats.md JSON, the same bytes for the same snapshot.

    ``compact`` leaves out the indentation (the same document, several times faster to write:
    backtests store thousands of rounds).
    """
    doc: dict[str, Any] = {
        "version": snapshot.version,
        "taken_at": format_timestamp(snapshot.taken_at),
        "venues": {name: _venue_doc(snapshot.venues[name]) for name in sorted(snapshot.venues)},
        "routes": [_route_doc(route) for route in snapshot.routes],
        "in_transit": [_in_transit_doc(item) for item in snapshot.in_transit],
    }
    if snapshot.reference_prices:
        doc["reference_prices"] = _decimal_map(snapshot.reference_prices)
    return _dumps(doc, compact)


def _dumps(doc: dict[str, Any], compact: bool) -> str:
    if compact:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _venue(reader: JsonReader, body: object, path: str) -> VenueSnapshot:
    venue = reader.obj(body, path)
    balances = _amounts(reader, reader.member(venue, "balances", path), child(path, "balances"))
    markets_path = child(path, "markets")
    markets_doc = reader.obj(reader.member(venue, "markets", path), markets_path)
    markets = {
        symbol: _market(reader, symbol, spec, child(markets_path, symbol))
        for symbol, spec in sorted(markets_doc.items())
    }
    return VenueSnapshot(balances, markets)


def _amounts(
    reader: JsonReader, value: object, path: str, positive: bool = False
) -> dict[str, Decimal]:
    doc = reader.obj(value, path)
    return {
        reader.text(asset, path): reader.decimal(
            amount, child(path, asset), minimum=ZERO, positive=positive
        )
        for asset, amount in sorted(doc.items())
    }


def _market(reader: JsonReader, symbol: str, spec: object, path: str) -> ListedMarket:
    base, sep, quote = symbol.partition("/")
    if not sep or not base or not quote or "/" in quote or symbol != symbol.strip():
        reader.fail(path, "expected a market symbol BASE/QUOTE such as BTC/USDT")
    doc = reader.obj(spec, path)

    def number(key: str, **bounds: Any) -> Decimal:
        return reader.decimal(reader.member(doc, key, path), child(path, key), **bounds)

    bid, ask = number("bid", positive=True), number("ask", positive=True)
    if bid > ask:
        reader.fail(
            child(path, "bid"), f"bid {format_decimal(bid)} is above ask {format_decimal(ask)}"
        )
    steps = {key: number(key, minimum=ZERO) for key in STEP_FIELDS}
    taker_fee = _fee(reader, number("taker_fee"), child(path, "taker_fee"), ZERO)
    maker_fee = None
    if "maker_fee" in doc:
        maker_fee = _fee(reader, number("maker_fee"), child(path, "maker_fee"), -ONE)
    max_amount = number("max_amount", positive=True) if "max_amount" in doc else None
    rules = Market(
        symbol,
        base,
        quote,
        taker_fee=taker_fee,
        maker_fee=maker_fee,
        max_amount=max_amount,
        **steps,
    )
    return ListedMarket(rules, Quote(bid, ask))


def _fee(reader: JsonReader, fee: Decimal, path: str, floor: Decimal) -> Decimal:
    if not floor <= fee < ONE:
        reader.fail(path, f"expected a fraction such as 0.001 (0.1 %), got {format_decimal(fee)}")
    return fee


def _venue_name(
    reader: JsonReader, doc: Mapping[str, Any], key: str, path: str, venues: Mapping[str, object]
) -> str:
    name = reader.text(reader.member(doc, key, path), child(path, key))
    if name not in venues:
        reader.fail(
            child(path, key), f"venue {name!r} is not in venues ({', '.join(sorted(venues))})"
        )
    return name


def _route(reader: JsonReader, item: object, path: str, venues: Mapping[str, object]) -> Route:
    doc = reader.obj(item, path)
    source = _venue_name(reader, doc, "from", path, venues)
    destination = _venue_name(reader, doc, "to", path, venues)
    if source == destination:
        reader.fail(child(path, "to"), f"a route must lead to another venue than {source!r}")
    return Route(
        asset=reader.text(reader.member(doc, "asset", path), child(path, "asset")),
        network=reader.text(reader.member(doc, "network", path), child(path, "network")),
        source=source,
        destination=destination,
        fee=reader.decimal(reader.member(doc, "fee", path), child(path, "fee"), minimum=ZERO),
        min_amount=reader.decimal(
            reader.member(doc, "min_amount", path), child(path, "min_amount"), minimum=ZERO
        ),
        eta_s=reader.integer(reader.member(doc, "eta_s", path), child(path, "eta_s"), minimum=0),
    )


def _in_transit(
    reader: JsonReader, item: object, path: str, venues: Mapping[str, object]
) -> InTransit:
    doc = reader.obj(item, path)
    return InTransit(
        asset=reader.text(reader.member(doc, "asset", path), child(path, "asset")),
        source=_venue_name(reader, doc, "from", path, venues),
        destination=_venue_name(reader, doc, "to", path, venues),
        amount=reader.decimal(
            reader.member(doc, "amount", path), child(path, "amount"), minimum=ZERO
        ),
    )


def _decimal_map(values: Mapping[str, Decimal]) -> dict[str, str]:
    return {key: format_decimal(values[key]) for key in sorted(values)}


def _venue_doc(venue: VenueSnapshot) -> dict[str, Any]:
    return {
        "balances": _decimal_map(venue.balances),
        "markets": {symbol: _market_doc(venue.markets[symbol]) for symbol in sorted(venue.markets)},
    }


def _market_doc(listed: ListedMarket) -> dict[str, str]:
    return {
        "bid": format_decimal(listed.quote.bid),
        "ask": format_decimal(listed.quote.ask),
        **_rules_doc(listed.rules),
    }


@functools.lru_cache(maxsize=4096)
def _rules_doc(rules: Market) -> dict[str, str]:
    """A market's rules as text: they rarely change, while quotes change with every snapshot.

    Callers copy the result into a new dict and never change it.
    """
    doc = {key: format_decimal(getattr(rules, key)) for key in STEP_FIELDS}
    doc["taker_fee"] = format_decimal(rules.taker_fee)
    if rules.maker_fee is not None:
        doc["maker_fee"] = format_decimal(rules.maker_fee)
    if rules.max_amount is not None:
        doc["max_amount"] = format_decimal(rules.max_amount)
    return doc


def _route_doc(route: Route) -> dict[str, Any]:
    return {
        "asset": route.asset,
        "network": route.network,
        "from": route.source,
        "to": route.destination,
        "fee": format_decimal(route.fee),
        "min_amount": format_decimal(route.min_amount),
        "eta_s": route.eta_s,
    }


def _in_transit_doc(item: InTransit) -> dict[str, str]:
    return {
        "asset": item.asset,
        "from": item.source,
        "to": item.destination,
        "amount": format_decimal(item.amount),
    }
