"""Build one configured ``ccxt.pro`` exchange instance per venue.

A venue is described by a ``VenueSpec``: the ccxt id, credentials, and ``urls``/``options``
tables that are deep-merged over ccxt's own (how the exchange simulator, or a proxy, is reached).
We add the options a spot rebalancer needs (spot markets only, one call for all open orders,
networks and withdrawal fees; see docs/venues.md), and, for Binance, a fix of ccxt's error
mapping: ccxt applies Binance's spot error table only to URLs on ``api.binance.com``, so against
127.0.0.1 ``-2010``/``-4026`` would map to the wrong class.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ccxt.pro

from rebalancer.domain.errors import ConfigError, Problem

DEFAULT_TIMEOUT_MS = 10_000
# ccxt paces REST requests with a leaky bucket that only refills while a request waits: time
# spent idle is never credited, so every request waits out the cost of the one before it,
# however long ago that was (~200 ms after a Binance account read, ~40 ms after a ticker read).
# A check's snapshot and the order that follows pay that on every request. ccxt's rolling-window
# limiter instead allows ``window / rateLimit`` cost units in any window: the same long-run rate,
# and a short burst goes at once. Two seconds (OKX's own window per endpoint) hold a check's
# burst (a few units) and the costliest single call we make (Binance's open orders without a
# symbol: 16 of 40 units; OKX's balance: 2 of 18), which they must, or ccxt would never send
# it. A saturated window makes a request wait at most that long.
RATE_LIMIT_WINDOW_MS = 2_000

# Options per ccxt id, before the venue's own; keys follow ccxt's spelling.
DEFAULT_OPTIONS: Mapping[str, Mapping[str, Any]] = {
    "binance": {
        "fetchMarkets": {"types": ["spot"]},  # one exchangeInfo call instead of three
        "fetchMargins": False,  # no margin pair listings
        "fetchCurrencies": True,  # networks and withdrawal fees
        "fetchOpenOrders": {"warnWithoutSymbol": False},  # all open orders in one call
    },
    "okx": {
        "fetchMarkets": {"types": ["spot"]},
        "watchBidsAsks": {"channel": "tickers"},  # tickers carry bid and ask; bbo-tbt is optional
    },
}


@dataclass(frozen=True, slots=True)
class VenueSpec:
    """How to reach one venue account. ``repr`` never shows the secrets."""

    name: str
    exchange: str
    api_key: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    urls: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    sandbox: bool = False  # the exchange's own testnet (ccxt ``set_sandbox_mode``)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``override`` merged in; nested tables merge, the rest replaces."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def spec_from_connection(
    name: str, connection: Mapping[str, Any], *, venue_key: str | None = None
) -> VenueSpec:
    """The spec of venue ``venue_key`` (default ``name``) in a simulator connection dict.

    The shape is the simulator's ``--print-connection`` output:
    ``{"venues": {NAME: {"exchange", "urls", "options", "apiKey", "secret", "password"}}}``.
    """
    key = venue_key or name
    venues = connection.get("venues")
    if not isinstance(venues, Mapping) or not isinstance(venues.get(key), Mapping):
        known = sorted(venues) if isinstance(venues, Mapping) else []
        raise ConfigError([Problem(f"venues.{key}", f"not in the connection (has {known})")])
    entry = venues[key]
    exchange = entry.get("exchange")
    if not isinstance(exchange, str) or not exchange:
        raise ConfigError([Problem(f"venues.{key}.exchange", "expected a ccxt exchange id")])
    return VenueSpec(
        name=name,
        exchange=exchange,
        api_key=entry.get("apiKey"),
        secret=entry.get("secret"),
        password=entry.get("password"),
        urls=entry.get("urls") or {},
        options=entry.get("options") or {},
    )


def exchange_problem(exchange_id: str) -> str | None:
    """Why ``exchange_id`` cannot be a venue (None: ccxt can trade and stream on it).

    The daemon streams balances and quotes, so the exchange must be one ccxt.pro supports;
    a near miss is named (``okxx``: did you mean ``okx``?).
    """
    if exchange_id in ccxt.pro.exchanges:
        return None
    close = difflib.get_close_matches(exchange_id, ccxt.pro.exchanges, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    if exchange_id in ccxt.exchanges:
        return f"{exchange_id!r}: ccxt cannot stream from it (no websocket support){hint}"
    return f"{exchange_id!r} is not an exchange ccxt knows{hint}"


def build_exchange(spec: VenueSpec) -> Any:
    """A ready-to-use ``ccxt.pro`` instance for ``spec``; the caller must ``await close()`` it."""
    if problem := exchange_problem(spec.exchange):
        raise ConfigError([Problem(f"venues.{spec.name}.exchange", problem)])
    exchange_class = getattr(ccxt.pro, spec.exchange)
    config: dict[str, Any] = {
        "timeout": spec.timeout_ms,
        "enableRateLimit": True,
        "rateLimiterAlgorithm": "rollingWindow",
        "rollingWindowSize": RATE_LIMIT_WINDOW_MS,
    }
    credentials = {"apiKey": spec.api_key, "secret": spec.secret, "password": spec.password}
    config.update({key: value for key, value in credentials.items() if value})
    exchange = exchange_class(config)
    exchange.options = deep_merge(
        deep_merge(exchange.options, DEFAULT_OPTIONS.get(spec.exchange, {})), spec.options
    )
    if spec.sandbox:
        exchange.set_sandbox_mode(True)
    exchange.urls = deep_merge(exchange.urls, spec.urls)
    if spec.exchange.startswith("binance"):
        apply_binance_spot_error_codes(exchange)
    return exchange


def apply_binance_spot_error_codes(exchange: Any) -> None:
    """Make Binance's spot error codes apply whatever the URL (see the module doc)."""
    spot = exchange.exceptions.get("spot", {})
    for table in ("exact", "broad"):
        if table in spot:
            exchange.exceptions[table] = {**exchange.exceptions.get(table, {}), **spot[table]}
