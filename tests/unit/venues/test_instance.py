"""Building a configured ccxt instance: merges, Binance error codes, secrets, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from rebalancer.domain.errors import ConfigError
from rebalancer.venues.ccxt.instance import (
    VenueSpec,
    build_exchange,
    deep_merge,
    spec_from_connection,
)

CONNECTION: dict[str, Any] = {
    "venues": {
        "binance": {
            "exchange": "binance",
            "urls": {"api": {"public": "http://127.0.0.1:1/api/v3", "ws": {"spot": "ws://x/ws"}}},
            "options": {"fetchCurrencies": False},
            "apiKey": "sim-key",
            "secret": "sim-secret",
            "password": None,
        }
    },
    "control_url": "http://127.0.0.1:2",
}


@pytest.fixture
async def opened() -> AsyncIterator[list[Any]]:
    exchanges: list[Any] = []
    yield exchanges
    for exchange in exchanges:
        await exchange.close()


def test_deep_merge_keeps_siblings_and_replaces_leaves() -> None:
    base = {"api": {"public": "a", "ws": {"spot": "s", "margin": "m"}}, "x": 1}
    merged = deep_merge(base, {"api": {"ws": {"spot": "S"}}, "x": 2})
    assert merged == {"api": {"public": "a", "ws": {"spot": "S", "margin": "m"}}, "x": 2}
    assert base["api"]["ws"]["spot"] == "s"  # the input is not changed


async def test_connection_urls_and_options_are_merged_over_ccxt_and_our_defaults(
    opened: list[Any],
) -> None:
    exchange = build_exchange(spec_from_connection("binance", CONNECTION))
    opened.append(exchange)
    api = exchange.urls["api"]
    assert api["public"] == "http://127.0.0.1:1/api/v3"
    assert api["ws"]["spot"] == "ws://x/ws"
    assert api["ws"]["ws-api"]["spot"].startswith("wss://")  # ccxt's own sibling kept
    assert exchange.options["fetchCurrencies"] is False  # the connection wins over our default
    assert exchange.options["fetchMarkets"]["types"] == ["spot"]  # our default
    assert exchange.options["fetchOpenOrders"]["warnWithoutSymbol"] is False


async def test_binance_spot_error_codes_apply_on_any_url(opened: list[Any]) -> None:
    # ccxt.md §0.3: -4026 and -1008 are only in the spot table, keyed to api.binance.com
    exchange = build_exchange(VenueSpec("binance", "binance", urls={"api": {"sapi": "http://l"}}))
    opened.append(exchange)
    assert exchange.exceptions["exact"]["-4026"].__name__ == "InsufficientFunds"
    assert exchange.exceptions["exact"]["-1008"].__name__ == "OperationFailed"


def test_secrets_never_show_in_the_spec_repr() -> None:
    spec = spec_from_connection("binance", CONNECTION)
    assert "sim-secret" not in repr(spec)
    assert "sim-key" not in repr(spec)


def test_unknown_exchange_and_missing_venue_name_the_field() -> None:
    with pytest.raises(ConfigError, match=r"venues\.kraken"):
        spec_from_connection("kraken", CONNECTION)
    with pytest.raises(ConfigError, match=r"venues\.mine\.exchange"):
        build_exchange(VenueSpec("mine", "no-such-exchange"))
