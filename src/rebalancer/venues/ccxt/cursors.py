"""Read ccxt.pro's caches so that no stream update is lost between two ``watch_*`` calls.

A ccxt ``watch_*`` call resolves on the next message only; whatever arrives after it resolved and
before the caller watches again is written to ccxt's caches and never returned. The gateway
therefore returns everything that changed in the cache since its previous answer, and only
waits for the network when nothing has.

- quotes: ``exchange.bidsasks`` holds one parsed ticker per symbol, replaced on every update and
  carrying its own raw message, so a new object is a new quote;
- orders: ``exchange.orders`` holds the latest state of each order; an order whose state
  fingerprint moved is reported again;
- balances: each update carries only the assets its raw message states. If ccxt's cached
  balance of any other asset moved since the last answer, a message was missed and the caller
  must re-read balances over REST (``BalanceMarks.missed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

UNIFIED_BALANCE_KEYS = frozenset({"info", "timestamp", "datetime", "free", "used", "total"})


class QuoteCursor:
    """Which cached tickers were already answered, by object identity.

    The answered objects are kept (not their ``id``), so a new ticker can never reuse the
    address of one already answered.
    """

    def __init__(self) -> None:
        self._answered: dict[str, Any] = {}

    def changed(self, cache: Mapping[str, Any] | None, symbols: Iterable[str]) -> dict[str, Any]:
        """The cached tickers of ``symbols`` not answered yet; marks them answered."""
        if not cache:
            return {}
        fresh: dict[str, Any] = {}
        for symbol in symbols:
            ticker = cache.get(symbol)
            if ticker is not None and self._answered.get(symbol) is not ticker:
                self._answered[symbol] = ticker
                fresh[symbol] = ticker
        return fresh


class OrderCursor:
    """Which state of each cached order was already answered."""

    def __init__(self) -> None:
        self._answered: dict[str, tuple[object, ...]] = {}

    def changed(self, cache: Iterable[Any] | None) -> list[Any]:
        """The cached orders whose state moved since the last answer; marks them answered."""
        if not cache:
            return []
        fresh: list[Any] = []
        present: set[str] = set()
        for order in cache:
            key = str(order.get("id"))
            present.add(key)
            mark = _fingerprint(order)
            if self._answered.get(key) != mark:
                self._answered[key] = mark
                fresh.append(order)
        for gone in set(self._answered) - present:  # evicted from ccxt's bounded cache
            del self._answered[gone]
        return fresh


def _fingerprint(order: Mapping[str, Any]) -> tuple[object, ...]:
    return (
        order.get("status"),
        order.get("filled"),
        order.get("remaining"),
        order.get("lastUpdateTimestamp"),
        order.get("info"),  # the raw message itself: a new message is a new state
    )


class BalanceMarks:
    """ccxt's cached (free, used) per asset as of the last answer, to detect missed messages."""

    def __init__(self) -> None:
        self._marks: dict[str, tuple[object, object]] = {}

    def missed(self, cached: Mapping[str, Any], stated: Iterable[str]) -> list[str]:
        """Assets whose cached balance moved without being ``stated`` by this update."""
        current = {
            code: (entry.get("free"), entry.get("used"))
            for code, entry in cached.items()
            if code not in UNIFIED_BALANCE_KEYS and isinstance(entry, Mapping)
        }
        stated_set = set(stated)
        missed = sorted(
            code
            for code, pair in current.items()
            if code not in stated_set and self._marks.get(code) != pair
        )
        self._marks = current
        return missed
